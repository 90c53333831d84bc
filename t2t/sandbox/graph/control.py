"""Sandbox-only view of the Graph writes (not Microsoft's; graph/write_log.py):

- ``GET /_sandbox/graph/writes`` → ``{"writes": [...]}``: the Graph writes handled since the
  last reset, oldest first, at most ``request_log.CAPACITY`` (or what ``POST`` set); each
  with ``seq``, ``receivedAt``, ``tenant``, ``appId``, ``method``, ``path``, ``operation``,
  ``status``, ``inBatch`` and ``body``. ``?operation=<method template>`` (e.g.
  ``PATCH /users/{id}``; repeat it to keep several) keeps those operations;
- ``POST /_sandbox/graph/writes`` with ``{"capacity": n}`` keeps up to ``n`` writes from now
  on → ``{"capacity": n}``, or 400 ``{"error"}``;
- ``DELETE /_sandbox/graph/writes`` empties the log (``/_sandbox/reset`` does too).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import context_of


async def get_writes(request: Request) -> Response:
    entries = context_of(request).graph_writes.snapshot()
    operations = {o.lower() for o in request.query_params.getlist("operation") if o}
    if operations:
        entries = [e for e in entries if e["operation"].lower() in operations]
    return JSONResponse({"writes": entries})


async def clear_writes(request: Request) -> Response:
    context_of(request).graph_writes.clear()
    return Response(status_code=204)


async def set_capacity(request: Request) -> Response:
    log = context_of(request).graph_writes
    try:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict) or set(data) != {"capacity"}:
            raise ValueError('send {"capacity": n}')
        log.resize(data["capacity"])
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"capacity": log.capacity})


routes = [
    Route("/_sandbox/graph/writes", get_writes, methods=["GET"]),
    Route("/_sandbox/graph/writes", set_capacity, methods=["POST"]),
    Route("/_sandbox/graph/writes", clear_writes, methods=["DELETE"]),
]
