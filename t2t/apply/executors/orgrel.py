"""Executor for `orgrel.create` / `orgrel.update`: re-read, re-diff, write, verify.

It plans again from a fresh read right before writing (pyinfra v3's lesson, lessons-from-peers
§1), so a relationship fixed by someone else in between is a no-op, and it verifies its own
post-condition by re-reading until Exchange shows the change (reads lag writes).
"""

from __future__ import annotations

import dataclasses

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Write, converge, resolve_app_id
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ExchangeClient
from t2t.planner import Action, SideDesire, plan_side
from t2t.planner import kinds as K
from t2t.planner.shared.app import AppDesire
from t2t.probes import read_relationships


async def _pending(exchange: ExchangeClient, desire: SideDesire) -> Action | None:
    fact = await read_relationships(exchange.reader())
    if fact.status != "present":
        raise ExecutionFailed(f"cannot re-read relationships: {fact.reason}")
    outcome = plan_side(desire, fact.get())
    if outcome.action is not None and outcome.action.blocked:
        raise ExecutionFailed(f"blocked by {', '.join(outcome.action.blocked_by)}")
    return outcome.action


async def _resolved(desire: SideDesire, ctx: ApplyContext) -> SideDesire:
    """The source names an app registered earlier in this run: learn its appId now."""
    if not desire.app_known_after_apply:
        return desire
    app = AppDesire(
        app_id=None, display_name=desire.app_display_name, unique_name=desire.app_unique_name
    )
    app_id = await resolve_app_id(ctx, app, None)
    return dataclasses.replace(desire, oauth_application_id=app_id, app_unique_name=None)


@executes(K.ORGREL_CREATE, K.ORGREL_UPDATE)
async def run_orgrel(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange[action.tenant]
    resolved: list[SideDesire] = []

    async def replan() -> Write | None:
        if not resolved:
            resolved.append(await _resolved(SideDesire.from_dict(action.desired), ctx))
        pending = await _pending(exchange, resolved[0])
        if pending is None:
            return None
        return Write(pending.cmdlet, lambda: exchange.invoke(pending.cmdlet, pending.parameters))

    return await converge(action, ctx, replan)
