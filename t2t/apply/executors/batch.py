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
from t2t.apply.executors.common import ExecutionFailed, failure_message, verified
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, ExchangeClient, ObjectNotFound, wire
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.batches import BatchDesire, next_step
from t2t.probes import exchange_objects as x
from t2t.state.exchange import MigrationBatch, MigrationUser


async def _read(
    exchange: ExchangeClient, name: str
) -> tuple[MigrationBatch | None, tuple[MigrationUser, ...]]:
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
    result = ActionResult(id=action.id, status="done")
    desire = BatchDesire.from_dict(action.desired)
    try:
        batch, users = await _read(exchange, desire.name)
        step = next_step(desire, batch, users)
        held = [m for m in desire.mailboxes if m.lower() in ctx.licences_provisioning]
        if step == K.BATCH_CREATE.name and held:
            # Licensed moments ago in this run: until Exchange has provisioned the licences
            # the move service sees no ExchangeT2TMbxMove and licensing may still scrub
            # proxies (executors/licensing.py), so the batch waits for a later run.
            result.status = "blocked"
            result.message = (
                f"held: Exchange is still provisioning the licences of {', '.join(held)} "
                "(T2T-E320); apply again once they have provisioned"
            )
            return result
        if step != action.kind:
            if batch is None:
                raise ExecutionFailed(f"batch {desire.name} does not exist")
            result.status = "noop"
            result.message = f"nothing to do: batch {desire.name} is {batch.status}"
            return result
        try:
            out = await exchange.invoke(action.cmdlet, _wire(action.parameters))
        except ClientError as exc:
            batch, users = await _read(exchange, desire.name)
            if next_step(desire, batch, users) != action.kind:
                result.message = f"already converged after {exc}"
                return result
            raise ExecutionFailed(str(exc)) from exc
        result.warnings.extend(out.warnings)
        result.request_ids.extend(out.request_ids)

        async def converged() -> bool:
            b, u = await _read(exchange, desire.name)
            if action.kind == K.BATCH_CREATE.name:
                return b is not None
            return next_step(desire, b, u) != action.kind

        if not await verified(ctx, converged):
            raise ExecutionFailed(
                f"{action.cmdlet} returned but batch {desire.name} shows no change"
            )
        result.message = f"{action.cmdlet} verified"
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)
    return result
