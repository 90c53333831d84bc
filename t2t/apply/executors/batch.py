"""Executors for `batch.create`, `batch.start`, `batch.complete`, `batch.set_complete_after`
(microsoft-t2t.md §6): re-read the batch (Get-MigrationBatch -Identity) and its migration
users, plan it again (`next_step`), write, verify by re-reading.

-CSVData is the CSV's UTF-8 bytes as `#Exchange.ByteArrayType`, -CompleteAfter a DateTime in
UTC, Complete-MigrationBatch carries `Confirm: false` (wire.py, with sources). A batch that
already exists is never re-created; a step whose moment has passed (the batch moved on by
itself) is a no-op.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Held, Write, converge
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ExchangeClient, ObjectNotFound, wire
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.batches import BatchDesire, next_step, step_call
from t2t.probes import exchange_objects as x
from t2t.state.exchange import MigrationBatch, MigrationUser


async def read_batch(
    exchange: ExchangeClient, name: str
) -> tuple[MigrationBatch | None, tuple[MigrationUser, ...]]:
    """The batch called ``name`` and its migration users, read now (None, () when absent)."""
    reader = exchange.reader()
    try:
        out = await reader.invoke("Get-MigrationBatch", {"Identity": name})
    except ObjectNotFound:
        return None, ()
    if not out.values:
        return None, ()
    batch = x.parse_batch(out.values[0])
    users = await reader.invoke("Get-MigrationUser", {"BatchId": name, "ResultSize": "Unlimited"})
    return batch, tuple(x.parse_migration_user(r) for r in users.values)


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _wire(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    if "CSVData" in out:
        out["CSVData"] = wire.csv_data(str(out["CSVData"]))
    if out.get("CompleteAfter"):
        out["CompleteAfter"] = wire.datetime_value(_when(str(out["CompleteAfter"])))
    return out


@executes(K.BATCH_CREATE, K.BATCH_START, K.BATCH_COMPLETE, K.BATCH_SET_COMPLETE_AFTER)
async def run_batch(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange["target"]
    desire = BatchDesire.from_dict(action.desired)

    async def replan() -> Write | None:
        batch, users = await read_batch(exchange, desire.name)
        step = next_step(desire, batch, users)
        if step != action.kind:  # converged, or the batch moved on by itself
            if batch is None:
                raise ExecutionFailed(f"batch {desire.name} does not exist")
            return None
        held = [m for m in desire.mailboxes if m.lower() in ctx.licences_provisioning]
        if step == K.BATCH_CREATE.name and held:
            # Licensed moments ago in this run: until Exchange has provisioned the licences
            # the move service sees no ExchangeT2TMbxMove and licensing may still scrub
            # proxies (executors/licensing.py), so the batch waits for a later run.
            raise Held(
                f"held: Exchange is still provisioning the licences of {', '.join(held)} "
                "(T2T-E320); apply again once they have provisioned"
            )
        cmdlet, params = step_call(desire, step)
        return Write(cmdlet, lambda: exchange.invoke(cmdlet, _wire(params)))

    return await converge(action, ctx, replan)
