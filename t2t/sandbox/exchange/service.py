"""``POST /adminapi/beta/{tenant}/InvokeCommand``: authentication, dispatch, paging.

Order of checks (wire-protocols.md §1.5, §1.7):
1. bearer token: signature and expiry, ``aud`` = ``https://outlook.office365.com``,
   ``tid`` = the tenant named by the path segment (GUID or any of its domains) → else 401;
2. ``roles`` holds ``Exchange.ManageAsApp`` → else 401 (G2O: "no grants → 401"); a delegated
   token (a person's sign-in, device_flow.py) instead needs ``AdminApi.AccessAsUser.All`` in
   ``scp`` (§1.7) and is authorised by the user's directory roles in ``wids``;
3. the cmdlet exists and the token's directory roles (``wids``) or the app's Exchange role
   groups allow it (rbac.py) → else 403 with a NUL-filled body labelled gzip and
   ``x-ExceptionType: CmdletAccessDeniedException`` (G2O: "ManageAsApp only → 403");
4. PowerShell parameter binding, with the module's encodings (wire_forms.py) → 400, or 500
   for a JSON object where an encrypted string belongs;
5. the cmdlet itself (404 for ManagementObjectNotFoundException, 400 otherwise); a
   high-impact cmdlet only acts on ``Confirm: false`` (confirm.py).

Paging and the result-size cap: paging.py. Every request that reaches this handler is kept
in the sandbox's request log (request_log.py).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from t2t.sandbox.context import base_url_of, context_of, new_request_id
from t2t.sandbox.exchange import confirm, envelope, paging
from t2t.sandbox.exchange import control as exchange_control
from t2t.sandbox.exchange.cmdlets import build_registry
from t2t.sandbox.exchange.errors import CmdletError
from t2t.sandbox.exchange.licensing import provision_licensed_mail_users
from t2t.sandbox.exchange.params import Param, bind
from t2t.sandbox.exchange.rbac import allowed, trimmed
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation
from t2t.sandbox.exchange.serialize import select, to_json
from t2t.sandbox.faults import RequestInfo
from t2t.sandbox.model import Client, Tenant
from t2t.sandbox.moves import control as moves_control
from t2t.sandbox.moves.engine import advance
from t2t.sandbox.tokens import TokenClaims, TokenError

EXCHANGE_AUDIENCE = "https://outlook.office365.com"
MANAGE_AS_APP = "Exchange.ManageAsApp"
ACCESS_AS_USER = "AdminApi.AccessAsUser.All"

REGISTRY = build_registry()


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


@dataclass(frozen=True)
class Caller:
    """Who an authenticated admin API request comes from."""

    claims: TokenClaims
    tenant: Tenant


def authenticate(request: Request, request_id: str) -> Caller | Response:
    """Steps 1 and 2 above: the caller, or the 401 to answer with."""
    ctx = context_of(request)
    segment = request.path_params["tenant"]
    path_tenant = ctx.store.state.resolve_tenant(segment)
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
    if claims.delegated:
        # A person signed in through the module's public client: its delegated token's scp
        # holds AdminApi.AccessAsUser.All (wire-protocols.md §1.7); RBAC is then the user's,
        # from the directory roles the token carries (step 3, rbac.py).
        if ACCESS_AS_USER not in claims.scp:
            return refuse(f"delegated token lacks the {ACCESS_AS_USER} scope")
    elif MANAGE_AS_APP not in claims.roles:
        return refuse(f"token lacks the {MANAGE_AS_APP} role")
    return Caller(claims, path_tenant)


def granted_params(
    spec: CmdletSpec, client: Client | None, wids: Iterable[str] = ()
) -> tuple[Param, ...]:
    """The cmdlet's parameters the caller's role entries hold (rbac.py): binding then refuses
    the others as PowerShell refuses a parameter that does not exist."""
    removed = (
        trimmed(spec.name, client.exchange_removed_parameters, wids) if client else frozenset()
    )
    return tuple(p for p in spec.params if p.name.lower() not in removed)


async def invoke_command(request: Request) -> Response:
    """The handler, with every request it answers kept in the request log."""
    ctx = context_of(request)
    raw = await request.body()
    caller, response = _answer(request, raw)
    ctx.exchange_requests.record(
        tenant=request.path_params["tenant"],
        app_id=caller.claims.appid if caller else None,
        path=request.url.path,
        anchor=request.headers.get("X-AnchorMailbox"),
        body=raw,
        status=response.status_code,
    )
    return response


def _answer(request: Request, raw: bytes) -> tuple[Caller | None, Response]:
    ctx = context_of(request)
    request_id = request.headers.get("client-request-id") or new_request_id()
    segment = request.path_params["tenant"]
    state = ctx.store.state
    caller = authenticate(request, request_id)
    if isinstance(caller, Response):
        return None, caller
    claims, tenant = caller.claims, caller.tenant

    try:
        cmdlet_name, raw_params = _parse_body(raw)
    except CmdletError as exc:
        ctx.stats.record("exchange", tenant=tenant.name)
        return caller, envelope.error(exc, warnings=[], request_id=request_id)
    spec = REGISTRY.get(cmdlet_name)
    client = None if claims.delegated else tenant.client(claims.appid)
    role_groups = client.exchange_role_groups if client else []
    if spec is None or not allowed(spec, role_groups, claims.wids):
        ctx.stats.record("exchange", tenant=tenant.name)
        return caller, envelope.nul_forbidden(request_id)
    ctx.stats.record("exchange", tenant=tenant.name, cmdlet=spec.name, kind=spec.kind)

    inv: Invocation | None = None
    try:
        bound = bind(
            spec.name,
            granted_params(spec, client, claims.wids),
            raw_params,
            decrypt=ctx.module_key.decrypt,
        )
        skiptoken = request.query_params.get("$skiptoken")
        offset = paging.decode_skip(skiptoken) if skiptoken else 0
        if skiptoken and spec.kind != "read":
            raise CmdletError(
                400, "System.ArgumentException", "$skiptoken is only valid for Get- cmdlets."
            )
        confirmation = confirm.mode(spec.name, bound)
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
                # Exchange checks before ShouldProcess; a call that must not act only checks.
                dry_run=confirmation != "act",
                replication=ctx.replication if ctx.strictness.replication else None,
            )
            wrote = spec.kind == "write" and not inv.what_if
            try:
                records = spec.run(inv)
            finally:
                if wrote:  # e.g. -ExchangeGuid cleared on a licensed MailUser: a new mailbox
                    provision_licensed_mail_users(state)
                if moved or wrote:
                    ctx.store.save()
        if confirmation == "prompt":
            raise confirm.host_refusal(spec.name, bound)
    except CmdletError as exc:
        warnings = inv.warnings if inv else []
        return caller, envelope.error(exc, warnings=warnings, request_id=request_id)

    context_url = (
        f"{base_url_of(request)}/adminapi/beta/{segment}"
        "/$metadata#Collection(Exchange.GenericHashTable)"
    )
    if confirmation == "validate":
        return caller, envelope.success(
            context_url=context_url,
            values=[],
            warnings=inv.warnings,
            next_link=None,
            request_id=request_id,
            page_size=None,
            confirmation_message=confirm.message(spec.name, bound),
        )
    page_size = paging.page_size(request.headers.get("prefer", ""))
    size = page_size or paging.DEFAULT_PAGE_SIZE
    result = paging.page(spec, bound, records, offset, size)
    next_link = None
    if result.next_offset is not None:
        query = dict(request.query_params)
        query["$skiptoken"] = paging.encode_skip(result.next_offset)
        next_link = f"{base_url_of(request)}{request.url.path}?{urllib.parse.urlencode(query)}"
    warnings = inv.warnings + ([paging.TRUNCATION_WARNING] if result.truncated else [])
    selected = request.query_params.get("$select")
    names = selected.split(",") if selected else None
    values = [to_json(select(r, names)) for r in result.records]
    return caller, envelope.success(
        context_url=context_url,
        values=values,
        warnings=warnings,
        next_link=next_link,
        request_id=request_id,
        page_size=page_size,
    )


routes = [
    Route("/adminapi/beta/{tenant}/InvokeCommand", invoke_command, methods=["POST"]),
    *moves_control.routes,
    *exchange_control.routes,
]
"""InvokeCommand plus the sandbox-only move-service and request-log controls (served here
so the app's route order keeps every /_sandbox path ahead of identity's /{tenant}/…)."""
