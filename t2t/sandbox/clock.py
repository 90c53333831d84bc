"""The sandbox's controllable clock: real time plus an offset tests can move forward.

Used for everything whose passage a test wants to skip rather than wait for: fault
budgets refilling, read-after-write lag expiring, and (for the moves service) batch
progress. Access tokens and client assertions stay on real time, because the client
libraries compare them with their own clock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def time(self) -> float:
        """Seconds since the epoch, on the sandbox clock."""
        with self._lock:
            return time.time() + self._offset

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.time(), dt.UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when`` (not earlier than now)."""
        target = when.timestamp()
        with self._lock:
            current = time.time() + self._offset
            if target < current:
                raise ValueError("the sandbox clock only moves forward")
            self._offset += target - current

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            offset = self._offset
        now = dt.datetime.fromtimestamp(time.time() + offset, dt.UTC)
        return {"now": now.isoformat().replace("+00:00", "Z"), "offsetSeconds": offset}
