"""Executor for `app.create` / `app.update`: the migration app in the target, via Graph.

Create is an upsert by t2t's marker, `PATCH /applications(uniqueName='…')` with
`Prefer: create-if-missing` (Graph application-upsert): run twice, or after a crash whose
answer was lost, it updates the same app instead of registering a second one.
"""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Write, converge, read_apps
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
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

    async def replan() -> Write | None:
        outcome = await _pending(ctx, desire)
        pending, app = outcome.action, outcome.app
        if pending is None:
            return None
        body = {k: v for k, v in pending.parameters.items() if k != "uniqueName"}
        if pending.kind == K.APP_CREATE.name:
            path = f"/applications(uniqueName='{desire.unique_name}')"
            headers = {"Prefer": "create-if-missing"}
        else:
            assert app is not None
            path, headers = f"/applications/{app.object_id}", {}

        async def send() -> None:
            await graph.write("PATCH", path, body, headers=headers)

        return Write(f"PATCH {path}", send)

    return await converge(action, ctx, replan)
