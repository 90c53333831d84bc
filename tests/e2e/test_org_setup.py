"""The organization-level setup end to end, as a user runs it (subprocesses, `t2t sandbox serve`).

Merger spec (register the app by displayName, clientSecret): plan shows the whole chain in
dependency order → apply converges it (app, consent both sides, scope members, relationships,
endpoint) → plan has nothing runnable left → a second apply writes nothing. A failure between
addPassword and New-MigrationEndpoint (a sandbox fault), plus a secret a killed run left behind,
followed by apply converges with no duplicate app, secret or endpoint.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from t2t.planner import EXIT_LEFT_OUT
from tests.e2e.helpers import ROOT, control, exchange_requests, graph, invoke, run, stats

MERGER = str(ROOT / "specs" / "contoso-fabrikam-merger.yaml")
APP_NAME = "T2T mailbox migration"
MARKER = "t2t:endpoint:contoso-merger"
CHAIN = [
    "+ target  app.create",
    "+ target  consent.grant",
    "+ source  consent.grant",
    "~ source  group.add_members",
    "+ target  orgrel.create",
    "+ source  orgrel.create",
    "+ target  endpoint.create",
]


def _apps(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for a in graph(profile, "fabrikam", "GET", "/applications")["value"]
        if a["displayName"] == APP_NAME
    ]


def _mine(profile: dict[str, Any]) -> dict[str, Any]:
    mine = [a for a in _apps(profile) if (a.get("uniqueName") or "").startswith("t2t-")]
    assert len(mine) == 1, mine
    return mine[0]


def _markers(profile: dict[str, Any]) -> list[str]:
    return [p["keyId"] for p in _mine(profile)["passwordCredentials"] if p["displayName"] == MARKER]


def _runnable(stdout: str) -> list[str]:
    return [ln.strip() for ln in stdout.splitlines() if ln.startswith(("  + ", "  ~ "))]


def test_merger_org_setup_converges_and_stays_converged(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    first = run("plan", MERGER, state=state)
    lines = [ln.strip() for ln in first.stdout.splitlines()]
    found = [next(i for i, ln in enumerate(lines) if ln.startswith(step)) for step in CHAIN]
    assert found == sorted(found), "the chain is listed in dependency order"
    assert '+ OAuthApplicationId         = "(known after apply)"' in first.stdout
    assert '+ appId                  = "(known after apply)"' in first.stdout
    assert "T2T-W207" in first.stdout  # the seed's hand-made app of that name is not adopted

    applied = run("apply", MERGER, "--auto-approve", state=state)
    assert " 0 failed" in applied.stdout, applied.stdout[-3000:] + applied.stderr
    # only the seed's mailbox blockers (holds, DirSynced …): those mailboxes are left out
    assert applied.returncode == EXIT_LEFT_OUT

    again = run("plan", MERGER, "--detailed-exitcode", state=state)
    assert again.returncode == EXIT_LEFT_OUT, again.stdout[-3000:]
    assert _runnable(again.stdout) == []
    assert "Plan: 0 to add, 0 to change, 0 to destroy" in again.stdout

    app = _mine(profile)
    assert len(_apps(profile)) == 2  # the seed's and t2t's, never a second of t2t's
    assert app["signInAudience"] == "AzureADMultipleOrgs"
    assert len(_markers(profile)) == 1
    endpoints = invoke(profile, "fabrikam", "Get-MigrationEndpoint", {})["value"]
    assert [(e["Name"], e["ApplicationId"], e["RemoteTenant"]) for e in endpoints] == [
        ("contoso-merger", app["appId"], "contoso.onmicrosoft.com")
    ]
    source = invoke(profile, "contoso", "Get-OrganizationRelationship", {})["value"]
    assert [r["OAuthApplicationId"] for r in source] == [app["appId"]]
    members = invoke(
        profile, "contoso", "Get-DistributionGroupMember", {"Identity": "t2tmigrationscope"}
    )["value"]
    assert len(members) >= 30
    # On the wire, the endpoint's secret and every MailUser's password went only as the
    # module's RSA ciphertext (2048-bit key: 256 bytes), and the strict sandbox took them.
    sent = [
        (cmdlet, e["status"], e["cmdletInput"]["Parameters"][field])
        for cmdlet, field in (
            ("New-MigrationEndpoint", "Credentials"),
            ("New-MailUser", "Password"),
        )
        for e in exchange_requests(profile, cmdlet)
    ]
    assert {(cmdlet, status) for cmdlet, status, _ in sent} == {
        ("New-MigrationEndpoint", 200),
        ("New-MailUser", 200),
    }
    assert all(len(base64.b64decode(value, validate=True)) == 256 for _, _, value in sent)

    before = stats(profile)
    second = run("apply", MERGER, "--auto-approve", state=state)
    assert "Nothing to apply." in second.stdout
    assert stats(profile)["writes"] == before["writes"]


def test_a_crash_between_secret_and_endpoint_converges_without_duplicates(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    control(
        profile,
        "POST",
        "faults",
        {
            "kind": "error",
            "status": 500,
            "match": {"service": "exchange", "cmdlet": "New-MigrationEndpoint"},
            "count": 50,
        },
    )
    broken = run("apply", MERGER, "--auto-approve", state=state)
    assert broken.returncode == 1
    assert "endpoint.create" in broken.stdout and "failed" in broken.stdout
    assert _markers(profile) == []  # the executor removed the secret it could not use
    # A run killed right after addPassword leaves a marked secret behind:
    graph(
        profile,
        "fabrikam",
        "POST",
        f"/applications/{_mine(profile)['id']}/addPassword",
        {"passwordCredential": {"displayName": MARKER}},
    )
    orphan = _markers(profile)
    assert len(orphan) == 1
    control(profile, "DELETE", "faults")

    plan = run("plan", MERGER, state=state)
    assert "unused t2t secrets (removed)" in plan.stdout
    fixed = run("apply", MERGER, "--auto-approve", state=state)
    assert " 0 failed" in fixed.stdout, fixed.stdout[-3000:]
    kept = _markers(profile)
    assert len(kept) == 1 and kept != orphan  # the orphan went; the endpoint's secret stays
    assert len(_apps(profile)) == 2
    endpoints = invoke(profile, "fabrikam", "Get-MigrationEndpoint", {})["value"]
    assert [e["Name"] for e in endpoints] == ["contoso-merger"]
    again = run("plan", MERGER, "--detailed-exitcode", state=state)
    assert _runnable(again.stdout) == []
