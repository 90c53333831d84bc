"""Executor for `org.enable_customization`: hydrate a dehydrated organization, then verify
(\"not required\" after a lost answer is a converged organization, `converge`)."""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Write, converge
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ExchangeClient
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.probes import read_organization


async def _dehydrated(exchange: ExchangeClient) -> bool:
    fact = await read_organization(exchange.reader())
    if fact.status != "present":
        raise ExecutionFailed(f"cannot re-read the organization: {fact.reason}")
    return fact.get().is_dehydrated


@executes(K.ORG_ENABLE_CUSTOMIZATION)
async def run_org_customization(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange[action.tenant]

    async def replan() -> Write | None:
        if not await _dehydrated(exchange):
            return None
        cmdlet = "Enable-OrganizationCustomization"
        return Write(cmdlet, lambda: exchange.invoke(cmdlet, {}))

    return await converge(action, ctx, replan)
