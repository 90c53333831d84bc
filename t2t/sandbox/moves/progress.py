"""How far a migration user's copy has got at a moment of the sandbox clock.

Why a module of its own: Get-MigrationUser (SyncedItemCount, SkippedItemCount) and
Get-MigrationUserStatistics (PercentageComplete, BytesTransferred, …) must report the same
figures, and they must move while the user syncs — an administrator watching a batch sees the
percentage and the bytes rise, not a number that jumps from 0 to done.

Sources for the figures:

- "Data migrated: the total amount of data … for the mailbox items that have been migrated",
  "Items Synced", "Items Skipped" ("items … that weren't migrated") and "Last successful sync
  date" are the migration user statistics of Learn's *Migration users status report*
  (learn.microsoft.com/exchange/mailbox-migration/migration-users-status-report);
- ``SkippedItemCount`` is read in the Get-MigrationUserStatistics reference's Example 2, and
  ``MigrationUserStatistics`` derives from ``MigrationUser`` (Exchange Server API reference,
  MigrationUserStatistics class, jj960667), so the statistics carry the user's properties;
- ``DataConsistencyScore`` grades Perfect / Good / Investigate / Poor (Learn *Track and prevent
  migration data loss*, track-prevent-data-loss-dcs): skipped items are "noticeable data
  loss", so a user with any is ``Investigate`` (assumption: Microsoft's thresholds are not
  published; Good and Poor are not emulated).
- Investigate holds completion until the skipped items are approved (``awaits_approval``):
  "Approval of migrations with a score of Investigate or worse is required for the completion
  of Remote Move, Public Folder, and Google Workspace migrations" (same page; a cross-tenant
  batch is ExchangeRemoteMove), and Complete-MigrationBatch's reference: "If the batch appears
  stuck after running the cmdlet, check for unapproved skipped items (use Set-MigrationUser
  -ApproveSkippedItems)". The user stays ``Synced`` meanwhile: Get-MigrationUser's -Status
  list has no status of its own for it.

The pace (assumption: Microsoft publishes no curve): the copy runs evenly across the Syncing
step (``MoveServiceSettings.seconds_per_step``); PercentageComplete goes 10 → 94 across it (MRS
reports 10 % once the target is ready), 95 once Synced, 99 while completing, 100 when done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from t2t.sandbox.model import SandboxState, Tenant
from t2t.sandbox.moves.model import MigrationUser
from t2t.sandbox.recipients import Recipient

#: PercentageComplete at the start and just before the end of the initial sync.
SYNC_START_PERCENT, SYNC_END_PERCENT = 10, 94
#: PercentageComplete of the statuses past the copy.
_DONE_PERCENT = {"Synced": 95, "Completing": 99, "Completed": 100}


@dataclass(frozen=True)
class Totals:
    """What the source mailbox holds to copy (primary and archive)."""

    bytes: int
    items: int
    skipped: int
    """Items MRS cannot copy (``Recipient.corrupt_item_count``): reported as skipped."""


@dataclass(frozen=True)
class Progress:
    percent: int
    bytes_transferred: int
    bytes_total: int
    items_synced: int
    items_skipped: int
    items_total: int

    @property
    def consistency(self) -> str | None:
        """DataConsistencyScore, once anything was copied."""
        if not self.bytes_transferred and not self.items_synced:
            return None
        return "Investigate" if self.items_skipped else "Perfect"


def awaits_approval(mu: MigrationUser) -> bool:
    """Completion waits for approval: items were skipped (Investigate) and no
    -ApproveSkippedItems ran after the sync that found them ("marks all of the skipped items
    that were discovered prior to the current time as approved", Set-MigrationUser
    reference)."""
    if not mu.items_skipped:
        return False
    approved, found = mu.skipped_items_approved_at, mu.last_successful_sync
    return approved is None or (found is not None and approved < found)


def source_recipient(state: SandboxState, mu: MigrationUser) -> Recipient | None:
    """The source mailbox the move copies (known once the sync started)."""
    source: Tenant | None = (
        state.resolve_tenant(mu.source_tenant_id) if mu.source_tenant_id else None
    )
    if source is None or mu.source_user_id is None:
        return None
    u = source.user(mu.source_user_id)
    return u.recipient if u else None


def source_totals(state: SandboxState, mu: MigrationUser) -> Totals | None:
    r = source_recipient(state, mu)
    if r is None or not r.is_mailbox:  # not started, or moved (the source is a MailUser now)
        return None
    items = r.item_count + r.archive_item_count
    return Totals(
        bytes=r.total_item_size + r.archive_total_item_size,
        items=items,
        skipped=min(r.corrupt_item_count, items),
    )


def _synced_share(mu: MigrationUser, pace: dt.timedelta, now: dt.datetime) -> float:
    """The share of the copy done at ``now`` (the Syncing step runs until ``next_step_at``)."""
    if mu.next_step_at is None or pace.total_seconds() <= 0:
        return 1.0
    started = mu.next_step_at - pace
    share = (now - started).total_seconds() / pace.total_seconds()
    return min(max(share, 0.0), 1.0)


def progress(state: SandboxState, target: Tenant, mu: MigrationUser, now: dt.datetime) -> Progress:
    """The user's figures at ``now``: interpolated while Syncing, as recorded at Synced after."""
    totals = source_totals(state, mu)
    if mu.status == "Syncing" and totals is not None:
        share = _synced_share(mu, dt.timedelta(seconds=target.move_service.seconds_per_step), now)
        span = SYNC_END_PERCENT - SYNC_START_PERCENT
        return Progress(
            percent=SYNC_START_PERCENT + int(span * share),
            bytes_transferred=int(totals.bytes * share),
            bytes_total=totals.bytes,
            items_synced=int((totals.items - totals.skipped) * share),
            items_skipped=int(totals.skipped * share),
            items_total=totals.items,
        )
    percent = _DONE_PERCENT.get(mu.status, 95 if mu.last_successful_sync else 0)
    recorded_items = mu.items_synced + mu.items_skipped
    return Progress(
        percent=percent,
        bytes_transferred=mu.bytes_transferred,
        bytes_total=max(totals.bytes if totals else 0, mu.bytes_transferred),
        items_synced=mu.items_synced,
        items_skipped=mu.items_skipped,
        items_total=max(totals.items if totals else 0, recorded_items),
    )
