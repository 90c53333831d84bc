"""Executor for `orgrel.create` / `orgrel.update`: re-read, re-diff, write, verify.

It plans again from a fresh read right before writing (pyinfra v3's lesson, lessons-from-peers
§1), so a relationship fixed by someone else in between is a no-op, and it verifies its own
post-condition by re-reading until Exchange shows the change (reads lag writes).
"""

from __future__ import annotations

import asyncio
import dataclasses

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, failure_message, resolve_app_id
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, ExchangeClient
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
    desire = SideDesire.from_dict(action.desired)
    exchange = ctx.exchange[action.tenant]
    result = ActionResult(id=action.id, status="done")
    try:
        desire = await _resolved(desire, ctx)
        pending = await _pending(exchange, desire)
        if pending is None:
            result.status = "noop"
            result.message = "already as desired"
            return result
        try:
            out = await exchange.invoke(pending.cmdlet, pending.parameters)
        except ClientError as exc:
            # A create that raced a replica, or a crash after a write: converged counts as done.
            if await _pending(exchange, desire) is None:
                result.message = f"already converged after {exc}"
                return result
            raise ExecutionFailed(str(exc)) from exc
        result.warnings.extend(out.warnings)
        result.request_ids.extend(out.request_ids)
        for delay in ctx.verify_delays:
            await asyncio.sleep(delay)
            if await _pending(exchange, desire) is None:
                result.message = f"{pending.cmdlet} verified"
                return result
        warned = f" (Exchange warned: {'; '.join(out.warnings)})" if out.warnings else ""
        raise ExecutionFailed(f"{pending.cmdlet} returned but the change is not visible{warned}")
    except (ExecutionFailed, ClientError) as exc:
        result.status = "failed"
        result.message = failure_message(exc)
        return result
