"""Executor for `batch.remove_user`: Remove-MigrationUser for a user that must leave its batch
for a new one — it failed in a way Microsoft fixes only so (T2T-W411; LEARN-24 "Migration
Failures": "Remove the migration user from the batch … Add user to new batch"), or it has not
completed in a batch on an endpoint that points at the wrong tenant (T2T-E232's remedy: no
batch can be re-pointed, Set-MigrationBatch has no -SourceEndpoint; its completed neighbours
stay).

It re-reads the user first: already gone, or Removing (its batch is being removed: on its way
out, in no batch for a new one, as the planner counts it), is a no-op; a user that no longer
needs leaving (someone else acted since the plan: it completed, or its batch is now on the
endpoint in use) is not removed — the action fails, so the new batch that depends on it is
skipped, and the next plan says what to do. Remove-MigrationUser is ConfirmImpact High: the
client sends `Confirm: false` (wire.py).
"""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    Write,
    converge,
    read_one,
)
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ExchangeClient
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.batches import BatchDesire, needs_readd
from t2t.planner.batches.replacement import REMOVING, leaves
from t2t.probes import exchange_objects as x
from t2t.state.exchange import MigrationUser


async def _user(exchange: ExchangeClient, identity: str) -> MigrationUser | None:
    return await read_one(exchange, "Get-MigrationUser", identity, x.parse_migration_user)


async def _on_replaced_endpoint(
    exchange: ExchangeClient, user: MigrationUser, desire: BatchDesire
) -> bool:
    """The user has not completed and its batch is on another endpoint than the one in use
    (the plan's desire names it): it moves to a batch on that one."""
    if not leaves(user):
        return False
    batch = await read_one(exchange, "Get-MigrationBatch", user.batch_id, x.parse_batch)
    named = batch.source_endpoint if batch is not None else None  # not found: not known to leave
    return named is not None and named.lower() != desire.endpoint.lower()


@executes(K.BATCH_REMOVE_USER)
async def run_migration_user_remove(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange["target"]
    identity = action.key

    async def replan() -> Write | None:
        user = await _user(exchange, identity)
        if user is None or user.status.lower() == REMOVING:
            return None
        desire = BatchDesire.from_dict(action.desired)
        if not needs_readd(user) and not await _on_replaced_endpoint(exchange, user, desire):
            raise ExecutionFailed(
                f"migration user {identity} is now {user.status} ({user.error or 'no error'}), "
                "neither failed in a way that needs removing nor unfinished on a replaced "
                "endpoint: not removed; run plan again"
            )
        cmdlet = "Remove-MigrationUser"
        return Write(cmdlet, lambda: exchange.invoke(cmdlet, {"Identity": identity}))

    return await converge(action, ctx, replan)
