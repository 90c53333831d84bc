"""The sandbox's record of what InvokeCommand received (not Microsoft's).

Why: tests must be able to show what t2t put on the wire — above all that a secret
travelled only encrypted (exo-module-protocol.md, "Sensitive parameters are encrypted by
the client"). Each entry keeps the request body exactly as received; the ring is bounded
so a long-running sandbox does not grow without limit, and ``/_sandbox/reset`` clears it.

Each entry carries ``seq``, a number drawn from a ``Sequence`` the sandbox shares with the
Graph write log (graph/write_log.py): the order in which the two surfaces answered, so a test
or benchmark can interleave Exchange and Graph writes exactly (wall-clock stamps can tie).
A benchmark that needs more than ``CAPACITY`` entries raises the bound (``resize``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections import deque
from typing import Any

CAPACITY = 2000
MAX_CAPACITY = 1_000_000
"""The most entries a log may be asked to keep (``resize``)."""


class Sequence:
    """Increasing numbers shared by the sandbox's request logs (thread-safe)."""

    def __init__(self) -> None:
        self._count = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return next(self._count)


def checked_capacity(value: Any) -> int:
    """A requested log capacity, or ValueError saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise ValueError(f"capacity must be an integer from 1 to {MAX_CAPACITY}")
    return value


class RequestLog:
    """The last ``capacity`` InvokeCommand requests, oldest first."""

    def __init__(self, capacity: int = CAPACITY, sequence: Sequence | None = None) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.sequence = sequence or Sequence()

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or CAPACITY

    def resize(self, capacity: int) -> None:
        """Keep up to ``capacity`` entries from now on (the newest, if it shrinks)."""
        with self._lock:
            self._entries = deque(self._entries, maxlen=checked_capacity(capacity))

    def record(
        self, *, tenant: str, app_id: str | None, path: str, body: bytes, status: int
    ) -> None:
        text = body.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        cmdlet_input = parsed.get("CmdletInput") if isinstance(parsed, dict) else None
        name = cmdlet_input.get("CmdletName") if isinstance(cmdlet_input, dict) else None
        entry = {
            "seq": 0,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "tenant": tenant,
            "appId": app_id,
            "path": path,
            "status": status,
            "cmdlet": name if isinstance(name, str) else None,
            "cmdletInput": cmdlet_input,
            "body": text,
        }
        with self._lock:
            entry["seq"] = self.sequence.next()
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
