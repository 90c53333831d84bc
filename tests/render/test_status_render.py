"""`t2t status` built and rendered from a read of the moves, without a tenant: the wave's
batches and sub-batches, unbatched mailboxes, unknown reads (exit 4), CSV cells a spreadsheet
would run as formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from t2t.render.status import render_status_csv, render_status_json, render_status_text
from t2t.render.status_report import build_status, wants_batch
from t2t.spec import load_spec
from t2t.state.moves import BatchMoves, BatchProgress, MoveFigures, MovesRead, UserProgress

SPEC = Path(__file__).resolve().parents[2] / "specs" / "quickstart.yaml"
READ_AT = "2026-12-07T10:00:00Z"


def _batch(name: str, status: str = "Syncing") -> BatchProgress:
    return BatchProgress(name, status, 1, 0, 0, 0, 1, 0, None, None)


def _user(address: str, batch: str, **kw: object) -> UserProgress:
    fields: dict[str, object] = dict(
        identity=address,
        batch_id=batch,
        status="Syncing",
        items_synced=10,
        items_skipped=0,
        last_successful_sync=None,
        error=None,
        figures=MoveFigures(40, 1000, 4000, 25, None),
    )
    fields.update(kw)
    return UserProgress(**fields)  # type: ignore[arg-type]


def test_waves_gather_their_batches_and_list_unbatched_mailboxes() -> None:
    desired = load_spec(SPEC)
    wanted = wants_batch(desired)
    assert [n for n in ("wave-1", "wave-1-02", "wave-10", "other") if wanted(n)] == [
        "wave-1",
        "wave-1-02",
    ]
    moves = MovesRead(
        READ_AT,
        batches=(
            BatchMoves(_batch("wave-1-02"), (_user("megan@fabrikam.com", "wave-1-02"),)),
            BatchMoves(_batch("wave-1"), (_user("debra@fabrikam.com", "wave-1"),)),
        ),
    )
    report = build_status(desired, moves)
    (wave,) = report.waves
    assert [b.name for b in wave.batches] == ["wave-1", "wave-1-02"]  # sub-batch order
    assert [m.mailbox for m in wave.not_batched] == [
        "alex.wilber@fabrikam.com",
        "lynne.robbins@fabrikam.com",
        "nestor@fabrikam.com",
    ]
    assert report.exit_code == 0
    document = json.loads(render_status_json(report))
    assert document["summary"] == {
        "mailboxes": 5,
        "byStatus": {"NotBatched": 3, "Syncing": 2},
        "failed": 0,
        "unreadable": 0,
    }
    assert document["waves"][0]["batches"][0]["mailboxes"][0] == {
        "wave": "wave-1",
        "batch": "wave-1",
        "mailbox": "debra@fabrikam.com",
        "source": "debra@contoso.com",
        "status": "Syncing",
        "percentComplete": 40,
        "bytesTransferred": 1000,
        "bytesTotal": 4000,
        "itemsSynced": 10,
        "itemsSkipped": 0,
        "lastSuccessfulSync": None,
        "error": None,
        "checks": [],
        "unreadable": None,
    }


def test_unreadable_batches_exit_4_and_say_why() -> None:
    desired = load_spec(SPEC)
    report = build_status(desired, MovesRead(READ_AT, unreadable="Get-MigrationBatch failed: 503"))
    assert report.exit_code == 4
    assert report.unreadables() == ("Get-MigrationBatch failed: 503",)
    assert all(m.unreadable and m.status is None for m in report.mailboxes())
    text = render_status_text(report)
    assert "? the batches could not be read: Get-MigrationBatch failed: 503" in text
    assert text.count("? could not read") == 5


def test_csv_cells_never_start_a_formula() -> None:
    desired = load_spec(SPEC)
    hostile = '=HYPERLINK("https://evil.example","click")'
    moves = MovesRead(
        READ_AT,
        batches=(
            BatchMoves(
                _batch("wave-1", "Failed"),
                (_user("debra@fabrikam.com", "wave-1", status="Failed", error=hostile),),
            ),
        ),
    )
    rows = list(csv.DictReader(io.StringIO(render_status_csv(build_status(desired, moves)))))
    assert rows[0]["error"] == "'" + hostile
    assert rows[0]["percent_complete"] == "40"
    assert len(rows) == 5
