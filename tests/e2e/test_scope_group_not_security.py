"""A scope group that is a distribution group (T2T-E221, the research's G07), end to end on
`t2t sandbox serve`: made the way an admin makes one (New-DistributionGroup without
-Type Security), the plan names it before any write and holds the source relationship write
that would publish it as well as the batch; apply leaves the source's relationships as they
were; and the write sent by hand gets Exchange's answer — the command succeeds, warns that the
scope "will not be added", and the relationship publishes nothing (microsoft-365-docs #4812,
microsoft-t2t.md §3.5), so every move would fail MailboxNotInCrossTenantMigrationScopeException.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.helpers import ROOT, exchange_requests, invoke, invoke_answer, plan_json, run

GROUP = "sales-scope"
TARGET_TENANT = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
NOT_ADDED = (
    f"Access scope specified '{GROUP}' is not a security group. This scope will not be added "
    "to the organization relationship."
)


def _spec(tmp_path: Path) -> str:
    text = (ROOT / "specs" / "quickstart.yaml").read_text(encoding="utf-8")
    assert "  scopeGroup: t2tmigrationscope\n" in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("scopeGroup: t2tmigrationscope", f"scopeGroup: {GROUP}"), "utf-8")
    return str(spec)


def _source_relationships(profile: dict[str, Any]) -> list[dict[str, Any]]:
    answer = invoke(profile, "contoso", "Get-OrganizationRelationship", {})
    return [r for r in answer["value"] if TARGET_TENANT in r["DomainNames"]]


def test_a_distribution_group_as_scope_group_holds_the_relationship_write(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = _spec(tmp_path)
    invoke(profile, "contoso", "New-DistributionGroup", {"Name": GROUP, "Members": ["debra"]})
    assert _source_relationships(profile) == []

    plan = plan_json(spec, state, profile)
    [e221] = [f for f in plan["findings"] if f["code"] == "T2T-E221"]
    assert (e221["tenant"], e221["object"], e221["fixed_by_plan"]) == ("source", GROUP, False)
    assert "MailUniversalDistributionGroup" in e221["message"]
    assert "will not be added" in e221["prevents"] and "-Type Security" in e221["fix"]
    [write] = [
        a for a in plan["actions"] if a["kind"].startswith("orgrel.") and a["tenant"] == "source"
    ]
    assert write["blocked_by"] == ["T2T-E221"] and write["parameters"][
        "MailboxMovePublishedScopes"
    ] == [GROUP]
    batches = [a for a in plan["actions"] if a["kind"] == "batch.create"]
    assert batches and all("T2T-E221" in a["blocked_by"] for a in batches), batches

    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 3, applied.stdout[-3000:] + applied.stderr  # a check blocks
    assert ", 0 failed, 0 skipped, 2 blocked." in applied.stdout  # the write and the batch
    assert _source_relationships(profile) == []  # the source's relationships as they were
    sent = exchange_requests(profile, "New-OrganizationRelationship")
    assert {e["tenant"] for e in sent if e["status"] == 200} == {TARGET_TENANT}

    # Bypassed: the relationship written by hand with the distribution group. Exchange takes
    # the command, warns, and publishes no scope.
    answer = invoke_answer(
        profile,
        "contoso",
        "New-OrganizationRelationship",
        {
            "Name": "by-hand",
            "DomainNames": [TARGET_TENANT],
            "MailboxMoveEnabled": True,
            "MailboxMoveCapability": "RemoteOutbound",
            "OAuthApplicationId": APP_ID,
            "MailboxMovePublishedScopes": [GROUP],
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["@adminapi.warnings"] == [NOT_ADDED]
    [by_hand] = _source_relationships(profile)
    assert by_hand["MailboxMovePublishedScopes"] == []
