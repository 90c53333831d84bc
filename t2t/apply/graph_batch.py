"""Coalesce per-user Graph calls from concurrent executors into `$batch` requests of 20
(wire-protocols.md §2.8: at most 20 requests per `$batch`), the way coalesce.py gathers them.

With Graph calls arriving one chain at a time (each waits for its mailbox's Exchange steps),
sending every 20 ms filled a `$batch` with 1.6 operations (tests/bench/bench_apply.py); the
wait for an answer costs at most one round trip, and every `$batch` saved is a request the
tenant does not have to serve.

Throttled items are retried by GraphClient.batch itself, honouring Retry-After, until the
deadline: every `$batch` item counts on its own against Graph's identity write budget
(concepts/throttling-limits.md, json-batching.md). The HTTP layer holds the tenant's writes
until the inner `Retry-After` has passed (t2t/clients/http.py), so nothing is resent early.
An item still throttled when its `$batch` stops (at the latest of its items' deadlines)
reaches its own deadline (DeadlineReached).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from t2t.apply.coalesce import Coalescer, Queued
from t2t.clients import GraphClient, GraphError, GraphNotFound, deadline, request_ids
from t2t.clients.errors import DeadlineReached, PermissionDenied
from t2t.clients.graph import BATCH_LIMIT
from t2t.clients.http import RETRY_STATUSES

#: An item's answer and the request ids of the `$batch` writes that carried it.
_Answer = tuple[dict[str, Any], tuple[str, ...]]


class GraphBatcher(Coalescer[dict[str, Any], _Answer]):
    def __init__(
        self,
        graph: GraphClient,
        *,
        wait: float = 0.02,
        in_flight: int = 2,
        max_wait: float = 0.5,
    ) -> None:
        super().__init__(size=BATCH_LIMIT, wait=wait, in_flight=in_flight, max_wait=max_wait)
        self._graph = graph

    async def call(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
        """One request (url relative to /v1.0); the answer's body, or the Graph error."""
        request: dict[str, Any] = {"method": method, "url": url}
        if body is not None:
            request["body"] = body
        response, batch_ids = await self._call(request)
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

    async def _send(self, chunk: list[Queued[dict[str, Any], _Answer]]) -> None:
        try:
            # The batch's own collection: its request ids go to every item's action, not to
            # the action whose call happened to start the timer (t2t/clients/request_ids.py).
            with (
                deadline.until(self.until(chunk)),
                request_ids.collecting() as written,
            ):
                responses = await self._graph.batch([q.call for q in chunk])
        except Exception as exc:  # every waiter gets the failure
            self.fail(chunk, exc)
            return
        for q, response in zip(chunk, responses, strict=True):
            if q.future.done():
                continue
            if response.get("status") in RETRY_STATUSES and q.deadline is not None:
                # GraphClient.batch stopped retrying for the batch's deadline: the item's own.
                what = f"{q.call['method']} {str(q.call['url']).split('?', 1)[0]}"
                q.future.set_exception(DeadlineReached(f"{what}: still throttled at the deadline"))
                continue
            with contextlib.suppress(asyncio.InvalidStateError):
                q.future.set_result((response, tuple(written)))
