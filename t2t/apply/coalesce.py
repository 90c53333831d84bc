"""Gather calls from concurrent executors into one request per `size` of them.

Each caller awaits its own answer, as if it had sent its call alone. A full request leaves at
once; fewer calls wait a few milliseconds for companions and then, Nagle's way (RFC 896), for
one of this coalescer's requests in flight to come back while `in_flight` are out — what
queues meanwhile rides in the next one — but never longer than `max_wait` from the oldest
call. A call joins only a request not sent yet: its answer always comes from a request sent
after the call was made (a verify is never served by a read that left before its write).

When the caller says how many of its callers are at work now (`companions`: for the applier,
the actions holding the tenant's runner slots, ApplyContext.active) and they are at least
`size`, a request that is not full waits for them — up to `max_wait` from its oldest call —
even with nothing in flight: enough callers are busy to fill it, and each request saved is
one the tenant does not serve (at Graph's identity write budget of 20 a second, a `$batch`
of 20 a second is the pace anyway). With fewer at work (a small apply, a run's last
mailboxes) nothing waits beyond the above.

A request's size is counted in what it carries (`_cost`: one per call unless the coalescer
merges calls, as graph_batch.py merges user reads into one filtered list read).

Each call keeps its caller's deadline (t2t/clients/deadline.py): a request runs until the latest
of its calls' deadlines, so no call loses time to a companion's earlier one.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from t2t.clients import deadline

Call = TypeVar("Call")
Answer = TypeVar("Answer")


@dataclass(frozen=True)
class Queued(Generic[Call, Answer]):
    """A call, the future its caller awaits, the caller's deadline, and when it queued (the
    event loop's clock)."""

    call: Call
    future: asyncio.Future[Answer]
    deadline: float | None
    queued_at: float


class Coalescer(ABC, Generic[Call, Answer]):
    def __init__(
        self,
        *,
        size: int,
        wait: float,
        in_flight: int,
        max_wait: float,
        companions: Callable[[], int] | None = None,
    ) -> None:
        self._size = size
        self._companions = companions
        self._wait = wait
        self._in_flight = in_flight
        self._max_wait = max_wait
        self._queue: list[Queued[Call, Answer]] = []
        self._timer: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._answered = asyncio.Event()
        """Set whenever a request of this coalescer comes back."""

    async def _call(self, call: Call) -> Answer:
        """Queue ``call`` and await its answer (or the exception `_send` gave it)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._queue.append(Queued(call, future, deadline.at(), loop.time()))
        self._send_full()
        if self._queue and self._timer is None:
            self._timer = asyncio.create_task(self._later())
        return await future

    @abstractmethod
    async def _send(self, chunk: list[Queued[Call, Answer]]) -> None:
        """Send one request carrying ``chunk`` and settle every call's future."""

    def _cost(self, calls: list[Queued[Call, Answer]]) -> int:
        """What ``calls`` would take of one request's `size`: one each, unless merged."""
        return len(calls)

    def _fits(self) -> int:
        """How many queued calls (from the oldest) the next request carries: as many as fit
        its `size`, at least one."""
        n = min(len(self._queue), self._size)
        while n < len(self._queue) and self._cost(self._queue[: n + 1]) <= self._size:
            n += 1
        return max(n, 1)

    @staticmethod
    def until(chunk: list[Queued[Call, Answer]]) -> float | None:
        """The latest of the chunk's deadlines (None when a call has none)."""
        ends = [q.deadline for q in chunk]
        return None if None in ends else max(a for a in ends if a is not None)

    @staticmethod
    def fail(chunk: list[Queued[Call, Answer]], exc: BaseException) -> None:
        """Every waiter of ``chunk`` still waiting gets ``exc``."""
        for q in chunk:
            if not q.future.done():
                q.future.set_exception(exc)

    def _holding(self) -> bool:
        """Whether what is queued (never a full request: `_send_full` sent it) waits on:
        `in_flight` requests are out, or callers enough to fill a request are at work."""
        if len(self._sending) >= self._in_flight:
            return True
        return self._companions is not None and self._companions() >= self._size

    async def _later(self) -> None:
        """Send what is queued once the short wait is over and nothing holds it (`_holding`),
        or the oldest call has waited `max_wait`."""
        await asyncio.sleep(self._wait)
        loop = asyncio.get_running_loop()
        while self._queue and self._holding():
            left = self._queue[0].queued_at + self._max_wait - loop.time()
            if left <= 0:
                break
            self._answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), left)
        self._timer = None
        while self._queue:
            self._start()

    def _send_full(self) -> None:
        """Every full request of the queue leaves now; the rest keeps its timer."""
        while self._queue and self._cost(self._queue) >= self._size:
            self._start()
        if self._timer is not None and not self._queue:
            self._timer.cancel()
            self._timer = None

    def _start(self) -> None:
        n = self._fits()
        chunk, self._queue = self._queue[:n], self._queue[n:]
        task = asyncio.ensure_future(self._send(chunk))
        self._sending.add(task)
        task.add_done_callback(self._answer_came)

    def _answer_came(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._answered.set()
