"""The sandbox-only routes of one entry log (entry_ring.py): read it (filtered), resize it,
empty it. The Exchange request log and the Graph write log are served this way."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import SandboxContext, context_of
from t2t.sandbox.entry_ring import EntryRing


def log_routes(
    path: str,
    log_of: Callable[[SandboxContext], EntryRing],
    *,
    key: str,
    query: str,
    field: str,
) -> list[Route]:
    """GET ``path`` → ``{key: [...]}`` (``?query=`` keeps entries whose ``field`` matches,
    any case; repeat it to keep several), POST ``{"capacity": n}``, DELETE."""

    async def read(request: Request) -> Response:
        entries = log_of(context_of(request)).snapshot()
        wanted = {v.lower() for v in request.query_params.getlist(query) if v}
        if wanted:
            entries = [e for e in entries if (e[field] or "").lower() in wanted]
        return JSONResponse({key: entries})

    async def clear(request: Request) -> Response:
        log_of(context_of(request)).clear()
        return Response(status_code=204)

    async def resize(request: Request) -> Response:
        log = log_of(context_of(request))
        try:
            data = json.loads(await request.body() or b"{}")
            if not isinstance(data, dict) or set(data) != {"capacity"}:
                raise ValueError('send {"capacity": n}')
            log.resize(data["capacity"])
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"capacity": log.capacity})

    return [
        Route(path, read, methods=["GET"]),
        Route(path, resize, methods=["POST"]),
        Route(path, clear, methods=["DELETE"]),
    ]
