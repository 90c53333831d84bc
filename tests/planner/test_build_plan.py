"""build_plan over a whole spec and a hand-made snapshot: unknown, blocked, permissions."""

from __future__ import annotations

from pathlib import Path

from t2t.planner import EXIT_CHANGES, EXIT_OK, EXIT_UNKNOWN, build_plan
from t2t.probes import parse_relationship
from t2t.spec import load_spec
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState

SPEC = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")
EXCHANGE_ADMIN = "exchange-wid:29232cdf-9323-42fd-ade2-1d097af3e4de"
ROLES = ("exchange:Exchange.ManageAsApp", EXCHANGE_ADMIN)


def tenant(
    role: str,
    relationships: object = (),
    *,
    dehydrated: bool = False,
    roles: tuple[str, ...] = ROLES,
) -> TenantState:
    rels: Fact[object] = (
        relationships if isinstance(relationships, Fact) else Fact.present(relationships)
    )
    return TenantState(
        role=role,  # type: ignore[arg-type]
        tenant_id="x",
        organization=Fact.present(OrganizationConfig(name=role, is_dehydrated=dehydrated)),
        relationships=rels,  # type: ignore[arg-type]
        identity_roles=Fact.present(roles),
    )


def test_fresh_tenants_plan_two_creates() -> None:
    plan = build_plan(SPEC, Snapshot(tenant("source"), tenant("target")))
    assert [a.id for a in plan.actions] == [
        "target:orgrel.create:contoso-to-fabrikam",
        "source:orgrel.create:contoso-to-fabrikam",
    ]
    assert plan.exit_code(detailed=True) == EXIT_CHANGES
    assert plan.exit_code(detailed=False) == EXIT_OK
    assert all(a.unverified == ("WIRE-1",) for a in plan.actions)


def test_unknown_side_plans_nothing_and_exits_4() -> None:
    plan = build_plan(SPEC, Snapshot(tenant("source", Fact.unknown("HTTP 503")), tenant("target")))
    assert [a.tenant for a in plan.actions] == ["target"]
    assert [(u.tenant, u.what) for u in plan.unknowns] == [("source", "relationships")]
    assert plan.exit_code(detailed=True) == EXIT_UNKNOWN


def test_dehydrated_target_is_customized_first() -> None:
    """E110 is fixed by the plan: Enable-OrganizationCustomization, then the relationship."""
    plan = build_plan(SPEC, Snapshot(tenant("source"), tenant("target", dehydrated=True)))
    assert [(f.code, f.fixed_by_plan) for f in plan.findings if f.code == "T2T-E110"] == [
        ("T2T-E110", True)
    ]
    assert plan.blocking == ()
    by_id = {a.id: a for a in plan.actions}
    assert by_id["target:orgrel.create:contoso-to-fabrikam"].depends_on == (
        "target:org.enable_customization:organization",
    )
    assert by_id["target:org.enable_customization:organization"].cmdlet == (
        "Enable-OrganizationCustomization"
    )
    assert by_id["source:orgrel.create:contoso-to-fabrikam"].depends_on == ()
    assert plan.exit_code(detailed=True) == EXIT_CHANGES


def test_missing_application_permission_warns_w120() -> None:
    plan = build_plan(SPEC, Snapshot(tenant("source", roles=()), tenant("target")))
    warnings = [f for f in plan.findings if f.code == "T2T-W120"]
    assert [(f.tenant, f.object) for f in warnings] == [("source", "Exchange.ManageAsApp")]
    assert "Organization Management" in " ".join(plan.permissions["target"])


def test_an_exchange_token_without_an_admin_role_warns_w121_with_the_fix() -> None:
    from t2t.planner.checks import EXCHANGE_ROLE_FIX

    no_role = ("exchange:Exchange.ManageAsApp",)
    plan = build_plan(SPEC, Snapshot(tenant("source"), tenant("target", roles=no_role)))
    found = [f for f in plan.findings if f.code == "T2T-W121"]
    assert [(f.tenant, f.object, f.severity, f.fix) for f in found] == [
        ("target", "Exchange RBAC", "warning", EXCHANGE_ROLE_FIX)
    ]
    assert "Exchange Administrator" in EXCHANGE_ROLE_FIX
    assert "Add-RoleGroupMember 'Organization Management'" in EXCHANGE_ROLE_FIX
    global_admin = (
        "exchange:Exchange.ManageAsApp",
        "exchange-wid:62e90394-69f5-4237-9190-012177145e10",
    )
    reader = ("exchange:Exchange.ManageAsApp", "exchange-wid:f2ef992c-3afb-46b9-b7cf-a126ee74c451")
    plan = build_plan(
        SPEC, Snapshot(tenant("source", roles=reader), tenant("target", roles=global_admin))
    )
    assert [f.tenant for f in plan.findings if f.code == "T2T-W121"] == ["source"]


def test_no_w121_without_an_exchange_token_or_exchange_work() -> None:
    graph_only = ("graph:User.Read.All",)
    plan = build_plan(SPEC, Snapshot(tenant("source", roles=graph_only), tenant("target")))
    assert not [f for f in plan.findings if f.code == "T2T-W121"]


def test_w121_also_when_exchange_could_not_be_read() -> None:
    """With Exchange unreadable nothing is planned there, yet the missing role is the likely
    cause: the warning still names it before apply."""
    no_role = ("exchange:Exchange.ManageAsApp",)
    unread = Fact.unknown("403 CmdletAccessDeniedException")
    plan = build_plan(SPEC, Snapshot(tenant("source"), tenant("target", unread, roles=no_role)))
    assert [f.tenant for f in plan.findings if f.code == "T2T-W121"] == ["target"]
    assert not [a for a in plan.actions if a.tenant == "target"]


def test_converged_tenants_plan_nothing() -> None:
    target = parse_relationship(
        {
            "Identity": "contoso-to-fabrikam",
            "Name": "contoso-to-fabrikam",
            "DomainNames": [SPEC.source.tenant_id],
            "Enabled": True,
            "MailboxMoveEnabled": True,
            "MailboxMoveCapability": "Inbound",
        }
    )
    source = parse_relationship(
        {
            "Identity": "contoso-to-fabrikam",
            "Name": "contoso-to-fabrikam",
            "DomainNames": [SPEC.target.tenant_id],
            "Enabled": True,
            "MailboxMoveEnabled": True,
            "MailboxMoveCapability": "RemoteOutbound",
            "OAuthApplicationId": SPEC.relationship.app.app_id,
            "MailboxMovePublishedScopes": ["t2tmigrationscope"],
        }
    )
    plan = build_plan(SPEC, Snapshot(tenant("source", (source,)), tenant("target", (target,))))
    assert plan.actions == ()
    assert plan.findings == ()
    assert plan.permissions == {}
    assert plan.exit_code(detailed=True) == EXIT_OK
