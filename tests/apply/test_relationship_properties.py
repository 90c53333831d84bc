"""Properties of plan/apply on the organization relationships, against the sandbox over HTTPS.

From any reachable starting state: apply then plan leaves nothing runnable; a second apply
writes nothing; a write whose answer is lost (the connection drops after Exchange acted) is
converged by the same apply with no duplicate object (DESIGN.md, "Tests").
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2t.apply import ApplyContext, ApplyReport, apply_plan
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.planner import Plan
from t2t.planner.context import PlanContext
from t2t.planner.domain import plan_domain
from t2t.planner.relationships import RELATIONSHIPS
from t2t.probes import ProbeRequest, read_snapshot
from t2t.spec import load_spec
from tests.real_clients import admin_identity

SPEC = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")
NAME = SPEC.relationship.name
SRC, TGT = SPEC.source.tenant_id, SPEC.target.tenant_id
OTHER = "22222222-3333-4444-8555-666666666666"

#: Starting states of one side, as the parameters of a New-OrganizationRelationship (or None).
TARGET_STARTS: dict[str, dict[str, Any] | None] = {
    "absent": None,
    "correct": {
        "DomainNames": [SRC],
        "MailboxMoveEnabled": True,
        "MailboxMoveCapability": "Inbound",
    },
    "wrong-tenant": {
        "DomainNames": [OTHER],
        "MailboxMoveEnabled": True,
        "MailboxMoveCapability": "Inbound",
    },
    "disabled": {
        "DomainNames": [SRC],
        "Enabled": False,
        "MailboxMoveEnabled": False,
        "MailboxMoveCapability": "Inbound",
    },
    "no-capability": {"DomainNames": [SRC], "MailboxMoveEnabled": True},
    "keyed-on-domain": {
        "DomainNames": ["contoso.onmicrosoft.com"],
        "MailboxMoveEnabled": True,
        "MailboxMoveCapability": "RemoteOutbound",
    },
}
SOURCE_STARTS: dict[str, dict[str, Any] | None] = {
    "absent": None,
    "correct": {
        "DomainNames": [TGT],
        "MailboxMoveEnabled": True,
        "MailboxMoveCapability": "RemoteOutbound",
        "OAuthApplicationId": SPEC.relationship.app.app_id,
        "MailboxMovePublishedScopes": ["t2tmigrationscope"],
    },
    "wrong-app-no-scope": {
        "DomainNames": [TGT],
        "MailboxMoveEnabled": True,
        "MailboxMoveCapability": "RemoteOutbound",
        "OAuthApplicationId": OTHER,
    },
    "wrong-tenant": {"DomainNames": [OTHER], "MailboxMoveCapability": "Inbound"},
}


def _arrange(sandbox: Any, tenant: str, params: dict[str, Any] | None) -> None:
    if params is None:
        return
    name = params.pop("Name", NAME)
    if "keyed-on-domain" in str(params.get("DomainNames")):
        name = "legacy sharing"
    r = sandbox.invoke(tenant, "New-OrganizationRelationship", {"Name": name, **params})
    assert r.status_code == 200, r.text


def relationship_plan(snapshot: Any) -> Plan:
    """Only the relationships domain: the property is about its executor, and the other
    domains' prerequisites (app, consent, …) are outside this test."""
    outcome = plan_domain(RELATIONSHIPS, PlanContext(SPEC, snapshot))
    return Plan(
        spec_name=SPEC.name,
        spec_path=SPEC.spec_path,
        source_tenant=SRC,
        target_tenant=TGT,
        actions=tuple(outcome.actions),
        findings=tuple(outcome.findings),
        unknowns=(),
    )


async def _cycle(sandbox: Any) -> tuple[Plan, ApplyReport, Plan]:
    hosts = sandbox_hosts(sandbox.profile)

    request = ProbeRequest(
        source_tenant_id=SRC,
        target_tenant_id=TGT,
        source_parts=RELATIONSHIPS.source_needs,
        target_parts=RELATIONSHIPS.target_needs,
    )
    async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
        src = connect(http, hosts, admin_identity(sandbox, "contoso"))
        tgt = connect(http, hosts, admin_identity(sandbox, "fabrikam"))
        try:
            pair = ((src.exchange, src.graph), (tgt.exchange, tgt.graph))
            before = relationship_plan(await read_snapshot(request, *pair))
            ctx = ApplyContext(
                exchange={"source": src.exchange, "target": tgt.exchange},
                verify_delays=(0.0, 0.2, 0.5, 1.0, 2.0),
            )
            report = await apply_plan(before, ctx)
            after = relationship_plan(await read_snapshot(request, *pair))
        finally:
            src.tokens.close()
            tgt.tokens.close()
    return before, report, after


def _relationship_names(sandbox: Any, tenant: str) -> list[str]:
    r = sandbox.invoke(tenant, "Get-OrganizationRelationship", {})
    return sorted(v["Name"] for v in r.json()["value"])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(target=st.sampled_from(sorted(TARGET_STARTS)), source=st.sampled_from(sorted(SOURCE_STARTS)))
def test_apply_converges_and_a_second_apply_writes_nothing(
    sandbox: Any, target: str, source: str
) -> None:
    sandbox.reset()
    _arrange(sandbox, "fabrikam", dict(TARGET_STARTS[target] or {}) or None)
    _arrange(sandbox, "contoso", dict(SOURCE_STARTS[source] or {}) or None)
    _, report, after = asyncio.run(_cycle(sandbox))
    assert report.ok, report
    assert after.runnable == ()
    assert [f.code for f in after.findings if not f.code.startswith("T2T-W12")] == []
    writes = sandbox.stats()["writes"]
    again_before, again, _ = asyncio.run(_cycle(sandbox))
    assert again_before.runnable == ()
    assert again.results == []
    assert sandbox.stats()["writes"] == writes


def test_a_lost_answer_to_a_write_converges_without_a_duplicate(sandbox: Any) -> None:
    """Exchange creates the relationship but the answer never arrives; the client retries,
    Exchange refuses the duplicate, the executor re-reads and finds the work done."""
    rule = {
        "kind": "drop",
        "count": 1,
        "afterHandling": True,  # Exchange acts, the answer is lost
        "match": {"service": "exchange", "cmdlet": "New-OrganizationRelationship"},
    }
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()
    before, report, after = asyncio.run(_cycle(sandbox))
    assert len(before.runnable) == 2
    assert report.ok, report
    assert any("already converged after" in r.message for r in report.results), report
    assert after.runnable == ()
    assert _relationship_names(sandbox, "fabrikam") == [NAME]
    assert _relationship_names(sandbox, "contoso") == [NAME]
