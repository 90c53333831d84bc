"""Coalesce per-user Graph calls from concurrent executors into `$batch` requests of 20.

Each executor awaits its own answer, as if it had sent the request alone; the batcher waits
a few milliseconds for companions and sends whatever it has once 20 are queued or the wait
ends (wire-protocols.md §2.8: at most 20 requests per `$batch`). Throttled items are retried
by GraphClient.batch itself, honouring Retry-After, until the deadline: every `$batch` item
counts on its own against Graph's identity write budget (concepts/throttling-limits.md,
json-batching.md). The HTTP layer holds the tenant's writes until the inner `Retry-After` has
passed (t2t/clients/http.py), so nothing is resent early.

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
#: A queued request, the future its caller awaits, and the caller's deadline.
_Item = tuple[dict[str, Any], asyncio.Future[_Answer], float | None]


class GraphBatcher:
    def __init__(self, graph: GraphClient, *, wait: float = 0.02) -> None:
        self._graph = graph
        self._wait = wait
        self._queue: list[_Item] = []
        self._timer: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def call(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
        """One request (url relative to /v1.0); the answer's body, or the Graph error."""
        request: dict[str, Any] = {"method": method, "url": url}
        if body is not None:
            request["body"] = body
        future: asyncio.Future[_Answer] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future, deadline.at()))
        if len(self._queue) >= BATCH_LIMIT:
            self._flush_now()
        elif self._timer is None:
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
        await asyncio.sleep(self._wait)
        self._timer = None
        self._flush_now()

    def _flush_now(self) -> None:
        while self._queue:
            chunk, self._queue = self._queue[:BATCH_LIMIT], self._queue[BATCH_LIMIT:]
            task = asyncio.ensure_future(self._send(chunk))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        if self._timer is not None and not self._queue:
            self._timer.cancel()
            self._timer = None

    async def _send(self, chunk: list[_Item]) -> None:
        ends = [at for _, _, at in chunk]
        try:
            # The batch's own collection: its request ids go to every item's action, not to
            # the action whose call happened to start the timer (t2t/clients/request_ids.py).
            with (
                deadline.until(None if None in ends else max(a for a in ends if a is not None)),
                request_ids.collecting() as written,
            ):
                responses = await self._graph.batch([r for r, _, _ in chunk])
        except Exception as exc:  # every waiter gets the failure
            for _, future, _ in chunk:
                if not future.done():
                    future.set_exception(exc)
            return
        for (request, future, at), response in zip(chunk, responses, strict=True):
            if future.done():
                continue
            if response.get("status") in RETRY_STATUSES and at is not None:
                # GraphClient.batch stopped retrying for the batch's deadline: the item's own.
                what = f"{request['method']} {str(request['url']).split('?', 1)[0]}"
                future.set_exception(DeadlineReached(f"{what}: still throttled at the deadline"))
                continue
            with contextlib.suppress(asyncio.InvalidStateError):
                future.set_result((response, tuple(written)))
