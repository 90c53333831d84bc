"""Executors of the organization-level setup against the sandbox over HTTPS.

Only the org-level domains are planned (the mailbox domain has its own tests). Each test runs
plan → apply → plan: the second plan has nothing runnable and a second apply writes nothing;
lost answers (the service acted, the client never heard) converge without duplicates.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from t2t.apply import ApplyContext, ApplyReport, apply_plan
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.planner import Plan
from t2t.planner.consent import CONSENT
from t2t.planner.context import PlanContext
from t2t.planner.domain import plan_domain
from t2t.planner.endpoint import ENDPOINT
from t2t.planner.invitation import INVITATION
from t2t.planner.migration_app import MIGRATION_APP
from t2t.planner.organization import ORGANIZATION
from t2t.planner.relationships import RELATIONSHIPS
from t2t.planner.scope_groups import SCOPE_GROUPS
from t2t.planner.shared.app import app_desire
from t2t.probes import ProbeRequest, read_snapshot
from t2t.spec import Desired, load_spec
from tests.real_clients import admin_identity

ROOT = Path(__file__).resolve().parents[2]
MERGER = load_spec(ROOT / "specs" / "contoso-fabrikam-merger.yaml")
WALKTHROUGH = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml")
DOMAINS = (ORGANIZATION, MIGRATION_APP, CONSENT, INVITATION, SCOPE_GROUPS, RELATIONSHIPS, ENDPOINT)


def _plan(spec: Desired, snapshot: Any) -> Plan:
    actions, findings = [], []
    ctx = PlanContext(spec, snapshot)
    for domain in DOMAINS:
        outcome = plan_domain(domain, ctx)
        actions += outcome.actions
        findings += outcome.findings
    return Plan(
        spec_name=spec.name,
        spec_path=spec.spec_path,
        source_tenant=spec.source.tenant_id,
        target_tenant=spec.target.tenant_id,
        actions=tuple(actions),
        findings=tuple(findings),
        unknowns=(),
    )


async def _cycle(sandbox: Any, spec: Desired) -> tuple[Plan, ApplyReport, Plan]:
    hosts = sandbox_hosts(sandbox.profile)

    request = ProbeRequest(
        source_tenant_id=spec.source.tenant_id,
        target_tenant_id=spec.target.tenant_id,
        source_parts=frozenset().union(*(d.source_needs for d in DOMAINS)),
        target_parts=frozenset().union(*(d.target_needs for d in DOMAINS)),
        app_id=spec.relationship.app.app_id,
        app_display_name=spec.relationship.app.display_name,
        app_unique_name=app_desire(spec).unique_name,
        scope_groups=tuple(spec.relationship.scope_groups),
    )
    async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
        src = connect(http, hosts, admin_identity(sandbox, "contoso"))
        tgt = connect(http, hosts, admin_identity(sandbox, "fabrikam"))
        try:
            pair = ((src.exchange, src.graph), (tgt.exchange, tgt.graph))
            before = _plan(spec, await read_snapshot(request, *pair))
            ctx = ApplyContext(
                exchange={"source": src.exchange, "target": tgt.exchange},
                graph={"source": src.graph, "target": tgt.graph},
                verify_delays=(0.0, 0.2, 0.5, 1.0, 2.0),
                hosts=hosts,
                tenant_ids={"source": src.tenant_id, "target": tgt.tenant_id},
            )
            report = await apply_plan(before, ctx)
            after = _plan(spec, await read_snapshot(request, *pair))
        finally:
            src.tokens.close()
            tgt.tokens.close()
    return before, report, after


def _fault(sandbox: Any, rule: dict[str, Any]) -> None:
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()


def _graph(sandbox: Any, tenant: str, path: str) -> list[dict[str, Any]]:
    from tests.conftest import GRAPH_SCOPE

    r = sandbox.http.get(
        f"{sandbox.base_url}/v1.0{path}",
        headers={"Authorization": f"Bearer {sandbox.token(tenant, GRAPH_SCOPE)}"},
    )
    r.raise_for_status()
    return list(r.json()["value"])


def _converged_twice(sandbox: Any, spec: Desired) -> tuple[Plan, ApplyReport]:
    before, report, after = asyncio.run(_cycle(sandbox, spec))
    assert not report.count("failed"), report
    assert after.runnable == (), [a.id for a in after.runnable]
    writes = sandbox.stats()["writes"]
    again_before, again, _ = asyncio.run(_cycle(sandbox, spec))
    assert again_before.runnable == ()
    assert [r.status for r in again.results] == ["blocked"] * len(again.results)
    assert sandbox.stats()["writes"] == writes
    return before, report


def test_merger_setup_converges_from_the_default_seed(sandbox: Any) -> None:
    before, _ = _converged_twice(sandbox, MERGER)
    assert [a.kind for a in before.actions][:3] == ["app.create", "consent.grant", "consent.grant"]
    mine = [a for a in _graph(sandbox, "fabrikam", "/applications") if a.get("uniqueName")]
    assert len(mine) == 1
    assert [p["displayName"] for p in mine[0]["passwordCredentials"]] == [
        "t2t:endpoint:contoso-merger"
    ]


def test_dehydrated_tenants_are_customized_first(sandbox: Any) -> None:
    for name in ("contoso", "fabrikam"):
        sandbox.http.post(
            f"{sandbox.base_url}/_sandbox/exchange/{name}/organization",
            json={"isDehydrated": True},
        ).raise_for_status()
    before, _ = _converged_twice(sandbox, WALKTHROUGH)
    kinds = [a.kind for a in before.actions]
    assert kinds.count("org.enable_customization") == 2
    org = sandbox.invoke("fabrikam", "Get-OrganizationConfig", {}).json()["value"][0]
    assert org["IsDehydrated"] is False


def test_lost_answers_converge_without_a_second_app_or_endpoint(sandbox: Any) -> None:
    for match in (
        {"service": "graph", "method": "PATCH", "path": "uniqueName"},
        {"service": "exchange", "cmdlet": "New-MigrationEndpoint"},
    ):
        _fault(sandbox, {"kind": "drop", "count": 1, "afterHandling": True, "match": match})
    _, report = _converged_twice(sandbox, MERGER)
    assert not report.count("failed")
    mine = [a for a in _graph(sandbox, "fabrikam", "/applications") if a.get("uniqueName")]
    assert len(mine) == 1
    # The endpoint was created (its answer lost): the secret it uses is kept, exactly one.
    assert len(mine[0]["passwordCredentials"]) == 1
    endpoints = sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {}).json()["value"]
    assert [e["Name"] for e in endpoints] == ["contoso-merger"]
