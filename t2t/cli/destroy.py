"""`--allow-destroy` on plan and apply: what t2t replaced may be removed.

Terraform's convention, where a plan shows every removal and nothing is removed that the plan
did not show: without the option a plan never holds a destructive removal of something t2t
replaced (today: a spec endpoint that pointed at the wrong tenant, T2T-E232) and says, as a
notice, that it can go; with it the removal is an action (risk destructive, apply asks). A
saved plan holding such a removal was made with the option, so `apply PLAN.json` re-plans
with it to compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import typer

from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.retired_endpoints import ALLOW_DESTROY

#: The kinds only --allow-destroy plans.
DESTROY_KINDS = frozenset({K.ENDPOINT_REMOVE.name})

AllowDestroyOpt = Annotated[
    bool,
    typer.Option(
        ALLOW_DESTROY,
        help="Also remove what t2t replaced and nothing uses any more (a migration endpoint "
        "that pointed at the wrong tenant, once its replacement exists and no batch names "
        "it). Without it such removals are only named in the plan.",
    ),
]


def destroys(actions: Iterable[Action]) -> bool:
    """Whether a (saved) plan holds a removal only --allow-destroy plans."""
    return any(a.kind in DESTROY_KINDS for a in actions)
