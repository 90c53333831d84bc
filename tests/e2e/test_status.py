"""`t2t status` end to end, as an administrator runs it during the migration week.

The quickstart spec is applied until its batch exists (the sandbox's move pace slowed to ten
minutes a step, so each read lands where the test means it to). Before the users start,
debra's source mailbox is put on litigation hold and alex's gets seven items a move cannot
copy. Then, on the sandbox clock: every user syncing, percent, bytes and items rising between
two reads; debra Failed with Microsoft's exception, the check that prevents it (T2T-E304) and
its fix; once synced, every figure the whole of the source mailbox, alex's skipped items, the
last successful sync, and alex named as waiting for approval of its skipped items (T2T-W412,
with the command). The same in CSV (one row per mailbox), with the read-only plan identity
(no write), and exit 4 when one user's statistics cannot be read. `--watch` redraws in a pty
and stops on SIGINT with exit 0.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from t2t.planner import CATALOGUE
from tests.e2e.helpers import ROOT, T2T, control, interruptible, invoke, run, stats
from tests.e2e.test_batches import advance
from tests.e2e.test_read_only_plan import READ_ONLY

SPEC = ROOT / "specs" / "quickstart.yaml"
MAILBOXES = {  # target → source, as the quickstart spec declares them
    "debra@fabrikam.com": "debra@contoso.com",
    "alex.wilber@fabrikam.com": "alex@contoso.com",
    "megan@fabrikam.com": "megan@contoso.com",
    "lynne.robbins@fabrikam.com": "lynne@contoso.com",
    "nestor@fabrikam.com": "nestor@contoso.com",
}
HELD = "debra@fabrikam.com"
SKIPPING, SKIPPED = "alex.wilber@fabrikam.com", 7
STEP = 600  # sandbox seconds per migration-user status step


def _status(state: Path, *args: str, spec: Path = SPEC) -> tuple[int, str]:
    done = run("status", str(spec), *args, state=state)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done.returncode, done.stdout


def _document(state: Path) -> dict[str, Any]:
    code, out = _status(state, "--format", "json")
    document = json.loads(out)
    assert code == document["exitCode"] == 0, out
    return dict(document)


def _rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (wave,) = document["waves"]
    (batch,) = wave["batches"]
    assert wave["notBatched"] == []
    return {m["mailbox"]: m for m in batch["mailboxes"]}


def _source_sizes(profile: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(bytes, items) of each source mailbox, its archive included, as Get-MailboxStatistics
    shows them: what a move copies."""
    out = {}
    for target, source in MAILBOXES.items():
        (box,) = invoke(profile, "contoso", "Get-Mailbox", {"Identity": source})["value"]
        parts: list[dict[str, Any]] = [{}]
        parts += [{"Archive": True}] if box["ArchiveStatus"] == "Active" else []
        size = items = 0
        for extra in parts:
            params = {"Identity": source, **extra}
            (s,) = invoke(profile, "contoso", "Get-MailboxStatistics", params)["value"]
            size += int(str(s["TotalItemSize"]).split("(")[1].split(" bytes")[0].replace(",", ""))
            items += int(s["ItemCount"])
        out[target] = (size, items)
    return out


def _started(state: Path, profile: dict[str, Any]) -> None:
    """Apply until the wave's batch exists; then arrange the hold and the bad items."""
    control(profile, "POST", "moves", {"secondsPerStep": STEP})
    run("apply", str(SPEC), "--auto-approve", state=state)
    advance(profile, 121)  # the licences provision (T2T-E320), then the batch is created
    applied = run("apply", str(SPEC), "--auto-approve", state=state)
    assert "batch.create:wave-1: done" in applied.stdout, applied.stdout[-3000:]
    control(profile, "PATCH", "exchange/contoso/recipients/debra@contoso.com",
            {"litigation_hold_enabled": True})  # fmt: skip
    control(profile, "PATCH", "exchange/contoso/recipients/alex@contoso.com",
            {"corrupt_item_count": SKIPPED})  # fmt: skip


def test_status_follows_a_batch_as_it_syncs(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    _started(state, profile)
    sizes = _source_sizes(profile)
    hold = CATALOGUE["T2T-E304"]
    approval = CATALOGUE["T2T-W412"]  # alex's skipped items: Investigate

    queued = _rows(_document(state))
    assert {m: r["status"] for m, r in queued.items()} == dict.fromkeys(MAILBOXES, "Queued")

    advance(profile, STEP + 60)  # the users start: debra fails, the others copy
    first = _document(state)
    advance(profile, 240)
    second = _document(state)
    assert first["waves"][0]["batches"][0]["status"] == "Syncing"
    before, after = _rows(first), _rows(second)
    for mailbox in set(MAILBOXES) - {HELD}:
        a, b = before[mailbox], after[mailbox]
        assert a["status"] == b["status"] == "Syncing", (a, b)
        assert 10 <= a["percentComplete"] < b["percentComplete"] < 95, (a, b)
        assert 0 < a["bytesTransferred"] < b["bytesTransferred"] < sizes[mailbox][0], (a, b)
        assert 0 < a["itemsSynced"] < b["itemsSynced"] < sizes[mailbox][1], (a, b)
        assert a["bytesTotal"] == b["bytesTotal"] == sizes[mailbox][0]
        assert a["lastSuccessfulSync"] is None and a["error"] is None and a["checks"] == []
    assert 0 < after[SKIPPING]["itemsSkipped"] <= SKIPPED
    held = after[HELD]
    assert held["status"] == "Failed"
    assert held["error"].startswith("MigrationPermanentException: ")
    assert "LitigationHold" in held["error"]
    assert held["checks"] == [{"code": hold.code, "title": hold.title, "fix": hold.fix}]
    assert second["summary"] == {
        "mailboxes": 5,
        "byStatus": {"Failed": 1, "Syncing": 4},
        "failed": 1,
        "unreadable": 0,
    }

    advance(profile, STEP)  # the initial sync ends
    synced = _document(state)
    batch = synced["waves"][0]["batches"][0]
    assert (batch["name"], batch["status"], batch["total"], batch["synced"], batch["failed"]) == (
        "wave-1",
        "SyncedWithErrors",
        5,
        4,
        1,
    )
    rows = _rows(synced)
    last_sync = rows["megan@fabrikam.com"]["lastSuccessfulSync"]
    assert last_sync and last_sync.endswith("Z") and batch["lastSynced"] == last_sync
    expected = {
        mailbox: {
            "wave": "wave-1",
            "batch": "wave-1",
            "mailbox": mailbox,
            "source": source,
            "status": "Synced",
            "percentComplete": 95,
            "bytesTransferred": sizes[mailbox][0],
            "bytesTotal": sizes[mailbox][0],
            "itemsSynced": sizes[mailbox][1] - (SKIPPED if mailbox == SKIPPING else 0),
            "itemsSkipped": SKIPPED if mailbox == SKIPPING else 0,
            "lastSuccessfulSync": last_sync,
            "error": None,
            "checks": [{"code": approval.code, "title": approval.title, "fix": approval.fix}]
            if mailbox == SKIPPING
            else [],
            "unreadable": None,
        }
        for mailbox, source in MAILBOXES.items()
        if mailbox != HELD
    }
    expected[HELD] = {
        **held,
        "percentComplete": 0,
        "bytesTransferred": 0,
        "itemsSynced": 0,
        "itemsSkipped": 0,
    }
    assert rows == expected

    # CSV: one row per mailbox, the same figures.
    code, text = _status(state, "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["mailbox"] for r in table] == list(rows)
    for r in table:
        m = rows[r["mailbox"]]
        assert r == {
            "wave": "wave-1",
            "batch": "wave-1",
            "mailbox": m["mailbox"],
            "source": m["source"],
            "status": m["status"],
            "percent_complete": str(m["percentComplete"]),
            "bytes_transferred": str(m["bytesTransferred"]),
            "bytes_total": str(m["bytesTotal"]),
            "items_synced": str(m["itemsSynced"]),
            "items_skipped": str(m["itemsSkipped"]),
            "last_successful_sync": m["lastSuccessfulSync"] or "",
            "error": m["error"] or "",
            "checks": " ".join(c["code"] for c in m["checks"]),
            "fix": " / ".join(c["fix"] for c in m["checks"]),
            "unreadable": "",
        }

    # The text table names the failure, its check and the fix.
    code, text = _status(state)
    assert code == 0
    assert "Batch wave-1: SyncedWithErrors — 5 mailboxes, 4 synced, 0 completed, 1 failed" in text
    assert f"✗ {HELD}: {held['error']}" in text
    assert f"{hold.code} {hold.title}. Fix: {hold.fix}" in " ".join(text.split())
    # Nothing failed for alex, but its move waits for a person: named with the command.
    waiting = f"! {SKIPPING}: DataConsistencyScore Investigate in batch wave-1, {SKIPPED} "
    assert waiting + "skipped item(s)" in " ".join(text.split()), text
    assert f"{approval.code} {approval.title}. Fix: {approval.fix}" in " ".join(text.split())

    # The read-only plan identity reads the same, and nothing is written.
    spec = tmp_path / "read-only.yaml"
    spec.write_text(_read_only(SPEC.read_text(encoding="utf-8")), encoding="utf-8")
    writes = stats(profile)["writes"]
    code, out = _status(state, "--format", "json", spec=spec)
    assert code == 0, out
    assert _rows(json.loads(out)) == rows
    assert stats(profile)["writes"] == writes

    # One user's statistics refused: that mailbox is unknown, the rest shown, exit 4.
    refusal = {"cmdlet": "Get-MigrationUserStatistics"}
    control(
        profile, "POST", "faults", {"kind": "error", "status": 400, "count": 1, "match": refusal}
    )
    code, out = _status(state, "--format", "json")
    document = json.loads(out)
    assert code == document["exitCode"] == 4
    unknown = [m for m in _rows(document).values() if m["unreadable"]]
    assert len(unknown) == 1 and unknown[0]["percentComplete"] is None
    assert unknown[0]["status"] == rows[unknown[0]["mailbox"]]["status"]  # Get-MigrationUser's
    assert document["unreadable"] == [f"{unknown[0]['mailbox']}: {unknown[0]['unreadable']}"]


def _read_only(text: str) -> str:
    for admin, reader in READ_ONLY.items():
        assert admin in text
        text = text.replace(admin, reader)
    return text


def _read_pty(fd: int, until: float, text: bytearray, want: Any) -> None:
    while time.monotonic() < until and not want(text):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            text += chunk


def test_watch_redraws_in_a_terminal_and_stops_on_ctrl_c(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    control(profile, "POST", "moves", {"secondsPerStep": STEP})
    run("apply", str(SPEC), "--auto-approve", state=state)  # mail users, no batch yet
    main, child = pty.openpty()
    env = dict(os.environ, T2T_SANDBOX=str(state), COLUMNS="160", LINES="50", TERM="xterm")
    proc = subprocess.Popen(
        [*T2T, "status", str(SPEC), "--watch", "--interval", "1"],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=ROOT,
        env=env,
        preexec_fn=interruptible,
        close_fds=True,
    )
    os.close(child)
    screen = bytearray()
    try:
        _read_pty(main, time.monotonic() + 60, screen, lambda t: t.count(b"next read in 1 s") >= 3)
        assert screen.count(b"next read in 1 s") >= 3, screen.decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        _read_pty(main, time.monotonic() + 20, screen, lambda t: proc.poll() is not None)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    shown = screen.decode(errors="replace")
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown
    # Redrawn in place: rich moves the cursor back up and clears the old lines between reads.
    assert "\x1b[2K" in shown and "\x1b[1A" in shown
    assert "t2t status: quickstart" in shown and "not in a batch" in shown
