"""One executor per action kind; each is idempotent and verifies its own write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from t2t.apply.context import ApplyContext
from t2t.apply.executors.licensing import run_license, run_usage_location
from t2t.apply.executors.mailuser import run_mailuser_create, run_mailuser_identity
from t2t.apply.executors.orgrel import run_orgrel
from t2t.apply.result import ActionResult
from t2t.planner import Action

Executor = Callable[[Action, ApplyContext], Awaitable[ActionResult]]

EXECUTORS: dict[str, Executor] = {
    "orgrel.create": run_orgrel,
    "orgrel.update": run_orgrel,
    "mailuser.create": run_mailuser_create,
    "mailuser.set_identity": run_mailuser_identity,
    "user.usage_location": run_usage_location,
    "license.assign": run_license,
}
