"""``POST /v1.0/$batch`` (concepts/json-batching.md; wire-protocols.md §2.8).

- at most 20 requests; unique ``id``s; ``dependsOn`` must name earlier ids → else the whole
  batch is 400 (texts assumed, README.md, "Open questions");
- each inner request is authorised, throttled and faulted on its own (so inner 429s with
  ``Retry-After`` happen) and gets its own status; each counts on its own against
  Microsoft's identity write budgets (throttle.py, json-batching.md "Batch size limitations");
- a request whose dependency failed (status ≥ 400) is not run and answers 424;
- a ``body`` without a ``Content-Type`` header is an inner 400;
- the outer status is 200 whenever the batch parses;
- a ``drop`` fault rule matching an inner request loses the whole answer: the connection
  closes mid-response, as it does for any request (faults.py) — one HTTP exchange carries
  every item, so the client cannot learn any item's outcome. With ``afterHandling`` the
  items are run first (the service acted, then the answer was lost); without it the batch
  stops at that item, which is not run. ``run_batch`` answers ``LOST`` as its status then.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from t2t.sandbox.context import SandboxContext
from t2t.sandbox.faults import RequestInfo, access_of, fault_body
from t2t.sandbox.graph.errors import error_body
from t2t.sandbox.model import Tenant
from t2t.sandbox.tokens import TokenClaims

MAX_REQUESTS = 20
#: run_batch's status when a drop rule lost the answer: the endpoint cuts the response short.
LOST = -1
#: _run_one's status for an item whose drop came before the service saw it.
DROPPED = -2


def _outer_error(message: str) -> tuple[int, dict[str, Any]]:
    return 400, error_body("BadRequest", message)


def run_batch(
    ctx: SandboxContext,
    tenant: Tenant,
    claims: TokenClaims,
    raw: bytes,
    headers: dict[str, str],
    base: str,
) -> tuple[int, dict[str, Any]]:
    from t2t.sandbox.graph.service import GReq, dispatch, query_of

    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return _outer_error("Unable to read JSON request payload.")
    requests = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(requests, list) or not requests:
        return _outer_error("Invalid batch payload format.")
    if len(requests) > MAX_REQUESTS:
        return _outer_error(
            f"Too many requests in the batch. The maximum number is {MAX_REQUESTS}."
        )
    seen: list[str] = []
    for item in requests:
        if not isinstance(item, dict) or not {"id", "method", "url"} <= set(item):
            return _outer_error("Each batch request must have an id, a method and a url.")
        rid = str(item["id"])
        if rid in seen:
            return _outer_error(f"Batch request contains duplicate id '{rid}'.")
        for dep in item.get("dependsOn") or []:
            if str(dep) not in seen:
                return _outer_error(f"Request '{rid}' depends on unknown or later request '{dep}'.")
        seen.append(rid)
    statuses: dict[str, int] = {}
    responses: list[dict[str, Any]] = []
    lost = False
    for item in requests:
        rid = str(item["id"])
        method = str(item["method"]).upper()
        url = str(item["url"])
        deps = [str(d) for d in item.get("dependsOn") or []]
        if any(statuses.get(d, 200) >= 400 for d in deps):
            statuses[rid] = 424
            responses.append(
                {
                    "id": rid,
                    "status": 424,
                    "headers": {"Content-Type": "application/json"},
                    "body": error_body(
                        "FailedDependency", "The request failed due to a failed dependency."
                    ),
                }
            )
            continue
        status, body, extra = _run_one(
            ctx, tenant, claims, item, method, url, base, GReq, dispatch, query_of
        )
        if status == LOST:
            lost = True
            continue
        if status == DROPPED:  # lost before the service saw it: nothing from here runs
            return LOST, {}
        statuses[rid] = status
        resp_headers = (
            {"Content-Type": "application/json", **extra} if body is not None else dict(extra)
        )
        entry: dict[str, Any] = {"id": rid, "status": status, "headers": resp_headers}
        if body is not None:
            entry["body"] = body
        responses.append(entry)
    if lost:
        return LOST, {}
    return 200, {"responses": responses}


def _run_one(
    ctx: SandboxContext,
    tenant: Tenant,
    claims: TokenClaims,
    item: dict[str, Any],
    method: str,
    url: str,
    base: str,
    greq: Any,
    dispatch: Any,
    query_of: Any,
) -> tuple[int, Any, dict[str, str]]:
    parts = urllib.parse.urlsplit(url)
    path = parts.path
    if path.startswith("/v1.0/"):
        path = path[len("/v1.0") :]
    if not path.startswith("/"):
        path = "/" + path
    path = urllib.parse.unquote(path)
    inner_headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    body = item.get("body")
    if body is not None and "content-type" not in inner_headers:
        return (
            400,
            error_body(
                "BadRequest", "Content-Type header must be specified when a body is present."
            ),
            {},
        )
    info = RequestInfo(
        "graph",
        tenant.name,
        method,
        "/v1.0" + path,
        app_id=claims.appid,
        tenant_id=tenant.tenant_id,
        access=access_of("graph", method, path, None, b""),
    )
    action = ctx.faults.decide(info)
    if action is None and ctx.strictness.throttling:
        # Microsoft's identity write budgets count every item on its own (throttle.py).
        action = ctx.throttle.decide(info, {"url": url, "body": body})
    if (
        action is not None
        and action.kind == "drop"
        and not (action.rule is not None and action.rule.after_handling)
    ):
        return DROPPED, None, {}
    if action is not None and action.kind in ("throttle", "error"):
        payload, _ = fault_body("graph", action, info)
        extra = {"Retry-After": str(action.retry_after)} if action.retry_after is not None else {}
        return action.status, json.loads(payload), {**extra, **action.headers}
    req = greq(
        ctx=ctx,
        tenant=tenant,
        claims=claims,
        method=method,
        path=path,
        query=query_of(parts.query),
        headers=inner_headers,
        body=body,
        base=base,
        in_batch=True,
    )
    status, out, extra = dispatch(req)
    if action is not None and action.kind == "drop":
        return LOST, None, {}  # the service acted; the batch's answer is lost (run_batch)
    return int(status), out, dict(extra)
