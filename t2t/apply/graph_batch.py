"""Coalesce per-user Graph calls from concurrent executors into `$batch` requests of 20
(wire-protocols.md §2.8: at most 20 requests per `$batch`), the way coalesce.py gathers them.

With Graph calls arriving one chain at a time (each waits for its mailbox's Exchange steps),
sending every 20 ms filled a `$batch` with 1.6 operations (tests/bench/bench_apply.py); the
wait for an answer costs at most one round trip, and every `$batch` saved is a request the
tenant does not have to serve. One `$batch` in flight, not two: at 300 mailboxes (100 ms
latency) two made 2.2 Graph requests per mailbox, one 1.35, in the same wall time (the writes'
budget, not the wait, set the pace). While 20 or more of the tenant's Graph actions are at
work (`companions`: the runner's slots held, ApplyContext.active), a `$batch` waits up to a
second to fill even with none in flight: at 1,000 mailboxes that took a `$batch` from 4.4
operations to 17.6 and Graph requests from 0.61 to 0.16 per mailbox, in the same wall time
(a `$batch` of 20 a second is the identity write budget's own pace).

Throttled items are retried by GraphClient.batch itself, honouring Retry-After, until the
deadline: every `$batch` item counts on its own against Graph's identity write budget
(concepts/throttling-limits.md, json-batching.md). The HTTP layer holds the tenant's writes
until the inner `Retry-After` has passed (t2t/clients/http.py), so nothing is resent early.
An item still throttled when its `$batch` stops (at the latest of its items' deadlines)
reaches its own deadline (DeadlineReached).

Reads of single users (`read_user`: the usageLocation and licence executors' re-reads and
verifies, four per mailbox) that leave in the same `$batch` are merged into one
``GET /users?$filter=id in (…)`` (or ``userPrincipalName in (…)``) of at most 15 keys (Graph's
limit on ``in``, t2t/clients/odata.py): one operation instead of up to 15, so a `$batch` of 20
carries more callers. Each is still a read made now — it joins only a `$batch` not yet sent —
and each caller gets what ``GET /users/{key}`` would give it: its user, or none.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from t2t.apply.coalesce import Coalescer, Queued
from t2t.clients import GraphClient, GraphError, GraphNotFound, deadline, request_ids
from t2t.clients.errors import DeadlineReached, PermissionDenied
from t2t.clients.graph import BATCH_LIMIT, segment
from t2t.clients.http import RETRY_STATUSES
from t2t.clients.odata import IN_LIMIT, any_in

#: An item's answer and the request ids of the `$batch` writes that carried it.
_Answer = tuple[dict[str, Any], tuple[str, ...]]


@dataclass(frozen=True)
class UserRead:
    """One user read by its id or UPN with ``$select=select``: merged with the others of its
    `$batch` into a filtered list read."""

    key: str
    select: str

    @property
    def by(self) -> str:
        """The property the key is: a UPN holds an ``@``, an object id never does."""
        return "userPrincipalName" if "@" in self.key else "id"


_Call = dict[str, Any] | UserRead
_Item = tuple[str, str]  # (property, $select) of a merged read


def _merged(reads: list[UserRead]) -> dict[_Item, list[list[str]]]:
    """The reads' distinct keys (any case), per property and `$select`, in filters of 15."""
    keys: dict[_Item, dict[str, None]] = defaultdict(dict)
    for r in reads:
        keys[(r.by, r.select)].setdefault(r.key.lower())
    return {
        group: [list(ks)[i : i + IN_LIMIT] for i in range(0, len(ks), IN_LIMIT)]
        for group, ks in keys.items()
    }


def _list_url(by: str, keys: list[str], select: str) -> str:
    """The list read of ``keys``; its `$select` holds the property each answer is matched by."""
    props = select.split(",")
    fields = select if by in props else ",".join([*props, by])
    return f"/users?$filter={quote(any_in(by, keys), safe='')}&$select={fields}"


def _what(call: _Call) -> str:
    if isinstance(call, UserRead):
        return f"GET /users/{segment(call.key)}"
    return f"{call['method']} {str(call['url']).split('?', 1)[0]}"


class GraphBatcher(Coalescer[_Call, _Answer]):
    def __init__(
        self,
        graph: GraphClient,
        *,
        wait: float = 0.02,
        in_flight: int = 1,
        max_wait: float = 1.0,
        companions: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(
            size=BATCH_LIMIT,
            wait=wait,
            in_flight=in_flight,
            max_wait=max_wait,
            companions=companions,
        )
        self._graph = graph

    async def call(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
        """One request (url relative to /v1.0); the answer's body, or the Graph error."""
        request: dict[str, Any] = {"method": method, "url": url}
        if body is not None:
            request["body"] = body
        return _body(_what(request), await self._answer(request)) or {}

    async def read_user(self, key: str, select: str) -> dict[str, Any] | None:
        """The user whose id or UPN is ``key`` (any case), with ``$select=select``, read now
        — merged with the other user reads of its `$batch` —; None when there is none."""
        read = UserRead(key, select)
        return _body(_what(read), await self._answer(read))

    async def _answer(self, call: _Call) -> dict[str, Any]:
        response, batch_ids = await self._call(call)
        for request_id in batch_ids:  # the caller's action reports the $batch it rode in
            request_ids.note(request_id, write=True)
        return response

    def _cost(self, calls: list[Queued[_Call, _Answer]]) -> int:
        reads = [q.call for q in calls if isinstance(q.call, UserRead)]
        merged = sum(len(filters) for filters in _merged(reads).values())
        return len(calls) - len(reads) + merged

    async def _send(self, chunk: list[Queued[_Call, _Answer]]) -> None:
        reads = [q.call for q in chunk if isinstance(q.call, UserRead)]
        items = [q.call for q in chunk if not isinstance(q.call, UserRead)]
        at: dict[tuple[_Item, str], int] = {}  # (group, key) → the list read carrying it
        for (by, select), filters in _merged(reads).items():
            for keys in filters:
                at.update({((by, select), k): len(items) for k in keys})
                items.append({"method": "GET", "url": _list_url(by, keys, select)})
        try:
            # The batch's own collection: its request ids go to every item's action, not to
            # the action whose call happened to start the timer (t2t/clients/request_ids.py).
            with (
                deadline.until(self.until(chunk)),
                request_ids.collecting() as written,
            ):
                responses = await self._graph.batch(items)
        except Exception as exc:  # every waiter gets the failure
            self.fail(chunk, exc)
            return
        plain = iter(responses)
        for q in chunk:
            call = q.call
            if isinstance(call, UserRead):
                carried = at[((call.by, call.select), call.key.lower())]
                response = _one_user(call, responses[carried])
            else:
                response = next(plain)
            if q.future.done():
                continue
            if response.get("status") in RETRY_STATUSES and q.deadline is not None:
                # GraphClient.batch stopped retrying for the batch's deadline: the item's own.
                what = _what(call)
                q.future.set_exception(DeadlineReached(f"{what}: still throttled at the deadline"))
                continue
            with contextlib.suppress(asyncio.InvalidStateError):
                q.future.set_result((response, tuple(written)))


def _one_user(read: UserRead, response: dict[str, Any]) -> dict[str, Any]:
    """The list read's answer as ``GET /users/{key}`` gives it: the user (body None when the
    filter found none); a refused list read as it came."""
    if int(response.get("status") or 0) >= 300:
        return response
    body = response.get("body") if isinstance(response.get("body"), dict) else {}
    wanted = read.key.lower()
    found = [
        u
        for u in (body or {}).get("value") or []
        if isinstance(u, dict) and str(u.get(read.by) or "").lower() == wanted
    ]
    return {"status": 200, "body": found[0] if found else None}


def _body(what: str, response: dict[str, Any]) -> dict[str, Any] | None:
    """An item's body (None when it has none), or the Graph error it answered."""
    status = int(response.get("status") or 0)
    answer = response.get("body") if isinstance(response.get("body"), dict) else None
    if status >= 400:
        err = (answer or {}).get("error") or {}
        text = f"{what}: {err.get('message', '')}"
        code = str(err.get("code", ""))
        if status in (401, 403):
            raise PermissionDenied(status, code or "Forbidden", text)
        raise (GraphNotFound if status == 404 else GraphError)(status, code, text)
    return answer
