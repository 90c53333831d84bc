"""A bounded, thread-safe ring of the sandbox's own records (not Microsoft's): what the
Exchange request log and the Graph write log have in common.

Each entry gets ``seq``, drawn from a ``Sequence`` both logs share (the order in which the two
surfaces answered, so a test or benchmark can interleave them exactly; wall-clock stamps can
tie), and ``receivedAt``. The ring is bounded so a long-running sandbox does not grow without
limit; a benchmark that needs more than ``CAPACITY`` entries raises the bound (``resize``).
"""

from __future__ import annotations

import datetime as dt
import itertools
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


class EntryRing:
    """The last ``capacity`` entries, oldest first."""

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

    def append(self, fields: dict[str, Any]) -> None:
        """Keep one entry: ``seq`` and ``receivedAt`` first, then ``fields``."""
        entry: dict[str, Any] = {
            "seq": 0,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            **fields,
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
