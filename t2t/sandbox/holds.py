"""Held requests: the ``hold`` fault kind (faults.py). Sandbox-only, not Microsoft's.

Why: a crash test must kill a client *while* one of its requests is in flight — before the
service acted, or after it acted and before the answer went out (the window in which the
client cannot know whether its write happened). A ``hold`` rule keeps the matching request
open: with ``afterHandling`` the service handles it first and its answer is withheld;
without, the service does not see it yet. ``GET /_sandbox/faults`` lists the requests held
(``held``), so a test sees the moment has come, kills the client, and the hold ends when the
connection closes. A hold released instead (its rule deleted, ``DELETE /_sandbox/faults``,
reset, or its ``seconds`` passed; default 120 s of real time) goes on: a request not yet
handled is served; an answer withheld is lost as a ``drop`` loses it (the client sees a
transport error, and must re-read).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive, Send

#: How long a request is held when the rule gives no ``seconds`` (real time).
DEFAULT_HOLD_SECONDS = 120.0
#: How often a hold looks whether it was released (real time).
_POLL = 0.05


@dataclass
class Held:
    """One request held open."""

    id: int
    rule: int
    request: dict[str, Any]
    """service, tenant, method, path, cmdlet: what the request was."""
    after_handling: bool
    status: int | None = None
    """What the service answered (with ``afterHandling``); the client never sees it."""
    released: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "rule": self.rule, **self.request}
        out["afterHandling"] = self.after_handling
        if self.after_handling:
            out["status"] = self.status
        return out


@dataclass
class Holds:
    """The requests held now, thread-safe (the control routes and the middleware share it)."""

    _held: dict[int, Held] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def start(
        self, rule: int, request: dict[str, Any], after_handling: bool, status: int | None
    ) -> Held:
        with self._lock:
            held = Held(next(self._ids), rule, request, after_handling, status)
            self._held[held.id] = held
            return held

    def end(self, held: Held) -> None:
        with self._lock:
            self._held.pop(held.id, None)

    def release(self, rule: int | None = None) -> None:
        """Let the requests held by ``rule`` (None: every rule) go on."""
        with self._lock:
            for held in self._held.values():
                if rule is None or held.rule == rule:
                    held.released = True

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [h.to_json() for h in self._held.values()]


Serve = Callable[[Send], Awaitable[None]]


async def hold_request(
    holds: Holds,
    rule: int,
    request: dict[str, Any],
    *,
    after_handling: bool,
    seconds: float,
    receive: Receive,
    serve: Serve,
    lose: Serve,
    send: Send,
) -> None:
    """Hold one request for ``rule``: with ``after_handling`` the service handles it first
    (``serve``; its answer kept from the client); then it is listed as held and kept open
    until its client goes away, or it is released — then it is served, or its withheld
    answer lost (``lose``: as a dropped connection)."""
    status: int | None = None
    if after_handling:

        async def withhold(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])

        await serve(withhold)
    held = holds.start(rule, request, after_handling, status)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (seconds or DEFAULT_HOLD_SECONDS)
    gone = False
    waiting: asyncio.Future[Message] = asyncio.ensure_future(receive())
    try:
        while not held.released and loop.time() < deadline:
            done, _ = await asyncio.wait({waiting}, timeout=_POLL)
            if not done:
                continue
            if waiting.result().get("type") == "http.disconnect":
                gone = True
                break
            waiting = asyncio.ensure_future(receive())
    finally:
        if not waiting.done():
            waiting.cancel()
        holds.end(held)
    if not gone:
        await (lose if after_handling else serve)(send)
