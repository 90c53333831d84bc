"""One executor per action kind; each is idempotent and verifies its own write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from t2t.apply.context import ApplyContext
from t2t.apply.executors.orgrel import run_orgrel
from t2t.apply.result import ActionResult
from t2t.planner import Action

Executor = Callable[[Action, ApplyContext], Awaitable[ActionResult]]

EXECUTORS: dict[str, Executor] = {
    "orgrel.create": run_orgrel,
    "orgrel.update": run_orgrel,
}
