"""Tenant names beside their ids (issue 15): the plan header and `t2t show`, from each
organization's DisplayName as read; the id alone when none was read."""

from __future__ import annotations

from t2t.planner import Plan
from t2t.render import render_plan, render_snapshot, tenant_names
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState

SOURCE = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
TARGET = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"


def _plan() -> Plan:
    return Plan(
        spec_name="x",
        spec_path="x.yaml",
        source_tenant=SOURCE,
        target_tenant=TARGET,
        actions=(),
        findings=(),
        unknowns=(),
    )


def _tenant(role: str, tenant_id: str, org: Fact[OrganizationConfig]) -> TenantState:
    return TenantState(
        role=role,  # type: ignore[arg-type]
        tenant_id=tenant_id,
        organization=org,
        relationships=Fact.present(()),
    )


def test_the_plan_header_puts_each_name_beside_its_id() -> None:
    header = render_plan(_plan(), {SOURCE: "Contoso", TARGET: "Fabrikam Ltd"}).splitlines()[0]
    assert header == f"t2t plan: x  (source Contoso ({SOURCE}) -> target Fabrikam Ltd ({TARGET}))"


def test_without_a_name_the_id_stands_alone_and_a_name_cannot_drive_the_terminal() -> None:
    alone = render_plan(_plan()).splitlines()[0]
    assert alone == f"t2t plan: x  (source {SOURCE} -> target {TARGET})"
    header = render_plan(_plan(), {TARGET: "Evil\x1b[2J\u202e Corp", SOURCE: " \x07 "})
    assert header.splitlines()[0] == (
        f"t2t plan: x  (source {SOURCE} -> target Evil[2J Corp ({TARGET}))"
    )


def test_names_come_from_each_organization_that_was_read() -> None:
    named = OrganizationConfig(name="contoso", is_dehydrated=False, display_name="Contoso")
    snapshot = Snapshot(
        source=_tenant("source", SOURCE, Fact.present(named)),
        target=_tenant("target", TARGET, Fact.unknown("Get-OrganizationConfig failed: 503")),
    )
    assert tenant_names(snapshot) == {SOURCE: "Contoso"}
    shown = render_snapshot(snapshot).splitlines()
    assert f"source tenant Contoso ({SOURCE})" in shown
    assert f"target tenant {TARGET}" in shown
