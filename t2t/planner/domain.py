"""How the planner is split: one domain per group of objects, each a pure function.

A domain reads the parts of the snapshot it names, and returns actions and findings. Action
ids are `tenant:kind:key` (see `action_id`), so one domain can depend on another's action
without importing it — e.g. the source relationship waits for the scope group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from t2t.planner.actions import Action, Role
from t2t.planner.checks import Finding

if TYPE_CHECKING:
    from t2t.spec import Desired
    from t2t.state import Snapshot


def action_id(tenant: Role, kind: str, key: str) -> str:
    """The stable id of an action: the same object and step always get the same id."""
    return f"{tenant}:{kind}:{key}"


@dataclass
class DomainOutcome:
    actions: list[Action] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Domain:
    """One planner domain: its name, the snapshot parts it reads, and its plan function."""

    name: str
    source_needs: frozenset[str]
    target_needs: frozenset[str]
    plan: Callable[[Desired, Snapshot], DomainOutcome]
    #: For a domain that builds on the others (batches): called by build_plan instead of
    #: `plan`, with the actions and findings of every domain listed before it.
    after: (
        Callable[[Desired, Snapshot, Sequence[Action], Sequence[Finding]], DomainOutcome] | None
    ) = None
