"""Microsoft Graph v1.0 routes: ``/v1.0/...`` (wire-protocols.md §2, [GDOCS]).

Authentication (https://learn.microsoft.com/graph/errors; §2.9): a missing, invalid,
expired or wrong-audience token → 401 ``InvalidAuthenticationToken``; a valid token
without one of the endpoint's application permissions → 403
``Authorization_RequestDenied`` "Insufficient privileges to complete the operation.".
The tenant is the token's ``tid`` (Graph has no tenant in the URL), so a token only
ever sees its own tenant. A delegated token (a person's sign-in) is judged by `permitted`.
Permission sets per endpoint are the "Application" rows of
each v1.0 API page's permission table (least privileged + higher privileged).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import SandboxContext, base_url_of, context_of
from t2t.sandbox.directory_roles import GLOBAL_ADMINISTRATOR
from t2t.sandbox.faults import RequestInfo
from t2t.sandbox.graph import control as graph_control
from t2t.sandbox.graph import handlers as h
from t2t.sandbox.graph.errors import GraphError, error_body
from t2t.sandbox.graph.handlers import reports
from t2t.sandbox.model import Tenant
from t2t.sandbox.moves.engine import advance
from t2t.sandbox.msapps import GRAPH_APP_ID
from t2t.sandbox.tokens import TokenClaims, TokenError

GRAPH_AUDIENCES = frozenset({"https://graph.microsoft.com", GRAPH_APP_ID})


@dataclass
class GReq:
    """One Graph request (top level or inside ``$batch``)."""

    ctx: SandboxContext
    tenant: Tenant
    claims: TokenClaims
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    base: str
    params: dict[str, str] = field(default_factory=dict)
    in_batch: bool = False
    """An item of ``$batch`` (graph/batch.py), for the write log."""

    @property
    def info(self) -> RequestInfo:
        return RequestInfo(
            "graph",
            self.tenant.name,
            self.method,
            "/v1.0" + self.path,
            app_id=self.claims.appid,
            tenant_id=self.tenant.tenant_id,
        )


Result = tuple[int, Any, dict[str, str]]
Handler = Callable[[GReq], Result]


def _perms(*names: str) -> frozenset[str]:
    return frozenset(names)


DIR_R = ("Directory.Read.All", "Directory.ReadWrite.All")
P_ORG = _perms("Organization.Read.All", "Organization.ReadWrite.All", *DIR_R)
P_DOMAIN = _perms("Domain.Read.All", "Domain.ReadWrite.All", *DIR_R)
P_SKU = _perms("LicenseAssignment.Read.All", "Organization.Read.All", *DIR_R)
P_USER_R = _perms("User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", *DIR_R)
P_USER_W = _perms("User.ReadWrite.All", "Directory.ReadWrite.All")
#: user-delete: User.ReadWrite.All, least and only ("Higher privileged permissions: Not
#: available").
P_USER_DELETE = _perms("User.ReadWrite.All")
P_LICENSE = _perms(
    "LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"
)
P_APP_R = _perms(
    "Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", *DIR_R
)
P_APP_W = _perms("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All")
P_GRANT = _perms("AppRoleAssignment.ReadWrite.All")
P_GRANT_R = _perms("AppRoleAssignment.ReadWrite.All", *P_APP_R)
P_GROUP_R = _perms(
    "GroupMember.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    *DIR_R,
)
P_GROUP_W = _perms("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
P_INVITE = _perms("User.Invite.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
P_DIR_R = _perms(*DIR_R)
#: reportroot-getmailboxusagedetail: Reports.Read.All (least and only); adminreportsettings-get
#: and -update: ReportSettings.Read.All < ReportSettings.ReadWrite.All.
P_REPORTS = _perms("Reports.Read.All")
P_REPORT_SETTINGS_R = _perms("ReportSettings.Read.All", "ReportSettings.ReadWrite.All")
P_REPORT_SETTINGS_W = _perms("ReportSettings.ReadWrite.All")

_LIT = r"'(?:[^']|'')*'"
_ID = r"(?P<id>/[^/()]+|\(" + _LIT + r"\))"
_APP = r"(?:/(?P<id>[^/()]+)|\((?P<alt>appId|uniqueName)=(?P<lit>" + _LIT + r")\))"
_SP = r"(?:/(?P<id>[^/()]+)|\((?P<alt>appId)=(?P<lit>" + _LIT + r")\))"

# (method, path regex, handler, permissions, kind, template)
ROUTES: list[tuple[str, re.Pattern[str], Handler, frozenset[str], str, str]] = []


def _route(
    method: str, pattern: str, handler: Handler, perms: frozenset[str], kind: str, template: str
) -> None:
    ROUTES.append(
        (method, re.compile(pattern + r"/?$", re.IGNORECASE), handler, perms, kind, template)
    )


_route("GET", r"/organization", h.list_organization, P_ORG, "read", "/organization")
_route(
    "GET", r"/organization/(?P<id>[^/]+)", h.get_organization, P_ORG, "read", "/organization/{id}"
)
_route("GET", r"/domains", h.list_domains, P_DOMAIN, "read", "/domains")
_route("GET", r"/domains/(?P<id>[^/]+)", h.get_domain, P_DOMAIN, "read", "/domains/{id}")
_route("GET", r"/subscribedSkus", h.list_skus, P_SKU, "read", "/subscribedSkus")
_route("GET", r"/users", h.list_users, P_USER_R, "read", "/users")
_route("GET", r"/users" + _ID, h.get_user, P_USER_R, "read", "/users/{id}")
_route("PATCH", r"/users" + _ID, h.patch_user, P_USER_W, "write", "/users/{id}")
_route("DELETE", r"/users" + _ID, h.delete_user, P_USER_DELETE, "write", "/users/{id}")
_route(
    "POST",
    r"/users" + _ID + r"/assignLicense",
    h.assign_license,
    P_LICENSE,
    "write",
    "/users/{id}/assignLicense",
)
_route("GET", r"/groups", h.list_groups, P_GROUP_R, "read", "/groups")
_route("GET", r"/groups/(?P<id>[^/]+)", h.get_group, P_GROUP_R, "read", "/groups/{id}")
_route(
    "GET",
    r"/groups/(?P<id>[^/]+)/members",
    h.list_members,
    P_GROUP_R,
    "read",
    "/groups/{id}/members",
)
_route(
    "POST",
    r"/groups/(?P<id>[^/]+)/members/\$ref",
    h.add_member,
    P_GROUP_W,
    "write",
    "/groups/{id}/members/$ref",
)
_route(
    "DELETE",
    r"/groups/(?P<id>[^/]+)/members/(?P<member>[^/]+)/\$ref",
    h.remove_member,
    P_GROUP_W,
    "write",
    "/groups/{id}/members/{id}/$ref",
)
_route("GET", r"/applications", h.list_applications, P_APP_R, "read", "/applications")
_route("POST", r"/applications", h.create_application, P_APP_W, "write", "/applications")
_route("GET", r"/applications" + _APP, h.get_application, P_APP_R, "read", "/applications/{id}")
_route(
    "PATCH", r"/applications" + _APP, h.patch_application, P_APP_W, "write", "/applications/{id}"
)
_route(
    "DELETE", r"/applications" + _APP, h.delete_application, P_APP_W, "write", "/applications/{id}"
)
_route(
    "POST",
    r"/applications" + _APP + r"/addPassword",
    h.add_password,
    P_APP_W,
    "write",
    "/applications/{id}/addPassword",
)
_route(
    "POST",
    r"/applications" + _APP + r"/removePassword",
    h.remove_password,
    P_APP_W,
    "write",
    "/applications/{id}/removePassword",
)
_route(
    "GET", r"/servicePrincipals", h.list_service_principals, P_APP_R, "read", "/servicePrincipals"
)
_route(
    "POST",
    r"/servicePrincipals",
    h.create_service_principal,
    P_APP_W,
    "write",
    "/servicePrincipals",
)
_route(
    "GET",
    r"/servicePrincipals" + _SP,
    h.get_service_principal,
    P_APP_R,
    "read",
    "/servicePrincipals/{id}",
)
_route(
    "DELETE",
    r"/servicePrincipals" + _SP,
    h.delete_service_principal,
    P_APP_W,
    "write",
    "/servicePrincipals/{id}",
)
_route(
    "GET",
    r"/servicePrincipals" + _SP + r"/appRoleAssignedTo",
    h.list_assigned_to,
    P_GRANT_R,
    "read",
    "/servicePrincipals/{id}/appRoleAssignedTo",
)
_route(
    "POST",
    r"/servicePrincipals" + _SP + r"/appRoleAssignedTo",
    h.grant,
    P_GRANT,
    "write",
    "/servicePrincipals/{id}/appRoleAssignedTo",
)
_route(
    "GET",
    r"/servicePrincipals" + _SP + r"/appRoleAssignments",
    h.list_assignments,
    P_GRANT_R,
    "read",
    "/servicePrincipals/{id}/appRoleAssignments",
)
_route(
    "POST",
    r"/servicePrincipals" + _SP + r"/appRoleAssignments",
    h.grant_as_principal,
    P_GRANT,
    "write",
    "/servicePrincipals/{id}/appRoleAssignments",
)
_route(
    "DELETE",
    r"/servicePrincipals" + _SP + r"/appRoleAssignedTo/(?P<assignment>[^/]+)",
    h.revoke,
    P_GRANT,
    "write",
    "/servicePrincipals/{id}/appRoleAssignedTo/{id}",
)
_route("POST", r"/invitations", h.invite, P_INVITE, "write", "/invitations")
_route(
    "GET",
    r"/reports/getMailboxUsageDetail\(period=(?P<period>[^)]*)\)",
    reports.get_mailbox_usage_detail,
    P_REPORTS,
    "read",
    "/reports/getMailboxUsageDetail(period={period})",
)
_route(
    "GET",
    r"/admin/reportSettings",
    reports.get_report_settings,
    P_REPORT_SETTINGS_R,
    "read",
    "/admin/reportSettings",
)
_route(
    "PATCH",
    r"/admin/reportSettings",
    reports.patch_report_settings,
    P_REPORT_SETTINGS_W,
    "write",
    "/admin/reportSettings",
)
_route(
    "POST",
    r"/directoryObjects/getByIds",
    h.get_by_ids,
    P_DIR_R,
    "read",
    "/directoryObjects/getByIds",
)


def permitted(claims: TokenClaims, perms: frozenset[str], kind: str) -> bool:
    """App-only: one of the endpoint's application permissions in ``roles``. Delegated: "the
    least-privileged intersection of the delegated permissions the app has been granted … and
    the privileges of the currently signed-in user" (Learn, permissions-consent-overview): one
    of the endpoint's permissions in ``scp`` (Graph's delegated permissions carry the same
    names), and a user allowed the operation — any member reads the directory ("Default user
    permissions in Microsoft Entra ID"); the sandbox lets only a Global Administrator write (a
    simplification: Entra's narrower admin roles are not emulated)."""
    if not claims.delegated:
        return bool(perms.intersection(claims.roles))
    if not perms.intersection(claims.scp):
        return False
    return kind == "read" or GLOBAL_ADMINISTRATOR in claims.wids


def unauthorized(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        {
            "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
            'common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        },
    )


def authenticate(ctx: SandboxContext, authorization: str) -> tuple[Tenant, TokenClaims]:
    if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise unauthorized("Access token is empty.")
    try:
        claims = ctx.signer.verify(authorization[7:].strip())
    except TokenError as exc:
        if "expired" in str(exc).lower():
            raise unauthorized("Lifetime validation failed, the token is expired.") from None
        raise unauthorized("Access token validation failure.") from None
    if claims.aud.rstrip("/") not in GRAPH_AUDIENCES:
        raise unauthorized("Access token validation failure. Invalid audience.")
    tenant = ctx.store.state.resolve_tenant(claims.tid)
    if tenant is None:
        raise unauthorized("Access token validation failure. Invalid issuer.")
    return tenant, claims


def _catch_up(ctx: SandboxContext) -> None:
    """Run the move service up to the sandbox clock before Graph answers, as InvokeCommand
    does (moves/engine.py): one directory behind both surfaces, so a move completed or a
    licence provisioned shows on Graph reads without waiting for an Exchange call."""
    with ctx.store.lock:
        if advance(ctx.store.state, ctx.clock.now().replace(microsecond=0)):
            ctx.store.save()


def dispatch(req: GReq) -> Result:
    """Route, check permissions, run, count. Errors become Graph error bodies. A request
    that reaches a write route is kept in the write log once answered (graph/write_log.py)."""
    result, operation = _dispatch(req)
    if operation is not None:
        req.ctx.graph_writes.record(
            tenant=req.tenant.name,
            app_id=req.claims.appid,
            method=req.method,
            path="/v1.0" + req.path,
            operation=operation,
            status=result[0],
            in_batch=req.in_batch,
            body=req.body,
        )
    return result


def _dispatch(req: GReq) -> tuple[Result, str | None]:
    """dispatch's answer, and the operation (``"PATCH /users/{id}"``) when the request
    reached a write route."""
    ctx = req.ctx
    allowed_methods = []
    for method, pattern, handler, perms, kind, template in ROUTES:
        m = pattern.match(req.path)
        if m is None:
            continue
        if method != req.method:
            allowed_methods.append(method)
            continue
        written = f"{req.method} {template}" if kind == "write" else None
        ctx.stats.record(
            "graph",
            tenant=req.tenant.name,
            kind="read" if kind == "read" else "write",
            method=req.method,
            operation=f"{req.method} {template}",
            in_batch=req.in_batch,
        )
        req.params = {k: v for k, v in m.groupdict().items() if v is not None}
        if not permitted(req.claims, perms, kind):
            err = GraphError(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
            return (
                err.status,
                error_body(err.code, err.message, req.headers.get("client-request-id")),
                {},
            ), written
        _catch_up(ctx)
        try:
            if kind == "write":
                with ctx.store.lock:
                    status, body, headers = handler(req)
                    if status < 400:
                        ctx.store.save()
            else:
                status, body, headers = handler(req)
        except GraphError as err:
            return (
                err.status,
                error_body(err.code, err.message, req.headers.get("client-request-id")),
                err.headers,
            ), written
        return (status, body, headers), written
    ctx.stats.record("graph", tenant=req.tenant.name, method=req.method, in_batch=req.in_batch)
    if allowed_methods:
        return (
            405,
            error_body(
                "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
            ),
            {},
        ), None
    seg = req.path.strip("/").split("/")[0].split("(")[0]
    return (
        400,
        error_body(
            "BadRequest",
            f"Resource not found for the segment '{seg}'.",
            req.headers.get("client-request-id"),
        ),
        {},
    ), None


def query_of(raw: str) -> dict[str, str]:
    return {k: v for k, v in urllib.parse.parse_qsl(raw, keep_blank_values=True)}


def _response(
    status: int, body: Any, headers: dict[str, str], client_request_id: str | None = None
) -> Response:
    """Every Graph answer carries a ``request-id`` (the id support asks for) and echoes the
    caller's ``client-request-id`` (Learn, Microsoft Graph best practices, "Reliability and
    support": log the request-id, timestamp and client-request-id of the response headers).
    An error body's ``innerError.request-id`` is the same id (learn.microsoft.com/graph/errors)."""
    inner = body.get("error", {}).get("innerError") if isinstance(body, dict) else None
    request_id = str(inner.get("request-id")) if isinstance(inner, dict) else str(uuid.uuid4())
    hdrs = {
        **headers,
        "request-id": request_id,
        "client-request-id": client_request_id or request_id,
    }
    if body is None:
        return Response(status_code=status, headers=hdrs)
    return JSONResponse(body, status_code=status, headers=hdrs)


async def endpoint(request: Request) -> Response:
    ctx = context_of(request)
    # scope["path"], not request.url.path: a UPN's "#" arrives as %23 and must not be
    # re-parsed as a fragment (user-get.md: "#" is sent as %23).
    path = request.scope["path"][len("/v1.0") :] or "/"
    raw = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        tenant, claims = authenticate(ctx, headers.get("authorization", ""))
    except GraphError as err:
        ctx.stats.record("graph", method=request.method)
        return _response(err.status, error_body(err.code, err.message), err.headers)
    if path.rstrip("/") == "/$batch" and request.method == "POST":
        from t2t.sandbox.graph.batch import LOST, run_batch

        ctx.stats.record("graph", tenant=tenant.name, method="POST", operation="POST /$batch")
        status, batch_body = run_batch(ctx, tenant, claims, raw, headers, base_url_of(request))
        if status == LOST:  # a drop rule named an item: the connection closes mid-answer
            return Response(
                b'{"responses":[',
                status_code=200,
                headers={"content-type": "application/json", "content-length": "4096"},
            )
        return _response(status, batch_body, {}, headers.get("client-request-id"))
    payload: Any = None
    if raw:
        try:
            payload = json.loads(raw)
        except ValueError:
            return _response(
                400, error_body("BadRequest", "Unable to read JSON request payload."), {}
            )
    req = GReq(
        ctx=ctx,
        tenant=tenant,
        claims=claims,
        method=request.method,
        path=path,
        query=query_of(request.url.query),
        headers=headers,
        body=payload,
        base=base_url_of(request),
    )
    status, out, extra = dispatch(req)
    return _response(status, out, extra, headers.get("client-request-id"))


def encode_skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


async def report_download(request: Request) -> Response:
    """A report's preauthenticated download URL (graph/handlers/reports.py): no Authorization
    header; "Content-Type: application/octet-stream" (reportroot-getmailboxusagedetail's
    example). An unknown or expired URL: 404 (Microsoft's answer is not documented)."""
    ctx = context_of(request)
    ctx.stats.record("graph", method="GET", operation="GET /data/download/{token}")
    content = ctx.report_downloads.take(request.path_params["token"], ctx.clock.now())
    if content is None:
        return Response(status_code=404)
    return Response(content, media_type="application/octet-stream")


routes = [
    Route("/v1.0/{rest:path}", endpoint, methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
    Route("/data/download/{token}", report_download, methods=["GET"]),
    *graph_control.routes,
]
"""The Graph surface plus the sandbox-only write log (graph/control.py), served here so the
app's route order keeps it ahead of identity's /{tenant}/…."""
