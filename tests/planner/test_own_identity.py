"""t2t's own identity against what the plan needs (t2t/planner/own_identity.py), stated whole:
the manifest per tenant and every finding with its message — T2T-W120 per application
permission a token lacks, T2T-W121 when an Exchange token carries no administrator role while
Exchange work is planned or Exchange could not be read."""

from __future__ import annotations

from typing import Any

from t2t.planner import Action
from t2t.planner.own_identity import TenantIdentity, apply_permissions, lacks_exchange_role
from t2t.state import Fact, Snapshot, TenantState
from t2t.state import parts as P
from t2t.state.permissions import EXCHANGE_APP, EXCHANGE_ORG, Permission
from tests.apply.scratch import scratch_action
from tests.planner.observed import whole_tenant

MANAGE_AS_APP = "exchange:Exchange.ManageAsApp"
EXCHANGE_ADMIN = "exchange-wid:29232cdf-9323-42fd-ade2-1d097af3e4de"
ADMIN = (MANAGE_AS_APP, EXCHANGE_ADMIN, "graph:User.ReadWrite.All")
EXCHANGE_NEEDS = (
    "Exchange application permission Exchange.ManageAsApp",
    "Exchange role group 'Organization Management'",
)
W121_FIX_MESSAGE = (
    "t2t's Exchange token in the {role} tenant holds neither the Exchange Administrator nor "
    "the Global Administrator role: unless its app is in an Exchange role group, Exchange "
    "refuses its writes with 403"
)


def _action(kind: str, tenant: str) -> Action:
    return scratch_action(f"{tenant}:{kind}:x", kind, tenant=tenant)


def _tenant(role: str, held: tuple[str, ...] | None, **parts: Any) -> TenantState:
    if held is None:
        return whole_tenant(role, role, identity_roles=Fact.unknown("no token"), **parts)
    return whole_tenant(role, role, identity_roles=held, **parts)


def _exchange_unread(role: str) -> dict[str, Any]:
    unread: Fact[object] = Fact.unknown("403 CmdletAccessDeniedException")
    return {p.name: unread for p in P.read_from(role) if p.service == "exchange"}


def _findings(snapshot: Snapshot, actions: list[Action]) -> list[tuple[str, str, str, str, bool]]:
    _, found = apply_permissions(actions, snapshot)
    return [(f.code, f.tenant, f.object, f.message, f.fixed_by_plan) for f in found]


def test_the_target_needs_its_own_steps_and_the_lease_together() -> None:
    actions = [_action("mailuser.create", "target"), _action("license.assign", "target")]
    needs, found = apply_permissions(
        actions, Snapshot(_tenant("source", ADMIN), _tenant("target", ADMIN))
    )
    assert needs == {
        "target": (
            "Exchange application permission Exchange.ManageAsApp",
            "Exchange role group 'Organization Management'",
            "Graph application permission User.ReadWrite.All",
        )
    }
    assert found == []


def test_an_unread_identity_in_the_source_still_leaves_the_target_checked() -> None:
    actions = [_action("group.add_members", "source"), _action("license.assign", "target")]
    snapshot = Snapshot(_tenant("source", None), _tenant("target", (MANAGE_AS_APP,)))
    assert _findings(snapshot, actions) == [
        ("T2T-W121", "target", "Exchange RBAC", W121_FIX_MESSAGE.format(role="target"), False),
        (
            "T2T-W120",
            "target",
            "User.ReadWrite.All",
            "apply needs Graph application permission User.ReadWrite.All in the target tenant; "
            "t2t's identity lacks it",
            False,
        ),
    ]


def test_no_w121_when_everything_read_and_only_graph_steps_are_planned() -> None:
    actions = [_action("license.assign", "target")]
    no_role = (MANAGE_AS_APP, "graph:User.ReadWrite.All")
    snapshot = Snapshot(_tenant("source", no_role), _tenant("target", no_role))
    # the target's lease is an Exchange write: W121 there; the source plans nothing: none
    assert _findings(snapshot, actions) == [
        ("T2T-W121", "target", "Exchange RBAC", W121_FIX_MESSAGE.format(role="target"), False),
    ]


def test_w121_names_the_tenant_whose_exchange_could_not_be_read() -> None:
    no_role = (MANAGE_AS_APP,)
    snapshot = Snapshot(
        _tenant("source", no_role, **_exchange_unread("source")),
        _tenant("target", no_role),
    )
    assert _findings(snapshot, []) == [
        ("T2T-W121", "source", "Exchange RBAC", W121_FIX_MESSAGE.format(role="source"), False),
    ]


def test_no_w121_with_an_admin_role_or_without_an_exchange_token() -> None:
    actions = [_action("group.add_members", "source"), _action("mailuser.create", "target")]
    snapshot = Snapshot(
        _tenant("source", ("graph:User.Read.All",)),
        _tenant("target", (MANAGE_AS_APP, EXCHANGE_ADMIN)),
    )
    needs, found = apply_permissions(actions, snapshot)
    assert needs == {"source": EXCHANGE_NEEDS, "target": EXCHANGE_NEEDS}
    assert [(f.code, f.tenant, f.object) for f in found] == [
        ("T2T-W120", "source", "Exchange.ManageAsApp")
    ]


def test_w121_is_about_exchange_writes_which_a_role_group_marks() -> None:
    """Every Exchange write needs the Organization Management role group; the app role
    Exchange.ManageAsApp alone (what reads need too) plans no write, so no W121."""

    def warned(*needs: Permission) -> str | None:
        return lacks_exchange_role(
            TenantIdentity("target", frozenset({MANAGE_AS_APP}), needs, False)
        )

    assert warned(EXCHANGE_APP) is None
    assert (
        warned(EXCHANGE_ORG)
        == warned(EXCHANGE_APP, EXCHANGE_ORG)
        == W121_FIX_MESSAGE.format(role="target")
    )


def test_a_persons_token_is_checked_by_its_delegated_permissions() -> None:
    """Interactive sign-in: the Graph token carries scopes (`scp`), not app roles — a scope of
    the permission's name holds it, a missing one is still named; the Exchange token needs no
    Exchange.ManageAsApp (the person's RBAC applies), only an admin role (T2T-W121)."""
    actions = [_action("mailuser.create", "target"), _action("license.assign", "target")]
    person = (
        "exchange-delegated:AdminApi.AccessAsUser.All",
        EXCHANGE_ADMIN,
        "graph-delegated:User.Read.All",
    )
    snapshot = Snapshot(_tenant("source", person), _tenant("target", person))
    assert _findings(snapshot, actions) == [
        (
            "T2T-W120",
            "target",
            "User.ReadWrite.All",
            "apply needs the delegated Graph permission User.ReadWrite.All in the target "
            "tenant; the signed-in person's token lacks it: an administrator consents to it for "
            "Microsoft Graph PowerShell, or sign in as someone it is granted to",
            False,
        ),
    ]
    granted = (*person, "graph-delegated:User.ReadWrite.All")
    snapshot = Snapshot(_tenant("source", granted), _tenant("target", granted))
    assert _findings(snapshot, actions) == []
