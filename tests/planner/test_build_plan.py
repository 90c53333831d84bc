"""build_plan over a whole spec and a hand-made snapshot: unknown, blocked, permissions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from t2t.planner import EXIT_BLOCKED, EXIT_UNKNOWN, Plan, build_plan
from t2t.probes import parse_relationship
from t2t.spec import load_spec
from t2t.spec.waves import select_waves
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState
from t2t.state import parts as P
from t2t.state.cloud import TenantCloud
from tests.planner.cases import ROOT as CASES
from tests.planner.cases import Case
from tests.planner.observed import whole_tenant

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
    """A tenant read whole: these relationships and roles, every other part empty."""
    return whole_tenant(
        role,
        "x",
        organization=Fact.present(OrganizationConfig(name=role, is_dehydrated=dehydrated)),
        relationships=relationships,
        identity_roles=roles,
    )


APP = SPEC.relationship.app.app_id
GRANT = f"target:consent.grant:{APP}"
AWAIT = f"source:consent.await:{APP}"
ENABLE = "target:org.enable_customization:organization"
RG = "target:azure.resource_group.create:CrossTenantMoveRG"
VAULT = "target:keyvault.vault.create:fabrikam-t2t-kv"
CERT = "target:keyvault.certificate.create:fabrikam-t2t-kv/t2t-cert"
KEY = f"target:app.key_credential.add:{APP}"
#: The Key Vault chain on an empty subscription: the group, the vault, the certificate and its
#: key on the app (blocked until the app exists, E201). No access policy can name Exchange
#: Online, whose service principal these tenants lack (E238, which blocks the endpoint).
KEY_VAULT = [
    (RG, (), ()),
    (VAULT, (RG,), ()),
    (CERT, (VAULT,), ()),
    (KEY, (CERT,), ("T2T-E201",)),
]
#: What an empty pair of tenants needs before the relationships, whatever the test varies:
#: the Key Vault chain, consent (blocked until the app exists, E201), the invitation, the
#: scope group, and the endpoint (blocked by all of them).
CONSENT_AND_GROUP = [
    *KEY_VAULT,
    (GRANT, (), ("T2T-E201",)),
    (AWAIT, (GRANT,), ("T2T-E201", "T2T-W212")),
    ("target:invitation.send:admin@contoso.com", (), ("T2T-E201",)),
    ("source:group.create:t2tmigrationscope", (), ()),
]
ENDPOINT_BLOCKED = (
    "target:endpoint.create:contoso-t2t",
    (GRANT, AWAIT, CERT, KEY),
    ("T2T-E201", "T2T-W212", "T2T-E238"),
)


def outline(plan: Plan) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The whole plan's actions: id, dependencies and blocking checks, in plan order."""
    return [(a.id, a.depends_on, a.blocked_by) for a in plan.actions]


def test_fresh_tenants_plan_both_relationships_after_their_prerequisites() -> None:
    plan = build_plan(SPEC, Snapshot(tenant("source"), tenant("target")))
    assert outline(plan) == [
        *CONSENT_AND_GROUP,
        ("target:orgrel.create:contoso-to-fabrikam", (), ()),
        (
            "source:orgrel.create:contoso-to-fabrikam",
            ("source:group.create:t2tmigrationscope",),
            (),
        ),
        ENDPOINT_BLOCKED,
    ]
    assert plan.unknowns == () and plan.notices == ()
    assert plan.exit_code(detailed=True) == EXIT_BLOCKED
    relationships = [a for a in plan.actions if a.kind == "orgrel.create"]
    assert all(a.unverified == ("WIRE-1",) for a in relationships)


def test_unknown_side_plans_nothing_that_needs_it_and_exits_4() -> None:
    """The source's relationships unreadable: neither relationship, nor the endpoint (another
    spec sharing the relationship may rely on its app: T2T-E112), nor any batch is planned —
    those domains need them —, the rest is; the plan says what it skipped and why."""
    plan = build_plan(SPEC, Snapshot(tenant("source", Fact.unknown("HTTP 503")), tenant("target")))
    assert outline(plan) == CONSENT_AND_GROUP
    assert [(u.tenant, u.what) for u in plan.unknowns] == [("source", "relationships")]
    assert plan.notices == (
        "relationships: nothing planned, because t2t could not read source relationships",
        "endpoint: nothing planned, because t2t could not read source relationships",
        "batches: nothing planned, because t2t could not read source relationships",
    )
    assert plan.exit_code(detailed=True) == EXIT_UNKNOWN


def test_dehydrated_target_is_customized_first() -> None:
    """E110 is fixed by the plan: Enable-OrganizationCustomization, then every target write
    that needs it."""
    plan = build_plan(SPEC, Snapshot(tenant("source"), tenant("target", dehydrated=True)))
    assert [(f.code, f.fixed_by_plan) for f in plan.findings if f.code == "T2T-E110"] == [
        ("T2T-E110", True)
    ]
    assert outline(plan) == [
        (ENABLE, (), ()),
        *CONSENT_AND_GROUP,
        ("target:orgrel.create:contoso-to-fabrikam", (ENABLE,), ()),
        (
            "source:orgrel.create:contoso-to-fabrikam",
            ("source:group.create:t2tmigrationscope",),
            (),
        ),
        (
            "target:endpoint.create:contoso-t2t",
            (ENABLE, GRANT, AWAIT, CERT, KEY),
            ("T2T-E201", "T2T-W212", "T2T-E238"),
        ),
    ]
    assert plan.actions[0].cmdlet == "Enable-OrganizationCustomization"


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
    unread: Fact[object] = Fact.unknown("403 CmdletAccessDeniedException")
    target = whole_tenant(
        "target",
        "x",
        identity_roles=no_role,
        **{p.name: unread for p in P.read_from("target") if p.service == "exchange"},
    )
    plan = build_plan(SPEC, Snapshot(tenant("source"), target))
    assert [f.tenant for f in plan.findings if f.code == "T2T-W121"] == ["target"]
    # Only the Azure and Graph steps, whose parts were read, are planned in the target.
    assert [a.kind for a in plan.actions if a.tenant == "target"] == [
        "azure.resource_group.create",
        "keyvault.vault.create",
        "keyvault.certificate.create",
        "app.key_credential.add",
        "consent.grant",
        "invitation.send",
    ]


def test_converged_relationships_plan_no_relationship_change() -> None:
    """Both relationships as the spec wants them: the rest of the setup is still planned,
    no relationship action is."""
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
    assert outline(plan) == [
        *CONSENT_AND_GROUP,
        ENDPOINT_BLOCKED,
    ]
    assert not [f for f in plan.findings if f.code.startswith("T2T-E1")]


def test_tenants_in_two_clouds_block_every_action_before_anything_is_written() -> None:
    """T2T-E113: the worldwide source and a GCC High target (their OpenID configurations);
    every action of the plan is held back by it, the rest of each action's reasons kept."""
    worldwide = (TenantCloud("microsoftonline.com", "EU"),)
    gcc_high = (TenantCloud("microsoftonline.us", "USGov", "DODCON"),)
    source = replace(tenant("source"), cloud=Fact.present(worldwide))
    target = replace(tenant("target"), cloud=Fact.present(gcc_high))
    one_cloud = build_plan(SPEC, Snapshot(source, replace(target, cloud=Fact.present(worldwide))))
    plan = build_plan(SPEC, Snapshot(source, target))
    [e113] = [f for f in plan.findings if f.code == "T2T-E113"]
    assert e113.object == "worldwide → usgov-gcchigh" and e113.blocking
    assert [(a.id, a.blocked_by) for a in plan.actions] == [
        (a.id, (*a.blocked_by, "T2T-E113")) for a in one_cloud.actions
    ]
    assert plan.actions and plan.exit_code(detailed=False) == EXIT_BLOCKED


def test_the_command_line_options_and_the_waves_reach_the_plan() -> None:
    """--allow-destroy, --rotate-credential and --wave, each off by default."""
    old = Case(CASES / "retired_endpoints" / "old-endpoint-removed-with-allow-destroy")
    spec, snapshot = old.spec(), old.snapshot()
    removal = "target:endpoint.remove:contoso-t2t"
    assert removal not in {a.id for a in build_plan(spec, snapshot).actions}
    assert removal in {a.id for a in build_plan(spec, snapshot, allow_destroy=True).actions}

    kv = Case(CASES / "key_vault" / "kv-rotate-before-not-due-plans-nothing")
    spec, snapshot = kv.spec(), kv.snapshot()
    new_version = "keyvault.certificate.create"
    assert new_version not in {a.kind for a in build_plan(spec, snapshot).actions}
    rotated = build_plan(spec, snapshot, rotate_credential=True)
    assert new_version in {a.kind for a in rotated.actions}

    assert build_plan(SPEC, Snapshot(tenant("source"), tenant("target"))).waves == ()
    one = select_waves(SPEC, [SPEC.batches[0].name])
    assert build_plan(one, Snapshot(tenant("source"), tenant("target"))).waves == (
        SPEC.batches[0].name,
    )
