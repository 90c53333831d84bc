"""The scope groups as the source relationship needs them: which of them this plan creates,
and which exist but cannot be a scope (not mail-enabled security groups)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from t2t.planner import kinds as K
from t2t.planner.domain import action_id, present
from t2t.state import Snapshot

if TYPE_CHECKING:
    from t2t.spec import Desired


@dataclass(frozen=True)
class ScopeGroups:
    creates: tuple[str, ...]
    """The group.create actions the source relationship must wait for (its scopes exist)."""
    not_security: tuple[str, ...]
    """Declared names whose group exists and is no security group: Exchange accepts them in
    MailboxMovePublishedScopes with "WARNING: Access scope specified '<name>' is not a security
    group. This scope will not be added to the organization relationship." and drops them
    (microsoft-365-docs #4812; microsoft-t2t.md §3.5), so the write never converges."""


def scope_groups(desired: Desired, snapshot: Snapshot) -> ScopeGroups:
    groups = present(snapshot.source.groups)
    by_name = {g.name.lower(): g for g in groups} | {g.identity.lower(): g for g in groups}
    names = dict.fromkeys(desired.relationship.scope_groups)
    return ScopeGroups(
        creates=tuple(
            action_id("source", K.GROUP_CREATE.name, n) for n in names if n.lower() not in by_name
        ),
        not_security=tuple(
            n for n in names if n.lower() in by_name and not by_name[n.lower()].is_security
        ),
    )
