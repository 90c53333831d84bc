"""The sandbox's record of the Graph writes it handled (not Microsoft's).

Why: the Exchange request log (exchange/request_log.py) shows what InvokeCommand received;
Graph writes need the same so a test or benchmark can show, from the sandbox's own records,
which writes t2t made and in what order — e.g. that one mailbox's usageLocation and licence
landed before the hundredth MailUser was created. Each write request that reaches a Graph
route whose kind is ``write`` (POST, PATCH, DELETE; not the POSTs that only read, such as
``getByIds``) is kept, top-level or inside ``$batch`` (``inBatch``), after it was answered:

``seq`` (drawn from the sequence the Exchange log uses, so the two interleave exactly),
``receivedAt``, ``tenant`` (name), ``appId``, ``method``, ``path`` (``/v1.0/…`` as
addressed, without the query), ``operation`` (method + path template, as in
``/_sandbox/stats``), ``status``, ``inBatch`` and ``body`` (the JSON body as received).

Requests refused before a route handles them (a bad token, a fault rule, Microsoft's budgets
in throttle.py) are not kept — the same rule as the Exchange log, whose requests are kept only
once they reach InvokeCommand. The ring is bounded like the Exchange log (``resize`` raises
the bound) and ``/_sandbox/reset`` clears it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from typing import Any

from t2t.sandbox.exchange.request_log import CAPACITY, Sequence, checked_capacity


class GraphWriteLog:
    """The last ``capacity`` Graph writes, oldest first."""

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
        self,
        *,
        tenant: str,
        app_id: str | None,
        method: str,
        path: str,
        operation: str,
        status: int,
        in_batch: bool,
        body: Any,
    ) -> None:
        entry: dict[str, Any] = {
            "seq": 0,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "tenant": tenant,
            "appId": app_id,
            "method": method,
            "path": path,
            "operation": operation,
            "status": status,
            "inBatch": in_batch,
            "body": body,
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
