"""What `t2t status` shows: the spec's waves, their batches and every mailbox, built from one
read of the moves (t2t/probes/moves.py). Pure: the renderers (status.py) only format it.

Per wave of the spec: each of its batches in Exchange (the wave's own name and its
sub-batches `<wave>-NN`, t2t/planner/batches) with Get-MigrationBatch's status and counts, and
each mailbox with its migration user's status, the copy's figures and, for a failure, the
check that prevents it and that check's fix (t2t/planner/failures.py); for a user whose
skipped items wait for approval, T2T-W412 and its fix (t2t/planner/batches/approval.py). A
mailbox of the wave that is in none of its batches yet is listed too, without a status (phase
prepare, or not batched yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from t2t.planner import EXIT_OK, EXIT_UNKNOWN
from t2t.planner.batches import wave_batch_index
from t2t.planner.batches.approval import AWAITING_APPROVAL, approval_detail, awaits_approval
from t2t.planner.failures import checks_for_failure
from t2t.spec import Desired
from t2t.state.moves import BatchMoves, MovesRead, UserProgress

#: The JSON document's `kind`: its shape is versioned (README "t2t status").
STATUS_KIND = "t2t-status/1"


@dataclass(frozen=True)
class CheckRef:
    """A check of the catalogue that prevents a failure, with its fix."""

    code: str
    title: str
    fix: str


@dataclass(frozen=True)
class MailboxStatus:
    wave: str
    batch: str | None  # None: in none of the wave's batches
    mailbox: str  # the target address (the migration user's identity)
    source: str | None  # None: a migration user the spec does not declare
    status: str | None  # Microsoft's migration user status; None: no migration user
    percent_complete: int | None = None
    bytes_transferred: int | None = None
    bytes_total: int | None = None
    items_synced: int | None = None
    items_skipped: int | None = None
    last_successful_sync: str | None = None
    error: str | None = None
    checks: tuple[CheckRef, ...] = ()
    unreadable: str | None = None
    waiting: str | None = None
    """Why the move waits for a person though nothing failed (T2T-W412's detail), or None."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "wave": self.wave,
            "batch": self.batch,
            "mailbox": self.mailbox,
            "source": self.source,
            "status": self.status,
            "percentComplete": self.percent_complete,
            "bytesTransferred": self.bytes_transferred,
            "bytesTotal": self.bytes_total,
            "itemsSynced": self.items_synced,
            "itemsSkipped": self.items_skipped,
            "lastSuccessfulSync": self.last_successful_sync,
            "error": self.error,
            "checks": [vars(c) for c in self.checks],
            "unreadable": self.unreadable,
        }


@dataclass(frozen=True)
class BatchStatus:
    name: str
    status: str
    total: int
    synced: int
    completed: int
    failed: int
    complete_after: str | None
    last_synced: str | None
    mailboxes: tuple[MailboxStatus, ...]
    unreadable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "total": self.total,
            "synced": self.synced,
            "completed": self.completed,
            "failed": self.failed,
            "completeAfter": self.complete_after,
            "lastSynced": self.last_synced,
            "unreadable": self.unreadable,
            "mailboxes": [m.to_dict() for m in self.mailboxes],
        }


@dataclass(frozen=True)
class WaveStatus:
    name: str
    phase: str
    batches: tuple[BatchStatus, ...]
    not_batched: tuple[MailboxStatus, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phase": self.phase,
            "batches": [b.to_dict() for b in self.batches],
            "notBatched": [m.to_dict() for m in self.not_batched],
        }


@dataclass(frozen=True)
class StatusReport:
    spec: str
    read_at: str
    waves: tuple[WaveStatus, ...]
    unreadable: str | None = None
    """Why the batches could not be listed (then nothing else is known)."""

    def mailboxes(self) -> tuple[MailboxStatus, ...]:
        """Every row, wave by wave: each batch's mailboxes, then the wave's unbatched ones."""
        return tuple(
            m for w in self.waves for rows in (*(b.mailboxes for b in w.batches), w.not_batched)
            for m in rows
        )  # fmt: skip

    def unreadables(self) -> tuple[str, ...]:
        out = [self.unreadable] if self.unreadable else []
        for wave in self.waves:
            for b in wave.batches:
                out += [f"batch {b.name}: {b.unreadable}"] if b.unreadable else []
                out += [f"{m.mailbox}: {m.unreadable}" for m in b.mailboxes if m.unreadable]
        # An unbatched row's `unreadable` repeats its batch's or the batches' reason.
        return tuple(out)

    @property
    def exit_code(self) -> int:
        """0 when everything was read (whatever the moves' states: a failed mailbox is news,
        not an error of the command); 4 when something could not be (README exit codes)."""
        return EXIT_UNKNOWN if self.unreadables() else EXIT_OK

    def summary(self) -> dict[str, Any]:
        rows = self.mailboxes()
        by_status: dict[str, int] = {}
        for m in rows:
            key = m.status or "NotBatched"
            by_status[key] = by_status.get(key, 0) + 1
        return {
            "mailboxes": len(rows),
            "byStatus": dict(sorted(by_status.items())),
            "failed": sum(1 for m in rows if m.error),
            "unreadable": len(self.unreadables()),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": STATUS_KIND,
            "spec": self.spec,
            "readAt": self.read_at,
            "exitCode": self.exit_code,
            "unreadable": list(self.unreadables()),
            "summary": self.summary(),
            "waves": [w.to_dict() for w in self.waves],
        }


def _checks(error: str | None) -> tuple[CheckRef, ...]:
    return tuple(CheckRef(c.code, c.title, c.fix) for c in checks_for_failure(error))


def _mailbox(wave: str, batch: str, user: UserProgress, sources: dict[str, str]) -> MailboxStatus:
    figures = user.figures
    error = user.error or (figures.error if figures else None)
    checks = _checks(error)
    waiting = None
    if awaits_approval(user.status, user.data_consistency_score):
        waiting = approval_detail(batch, user.data_consistency_score, user.items_skipped)
        approval = AWAITING_APPROVAL
        checks += (CheckRef(approval.code, approval.title, approval.fix),)
    return MailboxStatus(
        wave=wave,
        batch=batch,
        mailbox=user.identity,
        source=sources.get(user.identity.lower()),
        status=user.status,
        percent_complete=figures.percent_complete if figures else None,
        bytes_transferred=figures.bytes_transferred if figures else None,
        bytes_total=figures.bytes_total if figures else None,
        items_synced=user.items_synced,
        items_skipped=user.items_skipped,
        last_successful_sync=user.last_successful_sync,
        error=error,
        checks=checks,
        unreadable=user.unreadable,
        waiting=waiting,
    )


def _batch(wave: str, moves: BatchMoves, sources: dict[str, str]) -> BatchStatus:
    b = moves.batch
    return BatchStatus(
        name=b.identity,
        status=b.status,
        total=b.total_count,
        synced=b.synced_count,
        completed=b.finalized_count,
        failed=b.failed_count,
        complete_after=b.complete_after,
        last_synced=b.last_synced,
        mailboxes=tuple(_mailbox(wave, b.identity, u, sources) for u in moves.users),
        unreadable=moves.unreadable,
    )


def wants_batch(desired: Desired) -> Callable[[str], bool]:
    """Whether a batch name is one of the spec's waves or their sub-batches."""
    waves = tuple(w.name for w in desired.batches)
    return lambda name: any(wave_batch_index(w, name) is not None for w in waves)


def build_status(desired: Desired, moves: MovesRead) -> StatusReport:
    sources = {m.target.lower(): m.source for m in desired.mailboxes}
    waves: list[WaveStatus] = []
    for wave in desired.batches:
        mine = sorted(
            (
                (index, b)
                for b in moves.batches
                if (index := wave_batch_index(wave.name, b.batch.identity)) is not None
            ),
            key=lambda pair: pair[0],
        )
        batches = tuple(_batch(wave.name, b, sources) for _, b in mine)
        seen = {m.mailbox.lower() for b in batches for m in b.mailboxes}
        # Users of an unreadable batch are unknown, not unbatched.
        unknown = next((b.unreadable for b in batches if b.unreadable), None) or moves.unreadable
        not_batched = tuple(
            MailboxStatus(
                wave=wave.name,
                batch=None,
                mailbox=address,
                source=sources.get(address.lower()),
                status=None,
                unreadable=unknown,
            )
            for address in wave.mailboxes
            if address.lower() not in seen
        )
        waves.append(WaveStatus(wave.name, wave.phase, batches, not_batched))
    return StatusReport(desired.name, moves.read_at, tuple(waves), moves.unreadable)
