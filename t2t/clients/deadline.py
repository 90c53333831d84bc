"""The deadline of the work in hand, which every retry and wait beneath it keeps to.

Why: a fixed number of attempts gives up on a harsh but honest throttle — each attempt waits
out its `Retry-After`, yet a handful of them end long before the service lets the request
through — and gives a request of a long action no more time than one of a short action. So
apply gives each action a deadline (minutes; t2t/apply/runner.py sets it around the executor),
and every request the action sends, every token it needs and every re-read it makes while a
write replicates retries until that deadline, not until a count of its own. Outside an action
(`t2t plan`, `t2t show`) a request keeps its own bound, `DEFAULT_REQUEST_SECONDS` from its first
attempt, and a read that still fails then is *unknown*.

The deadline travels in a context variable: asyncio copies the context into every task it
starts, so an action's deadline reaches each request the action awaits without being passed
through every client call. Reaching it raises DeadlineReached (t2t/clients/errors.py).

Waits between attempts follow Microsoft's guidance: `Retry-After` when the service sends one,
otherwise exponential backoff with jitter (https://learn.microsoft.com/graph/throttling
"Best practices to handle throttling"; the identity platform's own advice for its 429,
Microsoft Q&A 436012: 1, 2, 4, 8, 16 s), capped so that one long pause never decides alone.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from t2t.clients.errors import DeadlineReached

#: How long one request outside an action (plan, show) keeps retrying.
DEFAULT_REQUEST_SECONDS = 300.0
#: The longest pause exponential backoff makes between two attempts (Retry-After may be longer).
MAX_BACKOFF_SECONDS = 30.0

_AT: ContextVar[float | None] = ContextVar("t2t_deadline", default=None)


@contextmanager
def until(at: float | None) -> Iterator[float | None]:
    """Work in this block ends at `at` (time.monotonic()); None: no deadline."""
    token = _AT.set(at)
    try:
        yield at
    finally:
        _AT.reset(token)


@contextmanager
def within(seconds: float) -> Iterator[float | None]:
    """Work in this block ends `seconds` from now."""
    with until(time.monotonic() + seconds) as at:
        yield at


def at() -> float | None:
    """When the work in hand ends (time.monotonic()), or None outside an action."""
    return _AT.get()


def remaining() -> float | None:
    """Seconds left before the deadline (never below 0), or None without one."""
    ends = _AT.get()
    return None if ends is None else max(0.0, ends - time.monotonic())


def check(what: str) -> None:
    """Nothing new starts once the deadline has passed."""
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlineReached(f"{what}: the deadline was reached before it could be sent")


def backoff(attempt: int, base: float) -> float:
    """The pause before retry number `attempt` (0-based) when the service named none."""
    jitter = 0.5 + random.random()  # noqa: S311 (spreading retries, not security)
    return float(min(MAX_BACKOFF_SECONDS, base * 2 ** min(attempt, 32)) * jitter)


async def pause(
    delay: float,
    *,
    what: str,
    started: float,
    give_up: Exception,
    budget: float = DEFAULT_REQUEST_SECONDS,
) -> None:
    """Sleep `delay` seconds before the next attempt of `what`, or stop retrying: with an
    action's deadline, DeadlineReached when the pause would end past it; without one,
    `give_up` (the caller's own error) once `budget` seconds since `started` would pass."""
    if not allows(delay, started=started, budget=budget):
        if remaining() is None:
            raise give_up
        waited = time.monotonic() - started
        raise DeadlineReached(
            f"{what}: still failing after {waited:.0f} s and the next attempt would come "
            f"after the deadline ({give_up})"
        )
    await asyncio.sleep(delay)


def allows(delay: float, *, started: float, budget: float = DEFAULT_REQUEST_SECONDS) -> bool:
    """Whether an attempt `delay` seconds from now still comes in time: before the action's
    deadline, or without one within `budget` seconds of `started`."""
    left = remaining()
    if left is not None:
        return delay < left
    return time.monotonic() - started + delay <= budget
