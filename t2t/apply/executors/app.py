"""Executor for `app.create` / `app.update`: the migration app in the target, via Graph.

Create is an upsert by t2t's marker, `PATCH /applications(uniqueName='…')` with
`Prefer: create-if-missing` (Graph application-upsert): run twice, or after a crash whose
answer was lost, it updates the same app instead of registering a second one.
"""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    failure_message,
    read_app,
    read_apps,
    verified,
)
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.shared.app import AppDesire, AppOutcome, plan_app


async def _pending(ctx: ApplyContext, desire: AppDesire) -> AppOutcome:
    outcome = plan_app(desire, await read_apps(ctx, desire))
    if outcome.blocked:
        raise ExecutionFailed(f"blocked by {', '.join(outcome.blocked)}")
    return outcome


@executes(K.APP_CREATE, K.APP_UPDATE)
async def run_app(action: Action, ctx: ApplyContext) -> ActionResult:
    desire = AppDesire.from_dict(action.desired)
    graph = ctx.graph["target"]
    result = ActionResult(id=action.id, status="done")
    try:
        outcome = await _pending(ctx, desire)
        pending = outcome.action
        if pending is None:
            result.status, result.message = "noop", "already as desired"
            return result
        body = {k: v for k, v in pending.parameters.items() if k != "uniqueName"}
        if pending.kind == K.APP_CREATE.name:
            path = f"/applications(uniqueName='{desire.unique_name}')"
            await graph.write("PATCH", path, body, headers={"Prefer": "create-if-missing"})
        else:
            assert outcome.app is not None
            await graph.write("PATCH", f"/applications/{outcome.app.object_id}", body)

        async def converged() -> bool:
            again = await _pending(ctx, desire)
            return again.action is None and again.app is not None

        if not await verified(ctx, converged):
            raise ExecutionFailed("the app write returned but the app is not visible as desired")
        app = await read_app(ctx, desire)
        result.message = f"app {app.app_id if app else '?'} verified"
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)
    return result
