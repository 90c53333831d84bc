"""The executor table: one executor per `ActionKind` (t2t/planner/kinds.py), registered where
it is defined with `@executes(...)` and checked complete when t2t.apply.executors is imported.

A kind without an executor, or with two, fails at import — never as an action that apply
cannot run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from t2t.apply.context import ApplyContext
from t2t.apply.result import ActionResult
from t2t.planner import Action
from t2t.planner.kinds import KINDS, ActionKind

Executor = Callable[[Action, ApplyContext], Awaitable[ActionResult]]
EXECUTORS: dict[str, Executor] = {}


def executes(*kinds: ActionKind) -> Callable[[Executor], Executor]:
    """Register the executor of these kinds."""

    def register(fn: Executor) -> Executor:
        for kind in kinds:
            if kind.name in EXECUTORS:
                raise ImportError(
                    f"action kind {kind} has two executors: "
                    f"{EXECUTORS[kind.name].__qualname__} and {fn.__qualname__}"
                )
            EXECUTORS[kind.name] = fn
        return fn

    return register


def check_complete() -> None:
    """Every registered kind has an executor (called once every executor module is imported)."""
    missing = [k.name for k in KINDS if k.name not in EXECUTORS]
    if missing:
        raise ImportError(f"action kinds without an executor: {missing}")
