"""Sandbox-only view of the Exchange surface (not Microsoft's):

- ``GET /_sandbox/exchange/requests`` → ``{"requests": [...]}``: the InvokeCommand requests
  received since the last reset, oldest first, at most ``request_log.CAPACITY``; each with
  ``receivedAt``, ``tenant`` (the path segment), ``appId`` (None if unauthenticated),
  ``path``, ``status``, ``cmdlet``, ``cmdletInput`` (the JSON ``CmdletInput`` as received)
  and ``body`` (the raw request body text). ``?cmdlet=<name>`` keeps one cmdlet's requests;
- ``DELETE /_sandbox/exchange/requests`` empties the log (``/_sandbox/reset`` does too).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import context_of


async def get_requests(request: Request) -> Response:
    entries = context_of(request).exchange_requests.snapshot()
    cmdlet = request.query_params.get("cmdlet")
    if cmdlet:
        entries = [e for e in entries if (e["cmdlet"] or "").lower() == cmdlet.lower()]
    return JSONResponse({"requests": entries})


async def clear_requests(request: Request) -> Response:
    context_of(request).exchange_requests.clear()
    return Response(status_code=204)


routes = [
    Route("/_sandbox/exchange/requests", get_requests, methods=["GET"]),
    Route("/_sandbox/exchange/requests", clear_requests, methods=["DELETE"]),
]
