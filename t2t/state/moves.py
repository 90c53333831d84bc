"""The mailbox moves as they stand: what `t2t status` reads (Get-MigrationBatch,
Get-MigrationUser, Get-MigrationUserStatistics).

Kept apart from the snapshot's `MigrationBatch` / `MigrationUser` (state/exchange.py), which
hold only what the planner decides on: these carry the figures an administrator watches —
counts, percent, bytes, items, the last sync — and are read only by `t2t status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from t2t.state.plain import WHEN_SET


@dataclass(frozen=True)
class BatchProgress:
    """One batch as Get-MigrationBatch shows it."""

    identity: str
    status: str
    total_count: int
    synced_count: int
    finalized_count: int
    failed_count: int
    active_count: int
    stopped_count: int
    complete_after: str | None
    last_synced: str | None  # LastSyncedDateTime, UTC ISO 8601


@dataclass(frozen=True)
class MoveFigures:
    """Get-MigrationUserStatistics of one migration user: how far its copy has got."""

    percent_complete: int | None
    bytes_transferred: int | None
    bytes_total: int | None  # EstimatedTotalTransferSize
    items_total: int | None  # TotalItemsInSourceMailboxCount
    error: str | None


@dataclass(frozen=True)
class UserProgress:
    """One migration user (Get-MigrationUser), with its statistics when they were read."""

    identity: str  # the target address (the batch CSV's EmailAddress)
    batch_id: str
    status: str
    items_synced: int | None
    items_skipped: int | None
    last_successful_sync: str | None  # LastSuccessfulSyncTime, UTC ISO 8601
    error: str | None  # ErrorSummary
    figures: MoveFigures | None = None
    unreadable: str | None = None
    """Why its statistics could not be read (None: read, or not asked for)."""
    data_consistency_score: str | None = field(default=None, metadata=WHEN_SET)
    """DataConsistencyScore: Perfect, Good, Investigate or Poor (None: nothing copied yet)."""


@dataclass(frozen=True)
class BatchMoves:
    """A batch and its users; `unreadable` says why its users could not be read."""

    batch: BatchProgress
    users: tuple[UserProgress, ...] = ()
    unreadable: str | None = None


@dataclass(frozen=True)
class MovesRead:
    """Every batch a status asked for, read at `read_at`; `unreadable` when the batches
    themselves could not be listed (nothing else is known then)."""

    read_at: str
    batches: tuple[BatchMoves, ...] = ()
    unreadable: str | None = None
    requests: int = field(default=0, compare=False)
    """Cmdlet calls the read made (Get-MigrationBatch, per batch Get-MigrationUser, per user
    Get-MigrationUserStatistics): the cost of one refresh."""
