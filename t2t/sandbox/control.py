"""``/_sandbox/*``: the sandbox's own control endpoints. None of this is Microsoft's.

- ``GET /_sandbox/stats``: request counters (rules in stats.py);
- ``DELETE /_sandbox/stats``: zero them;
- ``POST /_sandbox/reset``: restore the seed state and zero the counters (fast: tests
  call it between tests; secrets, signing key and CA are kept).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import context_of


async def get_stats(request: Request) -> Response:
    return JSONResponse(context_of(request).stats.snapshot())


async def clear_stats(request: Request) -> Response:
    context_of(request).stats.clear()
    return Response(status_code=204)


async def reset(request: Request) -> Response:
    ctx = context_of(request)
    ctx.store.reset()
    ctx.stats.clear()
    return Response(status_code=204)


routes = [
    Route("/_sandbox/stats", get_stats, methods=["GET"]),
    Route("/_sandbox/stats", clear_stats, methods=["DELETE"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
]
