"""What a plan adds, changes, destroys and leaves blocked: the one tally every rendering prints.

Terraform's words; `run` steps (a consent, a batch start) count as changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from t2t.planner import Action, Plan

_BUCKET = {"create": "add", "update": "change", "run": "change", "delete": "destroy"}


@dataclass(frozen=True)
class Tally:
    add: int = 0
    change: int = 0
    destroy: int = 0
    blocked: int = 0

    def phrase(self) -> str:
        """The counts that are not zero, e.g. '40 to add, 2 blocked'."""
        parts = [
            (self.add, "to add"),
            (self.change, "to change"),
            (self.destroy, "to destroy"),
            (self.blocked, "blocked"),
        ]
        return ", ".join(f"{n:,} {what}" for n, what in parts if n) or "nothing"


def tally(actions: Iterable[Action]) -> Tally:
    """Runnable actions by what they do; a blocked action is counted as blocked only."""
    counts = {"add": 0, "change": 0, "destroy": 0, "blocked": 0}
    for action in actions:
        counts["blocked" if action.blocked else _BUCKET[action.operation]] += 1
    return Tally(**counts)


def plan_line(plan: Plan) -> str:
    """Terraform's closing line: 'Plan: 1 to add, 2 to change, 0 to destroy, …'."""
    t = tally(plan.actions)
    return (
        f"Plan: {t.add} to add, {t.change} to change, {t.destroy} to destroy, "
        f"{t.blocked} blocked, {len(plan.unknowns)} unknown."
    )


def waves_line(plan: Plan) -> str | None:
    """Which waves a `--wave` plan covers (None: every wave), said under the plan's header."""
    if not plan.waves:
        return None
    noun = "wave" if len(plan.waves) == 1 else "waves"
    return (
        f"Only {noun} {', '.join(plan.waves)} (--wave) and the organization-level steps it "
        "needs; other waves are neither read per mailbox nor touched."
    )
