"""Executor for `batch.remove_user`: Remove-MigrationUser for a user Microsoft fixes only by
removing it from its batch and adding it to a new one (T2T-W411; LEARN-24 "Migration
Failures": "Remove the migration user from the batch … Add user to new batch").

It re-reads the user first: already gone is a no-op; a user that no longer fails that way
(someone else acted since the plan) is not removed — the action fails, so the new batch that
depends on it is skipped, and the next plan says what to do. Remove-MigrationUser is
ConfirmImpact High: the client sends `Confirm: false` (wire.py).
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
from t2t.planner.batches import needs_readd
from t2t.probes import exchange_objects as x
from t2t.state.exchange import MigrationUser


async def _user(exchange: ExchangeClient, identity: str) -> MigrationUser | None:
    return await read_one(exchange, "Get-MigrationUser", identity, x.parse_migration_user)


@executes(K.BATCH_REMOVE_USER)
async def run_migration_user_remove(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange["target"]
    identity = action.key

    async def replan() -> Write | None:
        user = await _user(exchange, identity)
        if user is None:
            return None
        if not needs_readd(user):
            raise ExecutionFailed(
                f"migration user {identity} is now {user.status} ({user.error or 'no error'}), "
                "not failed in a way that needs removing: not removed; run plan again"
            )
        cmdlet = "Remove-MigrationUser"
        return Write(cmdlet, lambda: exchange.invoke(cmdlet, {"Identity": identity}))

    return await converge(action, ctx, replan)
