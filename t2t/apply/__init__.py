"""The applier: executes a plan's actions against both tenants, idempotently.

One meaning of apply, the same for every executor: re-read the action's object, plan that one
object again from the reviewed desire the action carries (`Action.desired`), send what the
re-plan says — never the reviewed parameters as they were — and re-read until the re-plan is
empty. Nothing left to do is a no-op; a refused write or a lost answer is re-read, never sent
twice (`executors/common.py` `converge`, which the executors share; the group, consent and
endpoint executors follow the same rule in more than one write). The runner
(`runner.py`) starts each action once its own dependencies are done.
"""

from t2t.apply.context import ApplyContext
from t2t.apply.result import ActionResult, ApplyReport
from t2t.apply.runner import apply_plan

__all__ = ["ActionResult", "ApplyContext", "ApplyReport", "apply_plan"]
