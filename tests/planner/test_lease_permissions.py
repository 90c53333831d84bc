"""The apply lease's needs in the permission manifest (t2t/planner/own_identity.py): any plan
with something to run makes apply take its lease in the target tenant (t2t/apply/lease.py), so
the target's manifest names what the lease's Exchange cmdlets need even when no action of the
plan writes to the target; a plan with nothing to run takes no lease and needs nothing."""

from __future__ import annotations

from t2t.planner import Action
from t2t.planner.kinds import LEASE_PERMISSIONS
from t2t.planner.own_identity import apply_permissions
from t2t.state import Snapshot
from tests.planner.observed import whole_tenant

ROLES = ("exchange:Exchange.ManageAsApp", "exchange-wid:29232cdf-9323-42fd-ade2-1d097af3e4de")
SNAPSHOT = Snapshot(
    whole_tenant("source", "s", identity_roles=ROLES),
    whole_tenant("target", "t", identity_roles=ROLES),
)


def _action(kind: str, tenant: str, blocked_by: tuple[str, ...] = ()) -> Action:
    return Action(
        id=f"{tenant}:{kind}:x",
        tenant=tenant,  # type: ignore[arg-type]
        kind=kind,
        key="x",
        operation="create",
        cmdlet="Add-DistributionGroupMember",
        parameters={},
        fingerprint="f",
        blocked_by=blocked_by,
    )


def test_a_plan_that_writes_only_to_the_source_still_needs_the_lease_in_the_target() -> None:
    needs, missing = apply_permissions([_action("group.add_members", "source")], SNAPSHOT)
    assert needs == {
        "source": (
            "Exchange application permission Exchange.ManageAsApp",
            "Exchange role group 'Organization Management'",
        ),
        "target": tuple(str(p) for p in sorted(LEASE_PERMISSIONS)),
    }
    assert missing == []


def test_a_plan_with_nothing_to_run_takes_no_lease_and_needs_nothing() -> None:
    blocked = _action("group.add_members", "source", blocked_by=("T2T-E301",))
    assert apply_permissions([blocked], SNAPSHOT) == ({}, [])
    assert apply_permissions([], SNAPSHOT) == ({}, [])


def test_the_lease_needs_what_every_exchange_write_needs_and_no_more() -> None:
    assert [str(p) for p in LEASE_PERMISSIONS] == [
        "Exchange application permission Exchange.ManageAsApp",
        "Exchange role group 'Organization Management'",
    ]
