"""The mailbox part end to end, as a user runs it (subprocesses, `t2t sandbox serve`).

plan shows, per declared mailbox, the chain MailUser → identity → usageLocation → licences in
dependency order → apply converges it (licences land on MailUsers that carry the source's
ExchangeGuid, so no fresh mailbox is provisioned) → a second plan has nothing to do for the
mailboxes → a second apply writes nothing (the sandbox's counters). The generated New-MailUser
password (pinned here to a sentinel through a wrapper around the real CLI) never appears in
stdout, stderr, a saved plan or a JSON log line. A Set-MailUser that fails skips the licence
and leaves a MailUser, not a freshly provisioned mailbox. The merger spec's awkward seed users
each get the right finding.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.helpers import ROOT, invoke, run, stats
from tests.e2e.test_batches import advance

SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"
MERGER = ROOT / "specs" / "contoso-fabrikam-merger.yaml"
SENTINEL = "Sentinel-Pa55word!x9Q"
MAILBOXES = {
    "debra@contoso.com": "debra@fabrikam.com",
    "alex@contoso.com": "alex.wilber@fabrikam.com",
    "megan@contoso.com": "megan@fabrikam.com",
    "lynne@contoso.com": "lynne.robbins@fabrikam.com",
    "nestor@contoso.com": "nestor@fabrikam.com",
}
CHAIN = ("mailuser.create", "mailuser.set_identity", "user.usage_location", "license.assign")
# The real CLI, with the password generator pinned so the test can look for the value.
WRAPPER = (
    "import t2t.apply.executors.mailuser as m; "
    f"m.generate_password = lambda: {SENTINEL!r}; "
    "from t2t.cli import main; main()"
)


def run_pinned(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, T2T_SANDBOX=str(state))
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )


def fault(profile: dict[str, Any], rule: dict[str, Any] | None) -> None:
    verify = ssl.create_default_context(cafile=profile["caFile"])
    url = f"{profile['baseUrl']}/_sandbox/faults"
    response = (
        httpx.post(url, json=rule, verify=verify) if rule else httpx.delete(url, verify=verify)
    )
    response.raise_for_status()


def graph_user(profile: dict[str, Any], upn: str) -> dict[str, Any]:
    """Licences as Exchange sees them (Get-User has no licences; use the MailUser's)."""
    return dict(invoke(profile, "fabrikam", "Get-User", {"Identity": upn})["value"][0])


def test_mailboxes_prepared_end_to_end(served: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    state, profile = served
    spec = str(SPEC)

    first = run("plan", spec, "--detailed-exitcode", state=state)
    # 3 when an org-level step waits for a person (e.g. source consent); mailboxes don't block
    assert first.returncode in (2, 3, 6), first.stdout + first.stderr
    for target in MAILBOXES.values():
        lines = [first.stdout.index(f"target  {kind}  '{target}'") for kind in CHAIN]
        assert lines == sorted(lines), target  # dependency order, per mailbox
    assert "ArchiveGuid" in first.stdout  # megan's archive
    assert "smtp:debra@fabrikam.mail.onmicrosoft.com" in first.stdout  # targetDeliveryDomain

    saved = tmp_path / "plan.json"
    planned = run_pinned("plan", spec, "--out", str(saved), state=state)
    assert planned.returncode in (0, 2, 3, 6), planned.stdout + planned.stderr

    applied = run_pinned(
        "--log-format",
        "json",
        "--log-level",
        "debug",
        "apply",
        spec,
        "--auto-approve",
        state=state,
    )
    out = applied.stdout + applied.stderr
    for target in MAILBOXES.values():
        for kind in CHAIN:
            assert f"✓ target:{kind}:{target}: done" in applied.stdout, (kind, target, out)
    assert SENTINEL not in out
    assert SENTINEL not in saved.read_text(encoding="utf-8")
    assert '"Password"' not in json.dumps(
        json.loads(saved.read_text())["plan"]["actions"][0]["parameters"]
    )

    advance(profile, 121)  # past the strict profile's licensing time: Exchange has reacted
    for source, target in MAILBOXES.items():
        mbx = invoke(profile, "contoso", "Get-Mailbox", {"Identity": source})["value"][0]
        mu = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": target})["value"][0]
        assert mu["RecipientTypeDetails"] == "MailUser"  # licensed, yet no fresh mailbox
        assert mu["ExchangeGuid"] == mbx["ExchangeGuid"]
        assert mu["ArchiveGuid"] == mbx["ArchiveGuid"]
        proxies = {a.lower() for a in mu["EmailAddresses"]}
        assert f"x500:{mbx['LegacyExchangeDN']}".lower() in proxies
        assert any(a.endswith("@fabrikam.mail.onmicrosoft.com") for a in proxies)
        assert "ExchangeT2TMbxMove" in mu["PersistedCapabilities"]

    clean = run("plan", spec, state=state)
    assert "mailuser." not in clean.stdout and "license.assign" not in clean.stdout, clean.stdout
    before = stats(profile)
    again = run("apply", spec, "--auto-approve", state=state)
    after = stats(profile)
    # Every mailbox is prepared and its licence provisioned: all that is left is the wave's
    # batch (the endpoint exists since the Key Vault chain converged), under the apply lease.
    done = [s for s in map(str.strip, again.stdout.splitlines()) if s and s[0] in "✓✗⊘"]
    assert done == ["✓ target:batch.create:wave-1: done — New-MigrationBatch verified"], (
        again.stdout
    )
    # Reads: Get-/Test- cmdlets and the module download (EXOModuleFile: the plan reads the
    # parameters t2t's session may pass from it, T2T-E319).
    written = {
        cmdlet: n - before["byCmdlet"].get(cmdlet, 0)
        for cmdlet, n in after["byCmdlet"].items()
        if not cmdlet.startswith(("Get-", "Test-"))
        and cmdlet != "EXOModuleFile"
        and n != before["byCmdlet"].get(cmdlet, 0)
    }
    lease = {
        "New-MailContact",
        "Set-MailContact",
        "Remove-MailContact",
    }  # README "One apply at a time"
    assert set(written) == {"New-MigrationBatch"} | lease, written
    assert written["New-MigrationBatch"] == 1, written
    assert after["writes"] - before["writes"] == sum(written.values()), (before, after)


def test_failed_stamping_withholds_the_licence(served: tuple[Path, dict[str, Any]]) -> None:
    state, profile = served
    fault(
        profile,
        {
            "kind": "error",
            "status": 400,
            "match": {"service": "exchange", "cmdlet": "Set-MailUser"},
        },
    )
    applied = run("apply", str(SPEC), "--auto-approve", state=state)
    assert applied.returncode != 0, applied.stdout + applied.stderr
    assert "✗ target:mailuser.set_identity:debra@fabrikam.com: failed" in applied.stdout
    assert "target:license.assign:debra@fabrikam.com: skipped" in applied.stdout
    mu = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": "debra@fabrikam.com"})
    record = mu["value"][0]
    assert record["RecipientTypeDetails"] == "MailUser"
    assert record["ExchangeGuid"] == "00000000-0000-0000-0000-000000000000"
    assert "ExchangeT2TMbxMove" not in (record.get("PersistedCapabilities") or [])

    fault(profile, None)
    fixed = run("apply", str(SPEC), "--auto-approve", state=state)
    assert "✓ target:license.assign:debra@fabrikam.com: done" in fixed.stdout, fixed.stdout


def test_awkward_seed_users_get_the_right_findings(served: tuple[Path, dict[str, Any]]) -> None:
    state, _ = served
    result = run("plan", str(MERGER), "--format", "json", state=state)
    plan = json.loads(result.stdout)
    plan = plan.get("plan", plan)
    found = {(f["code"], f["object"]) for f in plan["findings"]}
    assert ("T2T-E304", "henrietta@contoso.com") in found  # litigation hold
    assert ("T2T-E304", "ceo@contoso.com") in found  # hold, archive and x500 history
    assert ("T2T-E310", "miriam@fabrikam.com") in found  # already has a mailbox
    assert ("T2T-E311", "johanna@fabrikam.com") in found  # synced from on-premises
    assert ("T2T-E312", "johanna@fabrikam.com") in found  # its fabrikam.local proxy
    actions = {(a["kind"], a["key"]): a for a in plan["actions"]}
    assert not any(key == "miriam@fabrikam.com" for _, key in actions)
    assert not any(key == "johanna@fabrikam.com" for _, key in actions)
    allan = actions[("mailuser.set_identity", "allan.deyoung@fabrikam.com")]
    x500s = [a for a in allan["parameters"]["EmailAddresses"]["add"] if a.startswith("X500:")]
    assert len(x500s) == 3  # LegacyExchangeDN and both historic x500s
    adele = actions[("mailuser.set_identity", "adele@fabrikam.com")]
    assert "ArchiveGuid" in adele["parameters"]  # the archive
    assert (
        actions[("mailuser.create", "patti@fabrikam.com")]["parameters"]["Name"] == "Patti O'Brien"
    )
    assert (
        actions[("mailuser.create", "vera@fabrikam.com")]["parameters"]["Name"] == "Věra Nováková"
    )
    assert all(
        a["blocked_by"] == ["T2T-E304"]
        for (_, k), a in actions.items()
        if k == "henrietta@fabrikam.com"
    )
