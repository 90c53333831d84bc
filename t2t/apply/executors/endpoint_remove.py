"""Executor for `endpoint.remove`: Remove-MigrationEndpoint for a spec endpoint that points at
the wrong tenant and has been replaced (T2T-E232; planned only with --allow-destroy:
planner/retired_endpoints.py).

It re-reads the endpoints and the batches that name the old one first: gone is a no-op; one
whose RemoteTenant is now the source domain, whose replacement is not there or does not point
at the source, or that a batch names (Exchange's refusal is not documented; the sandbox
assumes MigrationEndpointInUseException) is not removed — a batch still being removed holds it
for a later run, anything else fails and the next plan says why. The cmdlet is ConfirmImpact
High: the client sends `Confirm: false` (wire.py).
"""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Held, Write, converge
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ExchangeClient
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.batches.replacement import REMOVING
from t2t.planner.retired_endpoints import RetiredEndpoint
from t2t.probes import exchange_objects as x
from t2t.probes.endpoints import read_endpoints
from t2t.state.endpoint_chain import is_replaced
from t2t.state.exchange import MigrationBatch, MigrationEndpoint


async def _endpoints(exchange: ExchangeClient) -> tuple[MigrationEndpoint, ...]:
    fact = await read_endpoints(exchange.reader(), None)
    if fact.status != "present":
        raise ExecutionFailed(f"cannot read the endpoints: {fact.reason}")
    return fact.get()


async def _batches_on(exchange: ExchangeClient, name: str) -> tuple[MigrationBatch, ...]:
    """Get-MigrationBatch -Endpoint: the batches that name the endpoint (its reference)."""
    out = await exchange.reader().invoke("Get-MigrationBatch", {"Endpoint": name})
    return tuple(x.parse_batch(r) for r in out.values)


def _named(endpoints: tuple[MigrationEndpoint, ...], name: str) -> MigrationEndpoint | None:
    return next((e for e in endpoints if e.identity.lower() == name.lower()), None)


@executes(K.ENDPOINT_REMOVE)
async def run_endpoint_remove(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange["target"]
    desire = RetiredEndpoint.from_dict(action.desired)
    name, replacement, remote_tenant = desire.name, desire.replaced_by, desire.remote_tenant

    async def replan() -> Write | None:
        endpoints = await _endpoints(exchange)
        old = _named(endpoints, name)
        if old is None:
            return None
        new = _named(endpoints, replacement)
        if not is_replaced(old, remote_tenant):
            raise ExecutionFailed(
                f"endpoint {name} now points at {old.remote_tenant}: not removed; run plan again"
            )
        if new is None or is_replaced(new, remote_tenant):
            raise ExecutionFailed(
                f"its replacement {replacement} does not exist or does not point at "
                f"{remote_tenant}: {name} is not removed; run plan again"
            )
        using = await _batches_on(exchange, name)
        if using and all(b.status.lower() == REMOVING for b in using):
            raise Held(
                f"held: batch(es) {', '.join(b.identity for b in using)} on {name} are still "
                "being removed; apply again once they are gone"
            )
        if using:
            raise ExecutionFailed(
                f"batch(es) {', '.join(f'{b.identity} ({b.status})' for b in using)} use "
                f"{name}: not removed; run plan again"
            )
        cmdlet = "Remove-MigrationEndpoint"
        return Write(cmdlet, lambda: exchange.invoke(cmdlet, {"Identity": name}))

    return await converge(action, ctx, replan)
