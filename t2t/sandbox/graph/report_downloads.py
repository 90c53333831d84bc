"""Usage reports behind their preauthenticated download URLs (graph/handlers/reports.py)."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field


@dataclass
class ReportDownloads:
    """Reports generated for a preauthenticated URL, until it expires (in memory: a download
    URL does not outlive the sandbox's process, nor a few minutes)."""

    _reports: dict[str, tuple[dt.datetime, bytes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, content: bytes, expires: dt.datetime) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._reports[token] = (expires, content)
        return token

    def take(self, token: str, now: dt.datetime) -> bytes | None:
        """The report behind `token`, while the URL is valid (it may be fetched again)."""
        with self._lock:
            for key in [k for k, (until, _) in self._reports.items() if until <= now]:
                del self._reports[key]
            found = self._reports.get(token)
        return found[1] if found is not None else None
