"""Rotation of the endpoint's credential while a batch is syncing, in both credential modes, run as
a user runs it against `t2t sandbox serve` (issue 12): the walkthrough's spec (Key Vault) and the
same spec in clientSecret mode are brought to a syncing batch, then `t2t apply
--rotate-credential` rotates the credential under it — a new certificate version, its key beside
the old one, the endpoint moved, the old key removed; or a new secret, the endpoint given it, the
old secret removed. The sandbox's move service signs in with the endpoint's credential at every
step, so a batch that goes on to sync and complete proves there was no moment without a
credential the app accepts; the next plan is empty.

Triggered by the flag: the spec's rotateBefore compares the credential's end with t2t's own
clock, which the sandbox's cannot move (tests/planner/cases/*rotate-before* cover it)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.e2e.helpers import graph, invoke, run
from tests.e2e.test_batches import SPEC as WALKTHROUGH
from tests.e2e.test_batches import advance, batch, recipient
from tests.e2e.test_key_vault_credential import (
    MARKER,
    MOVED,
    SPEC,
    app_keys,
    current_version,
    endpoint,
    syncing,
)

SEED_APP = "/applications(appId='5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f')"
SECRET_MARKER = "t2t:endpoint:contoso-t2t"
ROTATION = "--rotate-credential"


def users(profile: dict[str, Any], wave: str = "wave-1") -> set[str]:
    found = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": wave})["value"]
    return {str(u["Status"]) for u in found}


def planned(spec: str, state: Path, *flags: str) -> dict[str, Any]:
    out = run("plan", spec, "--format", "json", *flags, state=state)
    assert out.returncode in (0, 2), out.stdout[-3000:] + out.stderr
    return dict(json.loads(out.stdout))


def cut_over(spec: str, state: Path, profile: dict[str, Any], tmp_path: Path) -> None:
    """The spec's next revision (phase: complete) completes the wave; the mailboxes move."""
    guids = {s: recipient(profile, "contoso", s)["ExchangeGuid"] for s in MOVED}
    cutover = tmp_path / "cutover.yaml"
    text = Path(spec).read_text(encoding="utf-8")
    cutover.write_text(text.replace("    phase: sync", "    phase: complete"), encoding="utf-8")
    completed = run("apply", str(cutover), "--auto-approve", state=state)
    assert "batch.complete:wave-1: done" in completed.stdout, completed.stdout[-3000:]
    advance(profile, 3600)
    assert batch(profile, "wave-1")["Status"].lower() == "completed"
    assert users(profile) == {"Completed"}
    for source, target in MOVED.items():
        moved = recipient(profile, "fabrikam", target)
        assert (moved["RecipientTypeDetails"], moved["ExchangeGuid"]) == (
            "UserMailbox",
            guids[source],
        )
    final = run("plan", str(cutover), "--detailed-exitcode", state=state)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr


def test_a_certificate_rotated_while_the_batch_syncs(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    syncing(state, profile)
    advance(profile, 90)  # the move service has signed in: the users sync
    assert users(profile) <= {"Syncing", "Synced"}, users(profile)
    old = current_version(state)
    [old_key] = [k["keyId"] for k in app_keys(profile) if k["displayName"] == MARKER]

    plan = planned(SPEC, state, ROTATION)
    kinds = [a["kind"] for a in plan["actions"]]
    assert kinds == [
        "keyvault.certificate.create",
        "app.key_credential.add",
        "endpoint.update",
        "app.key_credential.remove",
    ], kinds
    assert [f["code"] for f in plan["findings"] if f["code"] == "T2T-W246"] == ["T2T-W246"]
    remove = plan["actions"][-1]
    assert remove["risk"] == "destructive"
    assert [k["keyId"] for k in remove["parameters"]["remove"]] == [old_key]

    out = run("apply", SPEC, ROTATION, "--auto-approve", state=state)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr
    for done in (
        "keyvault.certificate.create:fabrikam-t2t-kv/t2t-cert: done",
        "app.key_credential.add:5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f: done",
        "endpoint.update:contoso-t2t: done",
        "app.key_credential.remove:5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f: done",
    ):
        assert done in out.stdout, out.stdout[-4000:]
    new = current_version(state)
    assert new != old and endpoint(profile)["AppSecretKeyVaultUrl"] == new
    keys = [k["keyId"] for k in app_keys(profile) if k["displayName"] == MARKER]
    assert len(keys) == 1 and keys != [old_key]  # the new one only: the old key is gone

    again = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    advance(profile, 3600)  # every step signs in with the new version
    assert batch(profile, "wave-1")["Status"].lower() == "synced"
    assert users(profile) == {"Synced"}
    cut_over(SPEC, state, profile, tmp_path)


def client_secret_spec(tmp_path: Path) -> str:
    """The walkthrough's spec in clientSecret mode (one wave, phase: sync)."""
    text = WALKTHROUGH.read_text(encoding="utf-8")
    text = text.replace("credential: keyVaultCertificate", "credential: clientSecret")
    text = re.sub(r"\n  keyVault:\n(    .*\n)+", "\n", text)
    spec = tmp_path / "client-secret.yaml"
    spec.write_text(text, encoding="utf-8")
    return str(spec)


def secret_markers(profile: dict[str, Any]) -> list[str]:
    app = graph(profile, "fabrikam", "GET", SEED_APP)
    return [p["keyId"] for p in app["passwordCredentials"] if p["displayName"] == SECRET_MARKER]


def test_a_client_secret_rotated_while_the_batch_syncs(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = client_secret_spec(tmp_path)
    applied_ = run("apply", spec, "--auto-approve", state=state)
    assert applied_.returncode == 0, applied_.stdout[-3000:] + applied_.stderr
    advance(profile, 121)  # the licences provision (T2T-E320)
    second = run("apply", spec, "--auto-approve", state=state)
    assert "batch.create:wave-1: done" in second.stdout, second.stdout[-3000:]
    advance(profile, 90)
    assert users(profile) <= {"Syncing", "Synced"}, users(profile)
    [old] = secret_markers(profile)

    plan = planned(spec, state, ROTATION)
    [update] = plan["actions"]
    assert update["kind"] == "endpoint.update" and "Credentials" in update["parameters"]
    assert update["desired"]["rotation"]["replaces"] == [old]
    [why] = [f for f in plan["findings"] if f["code"] == "T2T-W246"]
    assert why["fixed_by_plan"] and old in why["message"]

    out = run("apply", spec, ROTATION, "--auto-approve", state=state)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr
    assert "endpoint.update:contoso-t2t: done" in out.stdout, out.stdout[-4000:]
    assert "new secret usable after" in out.stdout  # given to Exchange once it signed in
    new = secret_markers(profile)
    assert len(new) == 1 and new != [old]  # the old secret is gone
    [tested] = invoke(
        profile, "fabrikam", "Test-MigrationServerAvailability", {"Endpoint": "contoso-t2t"}
    )["value"]
    assert tested["Result"] == "Success", tested

    again = run("plan", spec, "--detailed-exitcode", state=state)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    advance(profile, 3600)  # every step signs in with the new secret
    assert batch(profile, "wave-1")["Status"].lower() == "synced"
    assert users(profile) == {"Synced"}
    cut_over(spec, state, profile, tmp_path)


def test_the_walkthroughs_flag_plan_is_applied_from_its_saved_file(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """A plan saved with --rotate-credential is applied as reviewed: apply re-plans it the same
    way (the saved plan holds the rotation), so it is not stale."""
    state, profile = served
    syncing(state, profile)
    saved = tmp_path / "rotate.json"
    out = run("plan", SPEC, ROTATION, "--out", str(saved), state=state)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    old = current_version(state)
    done = run("apply", str(saved), state=state)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "app.key_credential.remove:5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f: done" in done.stdout
    assert current_version(state) != old
    assert len([k for k in app_keys(profile) if k["displayName"] == MARKER]) == 1
