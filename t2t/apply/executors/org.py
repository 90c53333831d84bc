"""Executor for `org.enable_customization`: hydrate a dehydrated organization, then verify."""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, failure_message, verified
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, ExchangeClient
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
    result = ActionResult(id=action.id, status="done")
    try:
        if not await _dehydrated(exchange):
            result.status, result.message = "noop", "already customized"
            return result
        try:
            out = await exchange.invoke("Enable-OrganizationCustomization", {})
            result.warnings.extend(out.warnings)
            result.request_ids.extend(out.request_ids)
        except ClientError as exc:  # "not required" after a lost answer counts as done
            if await _dehydrated(exchange):
                raise ExecutionFailed(str(exc)) from exc

        async def hydrated() -> bool:
            return not await _dehydrated(exchange)

        if not await verified(ctx, hydrated):
            raise ExecutionFailed(
                "Enable-OrganizationCustomization returned but IsDehydrated is still $true"
            )
        result.message = "Enable-OrganizationCustomization verified"
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)
    return result
