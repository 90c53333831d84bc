"""``DIR/state.journal``: what changed since ``DIR/state.json`` was written, one line per save.

Why: rewriting every tenant after every write made a write cost grow with the mailboxes
(about 200 MB at 50,000 per tenant). A save now appends the operations its request recorded
(tracking.py) as one JSON line and fsyncs it before the answer leaves, so every acknowledged
write survives a kill; the snapshot is rewritten only when the journal is compacted (at start
after an unclean stop, at stop, on reset, and once the journal outgrows the snapshot).

Format (JSON Lines, 0600 like state.json: certificate private keys pass through it):

- line 1, the header: ``{"journal": 1, "snapshot": "<id>"}`` — the ``journal`` key of the
  state.json it continues; a journal naming another snapshot is left over from a compaction
  interrupted after the new snapshot was in place, and is ignored (its changes are in it);
- each further line, one save: ``{"ops": [[kind, path, value], …]}`` with kind ``set``,
  ``ins`` or ``del`` (tracking.py `Op`);
- a last line without its newline was being written when the process died: it was never
  acknowledged and is ignored.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from t2t.sandbox import tracking
from t2t.sandbox.tracking import Op

FORMAT = 1


class JournalError(RuntimeError):
    """A journal that cannot be read; the message names the file and line."""


def write_durably(path: Path, data: bytes) -> None:
    """Atomically, owner-only (0600) and durably: a temporary file, fsync, rename, fsync of
    the directory (the rename itself must survive a power cut)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The open journal of one state directory: records operations (tracking.py's sink) and
    appends them at `commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: list[Op] = []
        self._fd: int | None = None
        self._closer: weakref.finalize[Any, Any] | None = None
        self.size = 0
        """Bytes in the file (header included)."""
        self.saves = 0
        """Lines appended since `start`."""

    # -- the sink ------------------------------------------------------------------------

    def record(self, op: Op) -> None:
        self._pending.append(op)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    # -- on disk -------------------------------------------------------------------------

    def start(self, snapshot: str) -> None:
        """An empty journal continuing the snapshot ``snapshot`` (after it is written)."""
        self.close()
        header = json.dumps({"journal": FORMAT, "snapshot": snapshot}) + "\n"
        write_durably(self.path, header.encode())
        self.size = len(header)
        self.saves = 0
        self._pending.clear()

    def resume(self, size: int) -> None:
        """Append to the journal already on disk (``size`` bytes, header only: it continues
        the snapshot just read and holds no saves)."""
        self.close()
        self.size = size
        self.saves = 0
        self._pending.clear()

    def commit(self) -> None:
        """Append what was recorded since the last commit, durably (fsync) — a write is
        acknowledged only after this returns."""
        with tracking.LOCK:  # no change recorded between the take and the new list
            ops, self._pending = self._pending, []
        if not ops:
            return
        line = (json.dumps({"ops": ops}, separators=(",", ":")) + "\n").encode()
        fd = self._open()
        try:
            _write_all(fd, line)
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, self.size)  # no half line before the next one
            raise
        self.size += len(line)
        self.saves += 1

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            self._closer = weakref.finalize(self, os.close, self._fd)
        return self._fd

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
        self._fd = None
        self._closer = None


def snapshot_of(path: Path) -> str | None:
    """The snapshot id a journal's header names; None without a journal or a header."""
    try:
        with path.open("rb") as fh:
            line = fh.readline()
    except FileNotFoundError:
        return None
    if not line.endswith(b"\n"):
        return None
    header = _parse(path, 1, line)
    snapshot = header.get("snapshot") if isinstance(header, dict) else None
    return snapshot if isinstance(snapshot, str) else None


def read(path: Path, snapshot: str | None) -> Iterator[tuple[int, list[Op]]]:
    """The saves in ``path`` that continue snapshot ``snapshot``, with their line numbers;
    nothing when there is no journal or it continues another snapshot."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    # The last element is what follows the last newline: empty, or a line being written
    # when the process died (never acknowledged).
    complete = lines[:-1]
    if not complete:
        return
    header = _parse(path, 1, complete[0])
    if not isinstance(header, dict) or header.get("journal") != FORMAT:
        raise JournalError(f"{path}:1: not a sandbox journal of format {FORMAT}")
    if snapshot is None or header.get("snapshot") != snapshot:
        return
    for number, raw in enumerate(complete[1:], start=2):
        entry = _parse(path, number, raw)
        ops = entry.get("ops") if isinstance(entry, dict) else None
        if not isinstance(ops, list):
            raise JournalError(f"{path}:{number}: a line without its operations")
        yield number, [_op(path, number, op) for op in ops]


def _parse(path: Path, number: int, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise JournalError(f"{path}:{number}: unreadable ({exc})") from None


def _op(path: Path, number: int, op: Any) -> Op:
    if (
        isinstance(op, list)
        and len(op) == 3
        and op[0] in ("set", "ins", "del")
        and isinstance(op[1], list)
        and op[1]
        and all(isinstance(p, str | int) for p in op[1])
    ):
        return (op[0], op[1], op[2])
    raise JournalError(f"{path}:{number}: not an operation: {str(op)[:200]}")
