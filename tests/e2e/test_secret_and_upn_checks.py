"""T2T-E237 and T2T-E321 end to end, each defect made through Microsoft's protocols.

E237: the endpoint's secret (addPassword's default two years) ends before a wave's
completeAfter. The plan names it before any write and apply gives the endpoint a secret that
outlives it; with the check bypassed (nothing applied), the move fails once the secret ends,
with the exception the check names. E321: the spec's upnDomain is a domain the target added
but never verified; the plan blocks every MailUser before New-MailUser, apply creates none, and
New-MailUser driven by hand is refused as the check says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.apply_order import served as served_with
from tests.e2e.helpers import (
    ROOT,
    graph,
    invoke,
    invoke_answer,
    module_secure_string,
    plan_json,
    run,
)
from tests.e2e.test_batches import advance, started, two_waves
from tests.e2e.test_endpoint_credential import SEED_APP

MARKER = "t2t:endpoint:contoso-t2t"
TWO_YEARS = dt.timedelta(days=730)


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _marker_secrets(profile: dict[str, Any]) -> list[dict[str, Any]]:
    app = graph(profile, "fabrikam", "GET", SEED_APP)  # the app the example spec adopts
    return [p for p in app["passwordCredentials"] if p["displayName"] == MARKER]


def _with_complete_after(spec: str, when: dt.datetime) -> str:
    """The cutover wave of `two_waves` completing at `when` (as -CompleteAfter)."""
    text = Path(spec).read_text(encoding="utf-8")
    stamp = when.isoformat(timespec="seconds").replace("+00:00", "Z")
    wave = "    phase: complete\n"
    text = text.replace(wave, f"{wave}    completeAfter: '{stamp}'\n")
    Path(spec).write_text(text, encoding="utf-8")
    return spec


def test_a_secret_ending_before_complete_after_is_replaced_by_one_outliving_it(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    first = run("apply", spec, "--auto-approve", state=state)
    assert "endpoint.create" in first.stdout, first.stdout[-3000:] + first.stderr
    [old] = _marker_secrets(profile)  # no completeAfter: addPassword's default lifetime
    assert abs(_utc(old["endDateTime"]) - _utc(old["startDateTime"]) - TWO_YEARS) < dt.timedelta(
        days=2
    )

    complete_after = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3 * 365)
    _with_complete_after(spec, complete_after)
    plan = plan_json(spec, state, profile)
    [e237] = [f for f in plan["findings"] if f["code"] == "T2T-E237"]
    assert e237["fixed_by_plan"] and old["keyId"] in e237["message"], e237
    assert "AADSTS7000222" in e237["prevents"]
    update = next(a for a in plan["actions"] if a["kind"] == "endpoint.update")
    needed = complete_after + dt.timedelta(days=30)
    assert update["desired"]["secret_needed_until"] == needed.isoformat().replace("+00:00", "Z")
    assert set(update["parameters"]) == {"Identity", "Credentials"}

    fixed = run("apply", spec, "--auto-approve", state=state)
    assert "endpoint.update" in fixed.stdout and " 0 failed" in fixed.stdout, fixed.stdout[-3000:]
    [new] = _marker_secrets(profile)
    assert new["keyId"] != old["keyId"]  # the old one went once the endpoint held the new
    assert _utc(new["endDateTime"]) == needed  # asked for: the default would end too early
    [tested] = invoke(
        profile, "fabrikam", "Test-MigrationServerAvailability", {"Endpoint": "contoso-t2t"}
    )["value"]
    assert tested["Result"] == "Success"
    again = plan_json(spec, state, profile)
    assert "T2T-E237" not in {f["code"] for f in again["findings"]}
    assert "endpoint.update" not in {a["kind"] for a in again["actions"]}


def test_bypassed_the_ending_secret_fails_the_move_as_the_check_says(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    started(state, profile, spec)  # both waves' batches run against t2t's two-year secret
    [old] = _marker_secrets(profile)
    _with_complete_after(spec, dt.datetime.now(dt.UTC) + dt.timedelta(days=3 * 365))
    plan = plan_json(spec, state, profile)
    [e237] = [f for f in plan["findings"] if f["code"] == "T2T-E237"]

    # Not applied: the secret ends; the batch is completed by hand, and completion signs in.
    advance(profile, int((_utc(old["endDateTime"]) - dt.datetime.now(dt.UTC)).total_seconds()))
    advance(profile, 86400)
    invoke(
        profile, "fabrikam", "Complete-MigrationBatch", {"Identity": "copying", "Confirm": False}
    )
    advance(profile, 3600)
    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": "copying"})["value"]
    assert {u["Status"] for u in users} == {"Failed"}, users
    error = invoke(
        profile, "fabrikam", "Get-MigrationUserStatistics", {"Identity": users[0]["Identity"]}
    )["value"][0]["Error"]
    assert "MigrationServerConnectionFailedException" in error and "AADSTS7000222" in error
    assert "are expired" in error
    assert "AADSTS7000222" in e237["prevents"] and "expired" in e237["prevents"]


UNVERIFIED = "fabrikam.net"


def _seed_with_unverified_domain(tmp_path: Path) -> Path:
    seed = (ROOT / "t2t" / "sandbox" / "default_seed.yaml").read_text(encoding="utf-8")
    line = "    domains: [fabrikam.com, fabrikam.mail.onmicrosoft.com]\n"
    assert line in seed
    path = tmp_path / "seed.yaml"
    path.write_text(seed.replace(line, f"{line}    unverifiedDomains: [{UNVERIFIED}]\n"))
    return path


def _new_mail_user(profile: dict[str, Any], upn: str) -> httpx.Response:
    """New-MailUser as an admin's script sends it (the InvokeCommand answer, refused or not)."""
    params = {
        "Name": "Debra by hand",
        "MicrosoftOnlineServicesID": upn,
        "PrimarySmtpAddress": "debra.hand@fabrikam.com",
        "ExternalEmailAddress": "debra@contoso.com",
        "Password": module_secure_string(profile, "fabrikam", "Pa55-not-logged!"),
    }
    return invoke_answer(profile, "fabrikam", "New-MailUser", params)


def test_an_unverified_upn_domain_blocks_every_new_mailuser_before_new_mailuser(
    tmp_path: Path,
) -> None:
    spec = two_waves(tmp_path)
    text = Path(spec).read_text(encoding="utf-8")
    text = re.sub(r"upnDomain: \S+", f"upnDomain: {UNVERIFIED}", text)
    Path(spec).write_text(text, encoding="utf-8")
    state = tmp_path / "sandbox"
    with served_with(state, _seed_with_unverified_domain(tmp_path)) as profile:
        domains = graph(profile, "fabrikam", "GET", "/domains")["value"]
        assert {d["id"]: d["isVerified"] for d in domains}[UNVERIFIED] is False

        plan = plan_json(spec, state, profile)
        e321 = [f for f in plan["findings"] if f["code"] == "T2T-E321"]
        creates = [a for a in plan["actions"] if a["kind"] == "mailuser.create"]
        assert creates and {f["object"] for f in e321} == {a["key"] for a in creates}
        assert all(a["blocked_by"] == ["T2T-E321"] for a in creates)
        assert all("identities.upnDomain" in f["message"] for f in e321)

        applied = run("apply", spec, "--auto-approve", state=state)
        assert ":mailuser.create:" not in "".join(
            ln for ln in applied.stdout.splitlines() if ln.endswith(": done")
        ), applied.stdout
        assert "target:endpoint.create:contoso-t2t: done" in applied.stdout  # the rest ran
        for action in creates:
            found = invoke(profile, "fabrikam", "Get-Recipient", {"ResultSize": "Unlimited"})
            addresses = {r["PrimarySmtpAddress"].lower() for r in found["value"]}
            assert action["key"].lower() not in addresses

        refused = _new_mail_user(profile, f"debra.hand@{UNVERIFIED}")
        assert refused.status_code == 400, refused.text
        assert "not on a verified domain" in refused.text and UNVERIFIED in refused.text
        assert "not on a verified domain" in e321[0]["prevents"]
        accepted = _new_mail_user(profile, "debra.hand@fabrikam.com")
        assert accepted.status_code == 200, accepted.text  # the same call, a verified domain
