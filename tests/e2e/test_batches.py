"""Batches end to end, as a user runs them (subprocesses, `t2t sandbox serve`).

A spec with two waves — `phase: complete` (no completeAfter) and `phase: sync` — is applied:
the org setup and the mailboxes are prepared, the batches wait while the licences provision
(T2T-E320); once the sandbox clock has passed that, apply creates both batches
(New-MigrationBatch, -AutoStart). The sandbox clock moves on: both batches sync; the plan
now completes only the `complete` wave (disruptive: apply refuses without --auto-approve), a
second apply completes it, and once
the clock moves again its mailboxes are moved — the source holds a MailUser, the target a
mailbox with the source's ExchangeGuid — and a final plan plans nothing. The `sync` wave stays
Synced: t2t never completes it.
"""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.helpers import ROOT, invoke, run

SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"

COMPLETE = {
    "debra@contoso.com": "debra@fabrikam.com",
    "alex@contoso.com": "alex.wilber@fabrikam.com",
    "megan@contoso.com": "megan@fabrikam.com",
}
SYNC = {
    "lynne@contoso.com": "lynne.robbins@fabrikam.com",
    "nestor@contoso.com": "nestor@fabrikam.com",
}
WAVES = """batches:
  - name: cutover
    mailboxes: [debra@contoso.com, alex@contoso.com, megan@contoso.com]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: complete
  - name: copying
    mailboxes: [lynne@contoso.com, nestor@contoso.com]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: sync
"""


def two_waves(tmp_path: Path) -> str:
    """The example with a client secret (its Key Vault mode is
    tests/e2e/test_key_vault_credential.py's) and two waves instead of its one."""
    text = SPEC.read_text(encoding="utf-8")
    text = text.replace("credential: keyVaultCertificate", "credential: clientSecret")
    text = re.sub(r"\n  keyVault:\n(    .*\n)+", "\n", text)
    spec = tmp_path / "two-waves.yaml"
    text = re.sub(r"\nbatches:\n(.*\n?)*\Z", "\n" + WAVES, text)
    spec.write_text(text, encoding="utf-8")
    return str(spec)


def advance(profile: dict[str, Any], seconds: int) -> None:
    verify = ssl.create_default_context(cafile=profile["caFile"])
    response = httpx.post(
        f"{profile['baseUrl']}/_sandbox/clock", json={"advanceSeconds": seconds}, verify=verify
    )
    response.raise_for_status()


def batch(profile: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(invoke(profile, "fabrikam", "Get-MigrationBatch", {"Identity": name})["value"][0])


def recipient(profile: dict[str, Any], tenant: str, address: str) -> dict[str, Any]:
    return dict(invoke(profile, tenant, "Get-Recipient", {"Identity": address})["value"][0])


def test_batches_created_completed_and_converged(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    guids = {s: recipient(profile, "contoso", s)["ExchangeGuid"] for s in {**COMPLETE, **SYNC}}

    first = run("plan", spec, "--detailed-exitcode", state=state)
    assert first.returncode == 2, first.stdout + first.stderr
    assert "+ target  batch.create  'cutover'" in first.stdout
    assert "+ target  batch.create  'copying'" in first.stdout

    prepared = run("apply", spec, "--auto-approve", state=state)
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    # Licences provision over the strict sandbox's 120 s: the batches wait for them (T2T-E320).
    assert "batch.create:cutover: blocked" in prepared.stdout, prepared.stdout
    advance(profile, 121)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "batch.create:cutover: done" in applied.stdout
    assert "batch.create:copying: done" in applied.stdout
    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": "cutover"})["value"]
    assert sorted(u["Identity"].lower() for u in users) == sorted(COMPLETE.values())

    advance(profile, 3600)  # both batches sync
    assert batch(profile, "cutover")["Status"].lower() == "synced"
    synced = run("plan", spec, "--format", "json", state=state)
    actions = [(a["kind"], a["key"], a["risk"]) for a in json.loads(synced.stdout)["actions"]]
    assert actions == [("batch.complete", "cutover", "disruptive")], synced.stdout

    refused = run("apply", spec, state=state)  # disruptive: needs approval
    assert refused.returncode != 0
    assert "--auto-approve" in refused.stdout + refused.stderr
    completed = run("apply", spec, "--auto-approve", state=state)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "batch.complete:cutover: done" in completed.stdout

    advance(profile, 3600)
    assert batch(profile, "cutover")["Status"].lower() == "completed"
    assert batch(profile, "copying")["Status"].lower() == "synced"  # never completed
    for source, target in COMPLETE.items():
        assert recipient(profile, "contoso", source)["RecipientTypeDetails"] == "MailUser"
        moved = recipient(profile, "fabrikam", target)
        assert moved["RecipientTypeDetails"] == "UserMailbox"
        assert moved["ExchangeGuid"] == guids[source]
    for source, target in SYNC.items():
        assert recipient(profile, "contoso", source)["RecipientTypeDetails"] == "UserMailbox"
        assert recipient(profile, "fabrikam", target)["RecipientTypeDetails"] == "MailUser"

    final = run("plan", spec, "--detailed-exitcode", state=state)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "No changes:" in final.stdout
    assert "batch cutover: Completed" in final.stdout
    assert "batch copying: Synced" in final.stdout


def started(state: Path, profile: dict[str, Any], spec: str) -> None:
    """Apply until both waves' batches exist: the first apply prepares the mailboxes and the
    batches wait while the licences provision (T2T-E320); past that, the second creates them."""
    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
    for name in ("cutover", "copying"):
        assert batch(profile, name)["Status"].lower() in ("syncing", "created"), name
