"""Read the mailbox moves of some batches, in bulk wherever Exchange allows (`t2t status`).

Three reads, through a read-only client (a write cannot be sent):

1. `Get-MigrationBatch -ResultSize Unlimited`: every batch in one paged call; the caller says
   which names it wants (a spec's waves and their sub-batches).
2. Per wanted batch, `Get-MigrationUser -BatchId <batch> -ResultSize Unlimited`: its users in
   one paged call (the StatusAndBatchId parameter set of the Get-MigrationUser reference).
3. Per user of those batches only, `Get-MigrationUserStatistics -Identity <address>`: the
   cmdlet has no bulk form — `-Identity` is mandatory and takes one user ("Use an email
   address"); the reference's own bulk example pipes `Get-MigrationUser -BatchId` into it, one
   call per user (Get-MigrationUserStatistics reference, Examples 4 and 5). These calls run
   concurrently within the bound the snapshot's per-mailbox statistics use, on the tenant's
   Exchange budget in the HTTP layer (a 429 holds every Exchange request of that tenant).

References (MicrosoftDocs/office-docs-powershell, exchange-ps/ExchangePowerShell/):
Get-MigrationBatch.md, Get-MigrationUser.md, Get-MigrationUserStatistics.md. Output property
names: MigrationUser.LastSuccessfulSyncTime (Exchange Server API reference, jj956435);
SkippedItemCount and Error (Get-MigrationUserStatistics Examples 1–2); ErrorSummary,
SyncedItemCount, PercentageComplete, BytesTransferred, EstimatedTotalTransferSize and
TotalItemsInSourceMailboxCount as the objects carry them (no Microsoft page lists them all; they
are the names migration scripts read).

A read that fails is unknown, never absent: the batches unreadable make the whole read
unknown; one batch's users or one user's statistics unreadable stay unknown alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from t2t.clients import ClientError, ExchangeClient, ObjectNotFound
from t2t.probes.mailbox_sizes import STATISTICS_CONCURRENCY
from t2t.probes.values import as_bytes, as_int, as_str
from t2t.state.moves import (
    BatchMoves,
    BatchProgress,
    MoveFigures,
    MovesRead,
    UserProgress,
)

#: What is asked of Get-MigrationUserStatistics (`$select`): the copy's figures only; the
#: user's own properties come from Get-MigrationUser.
STATISTICS_PROPERTIES = (
    "Identity",
    "PercentageComplete",
    "BytesTransferred",
    "EstimatedTotalTransferSize",
    "TotalItemsInSourceMailboxCount",
    "Error",
)


def utc_text(value: Any) -> str | None:
    """An Exchange DateTime (`yyyy-MM-ddTHH:mm:ss.fffffffZ`, wire-protocols.md §1.3) as
    `yyyy-MM-ddTHH:mm:ssZ`; anything else as it came."""
    text = as_str(value)
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text[:19])
    except ValueError:
        return text
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_batch_progress(r: dict[str, Any]) -> BatchProgress:
    return BatchProgress(
        identity=str(r.get("Identity") or ""),
        status=str(r.get("Status") or ""),
        total_count=as_int(r.get("TotalCount")) or 0,
        synced_count=as_int(r.get("SyncedCount")) or 0,
        finalized_count=as_int(r.get("FinalizedCount")) or 0,
        failed_count=as_int(r.get("FailedCount")) or 0,
        active_count=as_int(r.get("ActiveCount")) or 0,
        stopped_count=as_int(r.get("StoppedCount")) or 0,
        complete_after=utc_text(r.get("CompleteAfter")),
        last_synced=utc_text(r.get("LastSyncedDateTime")),
    )


def parse_user_progress(r: dict[str, Any]) -> UserProgress:
    return UserProgress(
        identity=str(r.get("Identity") or r.get("MailboxEmailAddress") or ""),
        batch_id=str(r.get("BatchId") or ""),
        status=str(r.get("Status") or ""),
        items_synced=as_int(r.get("SyncedItemCount")),
        items_skipped=as_int(r.get("SkippedItemCount")),
        last_successful_sync=utc_text(r.get("LastSuccessfulSyncTime")),
        error=as_str(r.get("ErrorSummary")),
        data_consistency_score=as_str(r.get("DataConsistencyScore")),
    )


def parse_figures(r: dict[str, Any]) -> MoveFigures:
    return MoveFigures(
        percent_complete=as_int(r.get("PercentageComplete")),
        bytes_transferred=as_bytes(r.get("BytesTransferred")),
        bytes_total=as_bytes(r.get("EstimatedTotalTransferSize")),
        items_total=as_int(r.get("TotalItemsInSourceMailboxCount")),
        error=as_str(r.get("Error")),
    )


class _Counter:
    """Cmdlet calls made by one read."""

    def __init__(self) -> None:
        self.calls = 0


async def _statistics(
    exchange: ExchangeClient, user: UserProgress, limit: asyncio.Semaphore, count: _Counter
) -> UserProgress:
    async with limit:
        count.calls += 1
        try:
            result = await exchange.invoke(
                "Get-MigrationUserStatistics",
                {"Identity": user.identity},
                select=STATISTICS_PROPERTIES,
            )
        except ObjectNotFound:  # removed from its batch since Get-MigrationUser
            return user
        except ClientError as exc:
            return replace(user, unreadable=f"Get-MigrationUserStatistics failed: {exc}")
    try:
        figures = [parse_figures(v) for v in result.values]
    except (ValueError, TypeError, KeyError) as exc:
        return replace(user, unreadable=f"Get-MigrationUserStatistics unreadable: {exc}")
    return replace(user, figures=figures[0] if figures else None)


async def _batch_users(
    exchange: ExchangeClient, batch: BatchProgress, limit: asyncio.Semaphore, count: _Counter
) -> BatchMoves:
    try:
        async with limit:
            count.calls += 1
            result = await exchange.invoke(
                "Get-MigrationUser", {"BatchId": batch.identity, "ResultSize": "Unlimited"}
            )
        users = [parse_user_progress(v) for v in result.values]
    except ObjectNotFound:  # removed since Get-MigrationBatch
        return BatchMoves(batch=batch)
    except ClientError as exc:
        return BatchMoves(batch=batch, unreadable=f"Get-MigrationUser failed: {exc}")
    except (ValueError, TypeError, KeyError) as exc:
        return BatchMoves(batch=batch, unreadable=f"Get-MigrationUser unreadable: {exc}")
    read = await asyncio.gather(*(_statistics(exchange, u, limit, count) for u in users))
    return BatchMoves(batch=batch, users=tuple(read))


async def read_moves(
    exchange: ExchangeClient,
    wanted: Callable[[str], bool],
    *,
    concurrency: int = STATISTICS_CONCURRENCY,
) -> MovesRead:
    """The batches whose name `wanted` accepts, their users and each user's statistics."""
    reader = exchange.reader()  # the read-only guard: a status cannot send a write
    read_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    count = _Counter()
    try:
        count.calls += 1
        result = await reader.invoke("Get-MigrationBatch", {"ResultSize": "Unlimited"})
        batches = [parse_batch_progress(v) for v in result.values]
    except ClientError as exc:
        return MovesRead(read_at, unreadable=f"Get-MigrationBatch failed: {exc}", requests=1)
    except (ValueError, TypeError, KeyError) as exc:
        return MovesRead(read_at, unreadable=f"Get-MigrationBatch unreadable: {exc}", requests=1)
    limit = asyncio.Semaphore(concurrency)
    chosen = [b for b in batches if wanted(b.identity)]
    read = await asyncio.gather(*(_batch_users(reader, b, limit, count) for b in chosen))
    return MovesRead(read_at, batches=tuple(read), requests=count.calls)
