"""What a domain's view of the plan context lets it see (t2t/planner/context.py): only the parts
it needs and the resolutions it uses, each refusal naming the domain and what it read; every
view starts from the whole snapshot, and a resolution is computed from the whole snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.planner.context import HYDRATION, PlanContext
from t2t.planner.domain import Domain, DomainOutcome
from t2t.planner.shared.ownership import Sharing
from t2t.spec import load_spec
from t2t.state import Fact, OrgRelationship, Snapshot
from t2t.state import parts as P
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
DESIRED = load_spec(ROOT / "specs" / "quickstart.yaml")


def nothing(ctx: PlanContext) -> DomainOutcome:
    return DomainOutcome()


def whole() -> PlanContext:
    snapshot = Snapshot(source=whole_tenant("source"), target=whole_tenant("target"))
    return PlanContext(DESIRED, snapshot)


GROUPS = Domain("groups-reader", frozenset({P.GROUPS}), frozenset(), nothing)
RECIPIENTS = Domain("recipients-reader", frozenset({P.RECIPIENTS}), frozenset(), nothing)
HYDRATED = Domain("hydration-user", frozenset(), frozenset(), nothing, uses=(HYDRATION,))


def test_a_view_hides_every_part_its_domain_does_not_need() -> None:
    view = whole().view(GROUPS)
    assert view.snapshot.source.groups is not None
    assert view.snapshot.source.groups.status == "present"
    message = "domain groups-reader read the recipients part without naming it in its needs"
    with pytest.raises(LookupError) as raised:
        _ = view.snapshot.source.recipients.status  # type: ignore[union-attr]
    assert str(raised.value) == message
    with pytest.raises(LookupError) as raised:
        bool(view.snapshot.source.recipients)
    assert str(raised.value) == message
    with pytest.raises(LookupError) as raised:
        bool(view.snapshot.target.users)
    assert str(raised.value) == (
        "domain groups-reader read the users part without naming it in its needs"
    )


def test_a_view_of_a_view_starts_from_the_whole_snapshot() -> None:
    view = whole().view(GROUPS).view(RECIPIENTS)
    assert view.snapshot.source.recipients is not None
    assert view.snapshot.source.recipients.status == "present"
    with pytest.raises(LookupError, match="domain recipients-reader read the groups part"):
        bool(view.snapshot.source.groups)


def test_a_view_reads_only_the_resolutions_its_domain_uses() -> None:
    ctx = whole()
    assert ctx.hydration("source") == ()  # the whole context reads every resolution
    assert ctx.view(HYDRATED).hydration("target") == ()
    with pytest.raises(LookupError) as raised:
        ctx.view(GROUPS).hydration("source")
    assert str(raised.value) == "a domain read the hydration resolution it does not use"


def test_sharing_reads_an_absent_groups_part_as_no_groups() -> None:
    """A snapshot may say the source has no groups (`"status": "absent"`, t2t/state/load.py):
    then no scope the relationship toward the target publishes is another spec's, and the
    resolution still answers with the relationship's app."""
    toward_target = OrgRelationship(
        identity="t2t",
        name="t2t",
        domain_names=(DESIRED.target.tenant_id,),
        enabled=True,
        mailbox_move_enabled=True,
        capabilities=frozenset({"RemoteOutbound"}),
        oauth_application_id="5F3B8C2D-1E4A-4B6C-9D7E-2A8B4C6D8E0F",
        published_scopes=("finance-movers",),
    )
    source = whole_tenant("source", relationships=[toward_target], groups=Fact.absent())
    ctx = PlanContext(DESIRED, Snapshot(source=source, target=whole_tenant("target")))
    assert ctx.sharing == Sharing({}, "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f")
