"""The scope groups as the source relationship needs them: which of them this plan creates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2t.planner import kinds as K
from t2t.planner.domain import action_id, present
from t2t.state import Snapshot

if TYPE_CHECKING:
    from t2t.spec import Desired


def group_creates(desired: Desired, snapshot: Snapshot) -> tuple[str, ...]:
    """The group.create actions the source relationship must wait for (its scopes exist)."""
    groups = present(snapshot.source.groups)
    existing = {g.name.lower() for g in groups} | {g.identity.lower() for g in groups}
    return tuple(
        action_id("source", K.GROUP_CREATE.name, n)
        for n in dict.fromkeys(desired.relationship.scope_groups)
        if n.lower() not in existing
    )
