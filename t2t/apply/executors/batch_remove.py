"""Executor for `batch.remove`: Remove-MigrationBatch for a wave's batch on an endpoint that
points at the wrong tenant, none of whose users completed (T2T-E232's remedy;
planner/batches/replacement.py). Its users then go into the wave's new sub-batch on the
endpoint in use, which depends on this action.

It re-reads the batch first: gone, or already Removing, is done; a batch now on the endpoint in
use, running (Remove-MigrationBatch: "a migration batch that either isn't running or has been
completed", its reference), or with a user that completed since the plan is not removed — the
action fails, the new sub-batch is skipped, and the next plan says what to do. The cmdlet is
ConfirmImpact High: the client sends `Confirm: false` (wire.py).
"""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.batch import read_batch
from t2t.apply.executors.common import ExecutionFailed, Write, converge
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.batches import BatchDesire
from t2t.planner.batches.catalogue import group
from t2t.planner.batches.replacement import REMOVING, RUNNING


@executes(K.BATCH_REMOVE)
async def run_batch_remove(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange["target"]
    desire = BatchDesire.from_dict(action.desired)

    async def replan() -> Write | None:
        batch, users = await read_batch(exchange, desire.name)
        if batch is None or batch.status.lower() == REMOVING:
            return None
        named = batch.source_endpoint  # None: a batch on no endpoint, never the one in use
        if named is not None and named.lower() == desire.endpoint.lower():
            raise ExecutionFailed(
                f"batch {desire.name} is on {named}, the endpoint in use: not removed; "
                "run plan again"
            )
        done = [u.identity for u in users if group(u.status) == "done"]
        if done:
            raise ExecutionFailed(
                f"batch {desire.name}: {', '.join(done)} completed since the plan: not "
                "removed (its unfinished users are removed one by one instead); run plan again"
            )
        if batch.status.lower() in RUNNING:
            raise ExecutionFailed(
                f"batch {desire.name} is {batch.status}: Remove-MigrationBatch removes only a "
                "batch that isn't running; run plan again"
            )
        cmdlet = "Remove-MigrationBatch"
        return Write(cmdlet, lambda: exchange.invoke(cmdlet, {"Identity": desire.name}))

    return await converge(action, ctx, replan)
