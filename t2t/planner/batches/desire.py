"""What one migration batch should be, and the one step that moves it there (pure).

Shared by the planner and the executors, which re-plan from a fresh Get-MigrationBatch /
Get-MigrationUser right before writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from t2t.planner import kinds as K
from t2t.planner.batches.catalogue import COMPLETABLE, DONE, REMOVE_AND_READD, SETTLING, group
from t2t.state.exchange import MigrationBatch, MigrationUser

#: Batch statuses in which Start-MigrationBatch retries failed or stopped users.
RESTARTABLE = frozenset({"stopped", "failed", "syncedwitherrors", "completedwitherrors", "created"})


@dataclass(frozen=True)
class BatchDesire:
    name: str  # the Exchange batch name (a sub-batch's, e.g. wave-1-02)
    wave: str  # the spec's batch name
    endpoint: str
    target_delivery_domain: str
    phase: Literal["sync", "complete"]
    complete_after: str | None  # UTC, ISO 8601 with Z
    mailboxes: tuple[str, ...] = ()  # target addresses, spec order (only for batch.create)

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["mailboxes"] = list(self.mailboxes)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchDesire:
        return cls(**{**data, "mailboxes": tuple(data.get("mailboxes") or ())})


def utc_text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_time(observed: str | None, desired: str | None) -> bool:
    """CompleteAfter as Exchange returns it (7 fractional digits) vs the spec's, to the second."""
    if not observed or not desired:
        return observed == desired or (not observed and not desired)
    return observed[:19] == desired[:19]


def csv_text(mailboxes: tuple[str, ...]) -> str:
    """Microsoft's batch CSV: one EmailAddress column of TARGET addresses (microsoft-t2t.md §6)."""
    return "EmailAddress\r\n" + "".join(f"{m}\r\n" for m in mailboxes)


def needs_readd(user: MigrationUser) -> bool:
    """A failed migration user whose ErrorSummary (``Type: message``) names a failure Microsoft
    fixes only by removing the user from the batch and adding it to a new one (LEARN-24
    "Migration Failures"; catalogue.REMOVE_AND_READD): Start-MigrationBatch never helps it."""
    exception = (user.error or "").split(":", 1)[0].strip()
    return group(user.status) == "failed" and exception in REMOVE_AND_READD


def needs_retry(batch: MigrationBatch, users: tuple[MigrationUser, ...]) -> bool:
    """Start-MigrationBatch would retry someone: a stopped batch, or a failed or stopped user
    that a retry can help (not one that needs removing and adding again)."""
    s = batch.status.lower()
    if s not in RESTARTABLE:
        return False
    retryable = any(group(u.status) in ("failed", "stopped") and not needs_readd(u) for u in users)
    if s == "stopped" or (s == "failed" and not users):
        return True
    return retryable


def next_step(
    desire: BatchDesire, batch: MigrationBatch | None, users: tuple[MigrationUser, ...]
) -> str | None:
    """The one step that brings the batch closer to the spec, or None (converged, or changing
    by itself). One step per plan: after it, the next plan sees the new status."""
    if batch is None:
        return K.BATCH_CREATE.name
    s = batch.status.lower()
    if group(s) == "unknown" or s in SETTLING or (s in DONE and not needs_retry(batch, users)):
        return None
    if desire.phase == "complete":
        if desire.complete_after is None:
            # Complete-MigrationBatch sets CompleteAfter to now (PSDOC-CB): once set, the
            # batch completes by itself; sending it again within 8 h may be ignored.
            if s in COMPLETABLE and not batch.complete_after:
                return K.BATCH_COMPLETE.name
        elif s not in DONE and not same_time(batch.complete_after, desire.complete_after):
            return K.BATCH_SET_COMPLETE_AFTER.name
    if needs_retry(batch, users):
        return K.BATCH_START.name
    return None


#: The cmdlet of each step (the batch create, then the moves' steps: microsoft-t2t.md §6).
STEP_CMDLETS = {
    K.BATCH_CREATE.name: "New-MigrationBatch",
    K.BATCH_COMPLETE.name: "Complete-MigrationBatch",
    K.BATCH_SET_COMPLETE_AFTER.name: "Set-MigrationBatch",
    K.BATCH_START.name: "Start-MigrationBatch",
}


def step_call(desire: BatchDesire, step: str) -> tuple[str, dict[str, Any]]:
    """The cmdlet and parameters of one step, from the desire alone: what the plan shows and
    what the executor sends after planning the batch again from a fresh read."""
    if step == K.BATCH_CREATE.name:
        params: dict[str, Any] = {
            "Name": desire.name,
            "SourceEndpoint": desire.endpoint,
            "CSVData": csv_text(desire.mailboxes),
            "TargetDeliveryDomain": desire.target_delivery_domain,
            "AutoStart": True,
        }
        if desire.complete_after:
            params["CompleteAfter"] = desire.complete_after
        return STEP_CMDLETS[step], params
    if step == K.BATCH_SET_COMPLETE_AFTER.name:
        return STEP_CMDLETS[step], {"Identity": desire.name, "CompleteAfter": desire.complete_after}
    return STEP_CMDLETS[step], {"Identity": desire.name}


def batch_observed(b: MigrationBatch | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "Identity": b.identity,
        "Status": b.status,
        "SourceEndpoint": b.source_endpoint,
        "TargetDeliveryDomain": b.target_delivery_domain,
        "TotalCount": b.total_count,
        "CompleteAfter": b.complete_after,
    }
