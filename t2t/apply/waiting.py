"""Waiting on the tenants within an action's deadline, with progress shown.

Why: Exchange and Entra are replicated, and a write's object can stay invisible to reads for
seconds or, on a bad day, minutes (wire-protocols.md §1.5: a contact still 404 six seconds
after New-MailContact; a new secret refused for 4–18 s, microsoft-graph-docs #17966). A write
that went through is not a failure because its object has not shown yet: apply re-reads on the
context's schedule (its last delay repeated) until the object shows or the action's deadline
comes (t2t/clients/deadline.py) — then the action's outcome is *unknown*, not failed, and the
next run re-reads it. While it waits, a progress line says what for and for how long.

A long wait (past `LONG_WAIT_SECONDS`) also hands the action's runner slot to the next ready
action (runner.py): an action that only re-reads every few seconds loads nobody, and with a
45 s lag on every New-MailUser, eight slots held by waiting actions would stretch a
200-mailbox run twentyfold. Short waits (a replica a second behind) keep their slot, so a
mailbox's chain still runs to its end before new chains start.

A lost answer is different: the write may never have happened, and nothing will ever show.
Its object is re-read once through the schedule (`reread`), the time replication usually
takes; if it still does not show, the outcome is unknown at once rather than at the deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

from t2t.apply.context import ApplyContext
from t2t.clients import deadline
from t2t.clients.errors import DeadlineReached

log = structlog.get_logger("t2t.apply")

#: A wait shorter than this shows no progress line and keeps the action's runner slot.
LONG_WAIT_SECONDS = 5.0
#: Then one line at most this often.
PROGRESS_EVERY_SECONDS = 10.0
#: Once the schedule is spent, its last delay is repeated, but never faster than this.
MIN_REPEAT_SECONDS = 1.0
#: The last re-read comes this long before the deadline, so that it can still be sent.
LAST_LOOK_SECONDS = 0.5

_ACTION: ContextVar[str] = ContextVar("t2t_action", default="")
_IDLE: ContextVar[Callable[[], None] | None] = ContextVar("t2t_idle", default=None)


@contextmanager
def acting(action_id: str, idle: Callable[[], None] | None = None) -> Iterator[None]:
    """Progress lines in this block name `action_id`, and a long wait calls `idle` (the
    runner wraps each executor: `idle` gives its slot to the next action)."""
    tokens = _ACTION.set(action_id), _IDLE.set(idle)
    try:
        yield
    finally:
        _ACTION.reset(tokens[0])
        _IDLE.reset(tokens[1])


def _delay(schedule: tuple[float, ...], attempt: int) -> float:
    if attempt < len(schedule):
        return schedule[attempt]
    return max(schedule[-1] if schedule else 0.0, MIN_REPEAT_SECONDS)


async def wait_for(
    ctx: ApplyContext,
    ready: Callable[[], Awaitable[bool]],
    what: str,
    *,
    schedule: tuple[float, ...] | None = None,
) -> float:
    """Check `ready` on `schedule` (default: the context's verify delays), its last delay
    repeated, until it holds; the seconds that took. DeadlineReached once the action's
    deadline passes (without one: `ctx.deadline_seconds` from now) and it still does not."""
    schedule = ctx.verify_delays if schedule is None else schedule
    started = time.monotonic()
    ends = deadline.at() or started + ctx.deadline_seconds
    shown = started + LONG_WAIT_SECONDS - PROGRESS_EVERY_SECONDS
    attempt = 0

    def reached() -> DeadlineReached:
        waited = time.monotonic() - started
        return DeadlineReached(f"waited {waited:.0f} s for {what}; it has not happened yet")

    while True:
        last_look = ends - LAST_LOOK_SECONDS - time.monotonic()
        await asyncio.sleep(max(0.0, min(_delay(schedule, attempt), last_look)))
        attempt += 1
        try:
            if await ready():
                return time.monotonic() - started
        except DeadlineReached:  # the re-read itself met the deadline: it is this wait's
            raise reached() from None
        now = time.monotonic()
        waited = now - started
        if now >= ends - LAST_LOOK_SECONDS:
            raise reached()
        if now - shown >= PROGRESS_EVERY_SECONDS:
            shown = now
            progress(ctx, f"waiting for {what} ({waited:.0f} s)")
            idle = _IDLE.get()
            if idle is not None:
                idle()


async def reread(ctx: ApplyContext, ready: Callable[[], Awaitable[bool]]) -> bool:
    """Check `ready` once through the context's verify delays (what replication usually
    takes): whether it held. After a lost answer, whose write may never have happened."""
    for delay in ctx.verify_delays:
        await asyncio.sleep(delay)
        if await ready():
            return True
    return False


def progress(ctx: ApplyContext, text: str) -> None:
    """One progress line for the action in hand: logged, and shown by the CLI (`on_wait`)."""
    action = _ACTION.get()
    log.info("apply.waiting", action=action, progress=text)
    if ctx.on_wait is not None:
        ctx.on_wait(action, text)
