"""``POST /adminapi/beta/{tenant}/InvokeCommand``: authentication, dispatch, paging.

Order of checks (wire-protocols.md §1.5, §1.7):
1. bearer token: signature and expiry, ``aud`` = ``https://outlook.office365.com``,
   ``tid`` = the tenant named by the path segment (GUID or any of its domains) → else 401;
2. ``roles`` holds ``Exchange.ManageAsApp`` → else 401 (G2O: "no grants → 401");
3. the cmdlet exists and the app's Exchange role groups allow it → else 403 with a
   NUL-filled body labelled gzip (G2O: "ManageAsApp only → 403");
4. PowerShell parameter binding → 400;
5. the cmdlet itself (404 for ManagementObjectNotFoundException, 400 otherwise).

Paging (§1.4): ``Prefer: odata.maxpagesize=N`` (capped at 1000, default 1000) sets
the page; ``@odata.nextLink`` carries a ``$skiptoken`` and the client re-POSTs the
same body to it. ``ResultSize`` caps the total for cmdlets that declare it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from t2t.sandbox.context import base_url_of, context_of, new_request_id
from t2t.sandbox.exchange import envelope
from t2t.sandbox.exchange.cmdlets import build_registry
from t2t.sandbox.exchange.errors import CmdletError
from t2t.sandbox.exchange.licensing import provision_licensed_mail_users
from t2t.sandbox.exchange.params import bind
from t2t.sandbox.exchange.registry import Invocation, allowed
from t2t.sandbox.exchange.serialize import select, to_json
from t2t.sandbox.faults import RequestInfo
from t2t.sandbox.moves import control as moves_control
from t2t.sandbox.moves.engine import advance
from t2t.sandbox.tokens import TokenError

EXCHANGE_AUDIENCE = "https://outlook.office365.com"
MANAGE_AS_APP = "Exchange.ManageAsApp"
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000

REGISTRY = build_registry()

_PREFER_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


def _page_size(request: Request) -> int | None:
    match = _PREFER_PAGE.search(request.headers.get("prefer", ""))
    if not match:
        return None
    return max(1, min(int(match.group(1)), MAX_PAGE_SIZE))


def _encode_skip(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode_skip(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CmdletError(
            400, "System.ArgumentException", f"Invalid $skiptoken '{token}'."
        ) from exc
    if not isinstance(offset, int) or offset < 0:
        raise CmdletError(400, "System.ArgumentException", f"Invalid $skiptoken '{token}'.")
    return offset


def _parse_body(raw: bytes) -> tuple[str, dict[str, Any]]:
    try:
        body = json.loads(raw or b"{}")
        cmdlet_input = body["CmdletInput"]
        name = cmdlet_input["CmdletName"]
        params = cmdlet_input.get("Parameters") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CmdletError(
            400,
            "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            'The request body must be {"CmdletInput":{"CmdletName":…,"Parameters":{…}}}.',
        ) from exc
    if not isinstance(name, str) or not isinstance(params, dict):
        raise CmdletError(
            400,
            "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            "CmdletName must be a string and Parameters an object.",
        )
    return name, params


async def invoke_command(request: Request) -> Response:
    ctx = context_of(request)
    request_id = request.headers.get("client-request-id") or new_request_id()
    segment = request.path_params["tenant"]
    state = ctx.store.state
    path_tenant = state.resolve_tenant(segment)
    tenant_name = path_tenant.name if path_tenant else None

    def refuse(reason: str) -> Response:
        ctx.stats.record("exchange", tenant=tenant_name)
        return envelope.unauthorized(reason, request_id)

    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return refuse("no bearer token")
    try:
        claims = ctx.signer.verify(auth[7:].strip())
    except TokenError as exc:
        return refuse(f"invalid token: {exc}")
    if claims.aud.rstrip("/") != EXCHANGE_AUDIENCE:
        return refuse(f"token audience {claims.aud!r} is not {EXCHANGE_AUDIENCE}")
    if path_tenant is None or path_tenant.tenant_id != claims.tid.lower():
        return refuse(f"token tenant {claims.tid} does not match tenant segment {segment!r}")
    if MANAGE_AS_APP not in claims.roles:
        return refuse(f"token lacks the {MANAGE_AS_APP} role")
    tenant = path_tenant

    raw = await request.body()
    try:
        cmdlet_name, raw_params = _parse_body(raw)
    except CmdletError as exc:
        ctx.stats.record("exchange", tenant=tenant.name)
        return envelope.error(exc, warnings=[], request_id=request_id)
    spec = REGISTRY.get(cmdlet_name)
    client = tenant.client(claims.appid)
    roles = client.exchange_role_groups if client else []
    if spec is None or not allowed(spec, roles):
        ctx.stats.record("exchange", tenant=tenant.name)
        return envelope.nul_forbidden(request_id)
    ctx.stats.record("exchange", tenant=tenant.name, cmdlet=spec.name, kind=spec.kind)

    inv: Invocation | None = None
    try:
        bound = bind(spec.name, spec.params, raw_params)
        skiptoken = request.query_params.get("$skiptoken")
        offset = _decode_skip(skiptoken) if skiptoken else 0
        if skiptoken and spec.kind != "read":
            raise CmdletError(
                400, "System.ArgumentException", "$skiptoken is only valid for Get- cmdlets."
            )
        with ctx.store.lock:
            now = ctx.clock.now().replace(microsecond=0)
            # The move service runs lazily on the sandbox clock (moves/engine.py).
            moved = advance(state, now)
            if moved:
                state.bump()  # this request must not read caches from before the move
            info = RequestInfo(
                "exchange",
                tenant.name,
                "POST",
                request.url.path,
                cmdlet=spec.name,
                app_id=claims.appid,
                tenant_id=tenant.tenant_id,
            )
            inv = Invocation(
                tenant=tenant,
                params=bound,
                now=now,
                state=state,
                faults=ctx.faults,
                request=info,
            )
            wrote = spec.kind == "write" and not inv.what_if
            try:
                records = spec.run(inv)
            finally:
                if wrote:  # e.g. -ExchangeGuid cleared on a licensed MailUser: a new mailbox
                    provision_licensed_mail_users(state)
                if moved or wrote:
                    ctx.store.save()
    except CmdletError as exc:
        return envelope.error(exc, warnings=inv.warnings if inv else [], request_id=request_id)

    if "ResultSize" in bound and bound.get("ResultSize") is not None:
        records = records[: bound.get("ResultSize")]
    page_size = _page_size(request)
    size = page_size or DEFAULT_PAGE_SIZE
    page = records[offset : offset + size] if spec.paged else records
    next_link = None
    if spec.paged and offset + size < len(records):
        query = dict(request.query_params)
        query["$skiptoken"] = _encode_skip(offset + size)
        next_link = f"{base_url_of(request)}{request.url.path}?{urllib.parse.urlencode(query)}"
    selected = request.query_params.get("$select")
    names = selected.split(",") if selected else None
    values = [to_json(select(r, names)) for r in page]
    context_url = (
        f"{base_url_of(request)}/adminapi/beta/{segment}"
        "/$metadata#Collection(Exchange.GenericHashTable)"
    )
    return envelope.success(
        context_url=context_url,
        values=values,
        warnings=inv.warnings,
        next_link=next_link,
        request_id=request_id,
        page_size=page_size,
    )


routes = [
    Route("/adminapi/beta/{tenant}/InvokeCommand", invoke_command, methods=["POST"]),
    *moves_control.routes,
]
"""InvokeCommand plus the sandbox-only move-service controls (served here so the app's
route order keeps every /_sandbox path ahead of identity's /{tenant}/…)."""
