"""The sandbox's record of what InvokeCommand received (not Microsoft's).

Why: tests must be able to show what t2t put on the wire — above all that a secret
travelled only encrypted (exo-module-protocol.md, "Sensitive parameters are encrypted by
the client"). Each entry keeps the request body exactly as received; the ring is bounded
so a long-running sandbox does not grow without limit, and ``/_sandbox/reset`` clears it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import deque
from typing import Any

CAPACITY = 2000


class RequestLog:
    """The last ``CAPACITY`` InvokeCommand requests, oldest first."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

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
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
