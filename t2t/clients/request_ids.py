"""The request ids Microsoft answered the writes of the work in hand with: what an apply
action reports (its audit line, its result), so support can be asked about exactly those.

Why here and not in each executor: a write goes out through many paths (an Exchange cmdlet, a
Graph call, a `$batch`, a re-send after a 429), and only the HTTP layer sees every answer. Like
the deadline (deadline.py), the collection travels in a context variable: the runner opens one
per action, asyncio copies it into every task the action starts, and the HTTP layer notes each
write's `request-id` (Graph, Exchange) or `client-request-id` into it. Outside an action
(plan, show, status) nothing is collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_IDS: ContextVar[list[str] | None] = ContextVar("t2t_write_request_ids", default=None)

#: Methods that never change anything (a POST that only reads says so: `idempotent`).
_READ_METHODS = frozenset({"GET", "HEAD"})


def is_write(method: str, idempotent: bool | None) -> bool:
    """A request that may change something: not a GET/HEAD, nor a POST sent as a read (an
    Exchange Get-/Test- cmdlet, Graph's getByIds, a `$batch` of reads)."""
    m = method.upper()
    return m not in _READ_METHODS and not (m == "POST" and idempotent)


def note(request_id: str | None, *, write: bool) -> None:
    """Keep the id of a write's answer, in the collection of the action in hand (if any)."""
    ids = _IDS.get()
    if ids is not None and write and request_id and request_id not in ids:
        ids.append(request_id)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the request ids of the writes sent inside the block."""
    ids: list[str] = []
    token = _IDS.set(ids)
    try:
        yield ids
    finally:
        _IDS.reset(token)
