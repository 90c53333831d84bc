"""Structured logging, set up once by the CLI: console text or JSON lines, always redacted.

Redaction works three ways so a secret cannot slip out under an unexpected key: keys that name
secrets are masked, values shaped like bearer tokens or JWTs are masked, and every secret t2t
resolved at run time is registered and masked wherever it appears in any string.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog

REDACTED = "[REDACTED]"

_SECRET_KEY = re.compile(
    r"(secret|passw(or)?d|token|assertion|authorization|credential|private[_-]?key|cookie"
    r"|api[_-]?key|sig(nature)?$)",
    re.IGNORECASE,
)
_TOKEN_VALUE = re.compile(
    r"(eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*)|((?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,})"
)
_registered: set[str] = set()
_lengths: set[int] = set()
"""The lengths of the registered secrets: a few (an apply registers one generated password
per New-MailUser, all 24 characters long) however many secrets there are."""

#: Up to this many registered secrets per distinct length, each is looked for in a string
#: (one fast substring search apiece); beyond, each of the string's windows of a registered
#: length is looked up among them — a cost that does not grow with the secrets: at 10,000
#: passwords, looking for each in every log line made a 10,000-mailbox apply's own CPU grow
#: with the square of its size (tests/bench/bench_apply.py, README).
_SEARCH_EACH_UP_TO = 64


def register_secret(value: str) -> None:
    """Remember a secret so any log line containing it is masked (short values are ignored)."""
    if value and len(value) >= 6:
        _registered.add(value)
        _lengths.add(len(value))


def _registered_in(text: str) -> set[str]:
    """The registered secrets ``text`` contains."""
    if len(_registered) <= _SEARCH_EACH_UP_TO * len(_lengths):
        return {secret for secret in _registered if secret in text}
    return {
        text[i : i + n]
        for n in _lengths
        for i in range(len(text) - n + 1)
        if text[i : i + n] in _registered
    }


def scrub(value: Any) -> Any:
    """Mask secrets inside a value of any shape."""
    if isinstance(value, str):
        out = _TOKEN_VALUE.sub(REDACTED, value)
        # Longest first, as one secret may hold another.
        for secret in sorted(_registered_in(out), key=len, reverse=True):
            out = out.replace(secret, REDACTED)
        return out
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return scrub(value.decode("utf-8", "replace"))
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the last word before anything is rendered."""
    for key in list(event):
        if key != "event" and _SECRET_KEY.search(key):
            event[key] = REDACTED
        else:
            event[key] = scrub(event[key])
    return event


def configure_logging(
    fmt: Literal["console", "json"] = "console",
    level: str = "warning",
    stream: TextIO | None = None,
) -> None:
    """Configure structlog once for the process; logs go to stderr, never to stdout."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.WARNING)
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
