"""Coalesce per-user Graph calls from concurrent executors into `$batch` requests of 20.

Each executor awaits its own answer, as if it had sent the request alone. A `$batch` of 20
leaves at once (wire-protocols.md §2.8: at most 20 requests per `$batch`); fewer wait a few
milliseconds for companions and then, Nagle's way (RFC 896), for one of the tenant's
`$batch` requests in flight to come back while `in_flight` are out — what queues meanwhile
rides in the next one — but never longer than `max_wait` from the oldest item's call. With
Graph calls arriving one chain at a time (each waits for its mailbox's Exchange steps),
sending every 20 ms filled a `$batch` with 1.6 operations (tests/bench/bench_apply.py);
the wait for an answer costs at most one round trip, and every `$batch` saved is a request
the tenant does not have to serve.

Throttled items are retried by GraphClient.batch itself, honouring Retry-After, until the
deadline: every `$batch` item counts on its own against Graph's identity write budget
(concepts/throttling-limits.md, json-batching.md). The HTTP layer holds the tenant's writes
until the inner `Retry-After` has passed (t2t/clients/http.py), so nothing is resent early.

Each item keeps its caller's deadline (t2t/clients/deadline.py): a `$batch` runs until the
latest of its items' deadlines, so no item loses time to a companion's earlier one; an item
still throttled when the batch stops reaches its own deadline (DeadlineReached).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from t2t.clients import GraphClient, GraphError, GraphNotFound, deadline, request_ids
from t2t.clients.errors import DeadlineReached, PermissionDenied
from t2t.clients.graph import BATCH_LIMIT
from t2t.clients.http import RETRY_STATUSES

#: An item's answer and the request ids of the `$batch` writes that carried it.
_Answer = tuple[dict[str, Any], tuple[str, ...]]
#: A queued request, the future its caller awaits, the caller's deadline, and when it queued
#: (the event loop's clock).
_Item = tuple[dict[str, Any], asyncio.Future[_Answer], float | None, float]


class GraphBatcher:
    def __init__(
        self,
        graph: GraphClient,
        *,
        wait: float = 0.02,
        in_flight: int = 2,
        max_wait: float = 0.5,
    ) -> None:
        self._graph = graph
        self._wait = wait
        self._in_flight = in_flight
        self._max_wait = max_wait
        self._queue: list[_Item] = []
        self._timer: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._answered = asyncio.Event()
        """Set whenever a `$batch` of this batcher comes back."""

    async def call(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
        """One request (url relative to /v1.0); the answer's body, or the Graph error."""
        request: dict[str, Any] = {"method": method, "url": url}
        if body is not None:
            request["body"] = body
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Answer] = loop.create_future()
        self._queue.append((request, future, deadline.at(), loop.time()))
        self._send_full()
        if self._queue and self._timer is None:
            self._timer = asyncio.create_task(self._later())
        response, batch_ids = await future
        for request_id in batch_ids:  # the caller's action reports the $batch it rode in
            request_ids.note(request_id, write=True)
        status = int(response.get("status") or 0)
        answer = response.get("body") if isinstance(response.get("body"), dict) else {}
        if status >= 400:
            err = (answer or {}).get("error") or {}
            text = f"{method} {url.split('?', 1)[0]}: {err.get('message', '')}"
            code = str(err.get("code", ""))
            if status in (401, 403):
                raise PermissionDenied(status, code or "Forbidden", text)
            raise (GraphNotFound if status == 404 else GraphError)(status, code, text)
        return answer or {}

    async def _later(self) -> None:
        """Send what is queued once the short wait is over and fewer than `in_flight` of this
        batcher's `$batch` requests are out, or the oldest item has waited `max_wait`."""
        await asyncio.sleep(self._wait)
        loop = asyncio.get_running_loop()
        while self._queue and len(self._sending) >= self._in_flight:
            left = self._queue[0][3] + self._max_wait - loop.time()
            if left <= 0:
                break
            self._answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), left)
        self._timer = None
        while self._queue:
            self._start(BATCH_LIMIT)

    def _send_full(self) -> None:
        """Every full `$batch` of the queue leaves now; the rest keeps its timer."""
        while len(self._queue) >= BATCH_LIMIT:
            self._start(BATCH_LIMIT)
        if self._timer is not None and not self._queue:
            self._timer.cancel()
            self._timer = None

    def _start(self, size: int) -> None:
        chunk, self._queue = self._queue[:size], self._queue[size:]
        task = asyncio.ensure_future(self._send(chunk))
        self._sending.add(task)
        task.add_done_callback(self._answer_came)

    def _answer_came(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._answered.set()

    async def _send(self, chunk: list[_Item]) -> None:
        ends = [at for _, _, at, _ in chunk]
        try:
            # The batch's own collection: its request ids go to every item's action, not to
            # the action whose call happened to start the timer (t2t/clients/request_ids.py).
            with (
                deadline.until(None if None in ends else max(a for a in ends if a is not None)),
                request_ids.collecting() as written,
            ):
                responses = await self._graph.batch([r for r, _, _, _ in chunk])
        except Exception as exc:  # every waiter gets the failure
            for _, future, _, _ in chunk:
                if not future.done():
                    future.set_exception(exc)
            return
        for (request, future, at, _), response in zip(chunk, responses, strict=True):
            if future.done():
                continue
            if response.get("status") in RETRY_STATUSES and at is not None:
                # GraphClient.batch stopped retrying for the batch's deadline: the item's own.
                what = f"{request['method']} {str(request['url']).split('?', 1)[0]}"
                future.set_exception(DeadlineReached(f"{what}: still throttled at the deadline"))
                continue
            with contextlib.suppress(asyncio.InvalidStateError):
                future.set_result((response, tuple(written)))
