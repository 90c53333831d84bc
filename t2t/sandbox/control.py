"""``/_sandbox/*``: the sandbox's own control endpoints. None of this is Microsoft's.

- ``GET /_sandbox/stats``: request counters (rules in stats.py);
- ``DELETE /_sandbox/stats``: zero them;
- ``POST /_sandbox/reset``: restore the seed state, zero the counters, remove every
  fault rule and hidden object, restore Microsoft's budgets (throttle.py), empty the
  InvokeCommand request log and the Graph write log (their capacities are kept), forget the
  device codes waiting for a person, and put the clock back to real time (fast: tests call it
  between tests; secrets, certificates, signing key, module key, CA and the refresh tokens of
  sign-ins already made are kept);
- ``GET /_sandbox/devicelogin``, ``POST /_sandbox/devicelogin`` with ``{"userCode", "user",
  "decline"?}``: the device-code sign-in page's stand-in (device_flow.py);
- ``GET /_sandbox/clock`` → ``{"now": "<ISO 8601 Z>", "offsetSeconds": n}``;
  ``POST /_sandbox/clock`` with ``{"advanceSeconds": n}`` or ``{"now": "<ISO>"}`` moves
  it forward (never back) and answers the same shape;
- ``GET /_sandbox/strictness``, ``POST /_sandbox/strictness`` with some fields: the
  profile's knobs in force (strictness.py); reset restores the profile;
- ``GET /_sandbox/replication`` → ``{"refusals", "windowSeconds", "seed", "recentObjects"}``;
  ``POST /_sandbox/replication`` with some of ``refusals`` (writes refused per object and
  operation), ``windowSeconds`` (sandbox clock after creation), ``seed`` (string: a per-object
  count in 0…refusals; null: exactly ``refusals``): which writes naming a just-created object
  fail as not replicated (replication.py; on while ``strictness.replication``); reset restores
  the defaults (2 refusals within 300 s);
- ``GET /_sandbox/throttle`` → ``{"budgets": {"graphAppTenant"|"graphTenant"|"exchangeTenant":
  {"limit", "windowSeconds"}}, "inWindow", "admitted", "refusals", "earlyRetries"}``:
  Microsoft's own budgets (throttle.py; enforced while ``strictness.throttling``);
  ``POST /_sandbox/throttle`` with ``{"budgets": {name: {"limit"?, "windowSeconds"?}}}``
  changes some (400 ``{"error"}`` if wrong) and answers the same shape; reset restores
  the documented defaults and forgets all usage;
- ``GET /_sandbox/faults`` → ``{"rules": [...], "hiddenObjects": n, "held": [...]}``
  (``held``: the requests a ``hold`` rule keeps open now, holds.py);
  ``POST /_sandbox/faults`` with one rule (faults.py) → 201 with the rule and its ``id``;
  ``DELETE /_sandbox/faults`` removes all, ``DELETE /_sandbox/faults/{id}`` one (404 if
  unknown; either releases the requests it holds). Invalid rules → 400 ``{"error": "<why>"}``.
"""

from __future__ import annotations

import datetime as dt
import json

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
    ctx.faults.clear()
    ctx.replication.reset()
    ctx.throttle.reset()
    ctx.clock.reset()
    ctx.exchange_requests.clear()
    ctx.graph_writes.clear()
    ctx.device_flows.clear_pending()
    ctx.strictness = ctx.profile
    return Response(status_code=204)


async def get_strictness(request: Request) -> Response:
    return JSONResponse(context_of(request).strictness.snapshot())


async def set_strictness(request: Request) -> Response:
    """Change some knobs of the running profile (strictness.py); 400 says what is wrong."""
    ctx = context_of(request)
    try:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict):
            raise ValueError("send a JSON object of strictness fields")
        ctx.strictness = ctx.strictness.with_changes(data)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(ctx.strictness.snapshot())


async def get_replication(request: Request) -> Response:
    return JSONResponse(context_of(request).replication.snapshot())


async def set_replication(request: Request) -> Response:
    """Change which writes naming a just-created object fail (replication.py)."""
    ctx = context_of(request)
    try:
        ctx.replication.configure(json.loads(await request.body() or b"{}"))
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(ctx.replication.snapshot())


async def get_throttle(request: Request) -> Response:
    return JSONResponse(context_of(request).throttle.snapshot())


async def set_throttle(request: Request) -> Response:
    """Change Microsoft's budgets (throttle.py), e.g. lower them for a fast test."""
    ctx = context_of(request)
    try:
        ctx.throttle.configure(json.loads(await request.body() or b"{}"))
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(ctx.throttle.snapshot())


async def get_clock(request: Request) -> Response:
    return JSONResponse(context_of(request).clock.snapshot())


async def move_clock(request: Request) -> Response:
    clock = context_of(request).clock
    try:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict) or len(data) != 1:
            raise ValueError('send {"advanceSeconds": n} or {"now": "<ISO 8601>"}')
        if "advanceSeconds" in data:
            seconds = data["advanceSeconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise ValueError("advanceSeconds must be a number")
            clock.advance(float(seconds))
        elif "now" in data:
            when = dt.datetime.fromisoformat(str(data["now"]).replace("Z", "+00:00"))
            clock.set(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
        else:
            raise ValueError('send {"advanceSeconds": n} or {"now": "<ISO 8601>"}')
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(clock.snapshot())


async def get_faults(request: Request) -> Response:
    return JSONResponse(context_of(request).faults.snapshot())


async def add_fault(request: Request) -> Response:
    try:
        rule = context_of(request).faults.add(json.loads(await request.body() or b"null"))
    except ValueError as exc:  # FaultRuleError and JSON errors
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(rule.to_json(), status_code=201)


async def clear_faults(request: Request) -> Response:
    context_of(request).faults.clear()
    return Response(status_code=204)


async def delete_fault(request: Request) -> Response:
    try:
        rid = int(request.path_params["rid"])
    except ValueError:
        return JSONResponse({"error": "no such rule"}, status_code=404)
    if not context_of(request).faults.remove(rid):
        return JSONResponse({"error": "no such rule"}, status_code=404)
    return Response(status_code=204)


routes = [
    Route("/_sandbox/stats", get_stats, methods=["GET"]),
    Route("/_sandbox/stats", clear_stats, methods=["DELETE"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
    Route("/_sandbox/clock", get_clock, methods=["GET"]),
    Route("/_sandbox/clock", move_clock, methods=["POST"]),
    Route("/_sandbox/strictness", get_strictness, methods=["GET"]),
    Route("/_sandbox/strictness", set_strictness, methods=["POST"]),
    Route("/_sandbox/replication", get_replication, methods=["GET"]),
    Route("/_sandbox/replication", set_replication, methods=["POST"]),
    Route("/_sandbox/throttle", get_throttle, methods=["GET"]),
    Route("/_sandbox/throttle", set_throttle, methods=["POST"]),
    Route("/_sandbox/faults", get_faults, methods=["GET"]),
    Route("/_sandbox/faults", add_fault, methods=["POST"]),
    Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/_sandbox/faults/{rid}", delete_fault, methods=["DELETE"]),
]
