"""Sandbox-only view of the Exchange surface (not Microsoft's):

- ``GET /_sandbox/exchange/requests`` → ``{"requests": [...]}``: the InvokeCommand requests
  received since the last reset, oldest first, at most ``request_log.CAPACITY`` (or what
  ``POST`` set); each with ``seq`` (order among the Exchange requests and the Graph writes,
  graph/write_log.py), ``receivedAt``, ``tenant`` (the path segment), ``appId`` (None if
  unauthenticated), ``path``, ``status``, ``cmdlet``, ``cmdletInput`` (the JSON
  ``CmdletInput`` as received) and ``body`` (the raw request body text). ``?cmdlet=<name>``
  keeps one cmdlet's requests (repeat it to keep several);
- ``POST /_sandbox/exchange/requests`` with ``{"capacity": n}`` keeps up to ``n`` requests
  from now on (1 … ``request_log.MAX_CAPACITY``; a benchmark of thousands of mailboxes needs
  more than the default) → ``{"capacity": n}``, or 400 ``{"error"}``;
- ``DELETE /_sandbox/exchange/requests`` empties the log (``/_sandbox/reset`` does too).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import context_of


async def get_requests(request: Request) -> Response:
    entries = context_of(request).exchange_requests.snapshot()
    cmdlets = {c.lower() for c in request.query_params.getlist("cmdlet") if c}
    if cmdlets:
        entries = [e for e in entries if (e["cmdlet"] or "").lower() in cmdlets]
    return JSONResponse({"requests": entries})


async def clear_requests(request: Request) -> Response:
    context_of(request).exchange_requests.clear()
    return Response(status_code=204)


async def set_capacity(request: Request) -> Response:
    log = context_of(request).exchange_requests
    try:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict) or set(data) != {"capacity"}:
            raise ValueError('send {"capacity": n}')
        log.resize(data["capacity"])
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"capacity": log.capacity})


routes = [
    Route("/_sandbox/exchange/requests", get_requests, methods=["GET"]),
    Route("/_sandbox/exchange/requests", set_capacity, methods=["POST"]),
    Route("/_sandbox/exchange/requests", clear_requests, methods=["DELETE"]),
]
