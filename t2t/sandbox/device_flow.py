"""The identity platform's device authorization grant, and the refresh tokens it hands out.

Protocol: RFC 8628 as Microsoft runs it (Learn, "Microsoft identity platform and the OAuth 2.0
device authorization grant flow", entra-docs v2-oauth2-device-code.md):

- ``POST /{tenant}/oauth2/v2.0/devicecode`` with ``client_id`` and ``scope`` answers
  ``device_code``, ``user_code``, ``verification_uri``, ``expires_in`` (900: "the user has 15
  minutes to sign in"), ``interval`` (5) and ``message``; no ``verification_uri_complete``
  ("not included or supported at this time");
- ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:
  device_code``, ``client_id`` and ``device_code`` answers, until the user acts,
  ``authorization_pending``; then the tokens, or ``authorization_declined``; a code the
  service does not know is ``bad_verification_code``, one past ``expires_in``
  ``expired_token``. AADSTS numbers (reference-error-codes): 70016 AuthorizationPending,
  70018 BadVerificationCode, 70019 CodeExpired. Microsoft documents no number for
  ``authorization_declined``: the sandbox answers 65004 UserDeclinedConsent, the documented
  code of a user who declined (an open question, README "The sandbox");
- the tokens: ``token_type``, ``scope``, ``expires_in``, ``access_token``, ``refresh_token``
  (``offline_access``) and ``id_token`` (``openid``), plus ``client_info`` when asked with
  ``client_info=1`` (MSAL builds its account from it: msal/token_cache.py __parse_account);
- ``grant_type=refresh_token`` redeems a refresh token for another access token, for any
  resource the client may reach, and rotates it (v2-oauth2-auth-code-flow.md, "Refresh the
  access token"); an unknown one is ``invalid_grant`` AADSTS70000, and scopes the user never
  consented to are ``invalid_grant`` AADSTS65001 DelegationDoesNotExist.

Public clients: the sandbox knows Microsoft's two first-party public clients t2t signs in
with, each for the one resource it is known to be used with (below). Asking either for another
resource answers AADSTS65002 ("Consent between first party application … and first party
resource … must be configured via preauthorization"): Microsoft does not publish its
preauthorizations, so which pairs Entra allows is inferred, not documented.

The user's side (Microsoft's sign-in page) is the sandbox's own: ``/_sandbox/devicelogin``
approves or declines a pending code as a user of the code's tenant (control route, below;
``t2t sandbox approve``). The user consents to the scopes asked for at that moment (an
administrator's consent; the sandbox does not emulate admin-consent workflows). Codes expire
on the sandbox clock, so a test moves the clock rather than waiting 15 minutes.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import SandboxContext, base_url_of, context_of
from t2t.sandbox.device_codes import EXPIRES_IN, INTERVAL, Grant, Pending
from t2t.sandbox.entra import aad_error, application_not_found, form_of, tenant_not_found
from t2t.sandbox.model import Tenant, User
from t2t.sandbox.tokens import TOKEN_LIFETIME, DelegatedUser

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EXCHANGE_AUDIENCE = "https://outlook.office365.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"

EXCHANGE_MODULE_CLIENT = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
"""ExchangeOnlineManagement's public client ("Microsoft Exchange REST API Based Powershell";
wire-protocols.md §1.7)."""
GRAPH_POWERSHELL_CLIENT = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
"""Microsoft Graph PowerShell's public client (msgraph-sdk-powershell,
src/Authentication/Authentication/Models/AuthContext.cs ``PowerShellClientId``)."""


@dataclass(frozen=True)
class PublicClient:
    name: str
    audience: str
    default_scopes: tuple[str, ...]
    """What ``/.default`` grants: the client's preauthorized scopes on its resource."""


PUBLIC_CLIENTS: dict[str, PublicClient] = {
    # scp of the module's delegated token holds AdminApi.AccessAsUser.All (measured,
    # wire-protocols.md §1.7); the rest of its preauthorized scopes are not published.
    EXCHANGE_MODULE_CLIENT: PublicClient(
        "Microsoft Exchange REST API Based Powershell",
        EXCHANGE_AUDIENCE,
        ("AdminApi.AccessAsUser.All",),
    ),
    # Connect-MgGraph -Scopes asks for any Graph delegated permission (dynamic consent).
    GRAPH_POWERSHELL_CLIENT: PublicClient("Microsoft Graph Command Line Tools", GRAPH_AUDIENCE, ()),
}

_RESERVED = frozenset({"openid", "profile", "offline_access", "email"})
_USER_CODE_ALPHABET = string.ascii_uppercase + string.digits
"""Microsoft's user codes are short upper-case letters and digits ("YZMYLD4K", Q&A 981553)."""


def split_scopes(scope: str) -> tuple[str | None, tuple[str, ...]]:
    """(audience, the scopes without OIDC's reserved ones), or (None, ()) when the scopes
    name more than one resource or none at all. A scope without a resource is Graph's
    (permissions-consent-overview: "If the resource identifier is omitted … Microsoft Graph")."""
    scopes = tuple(s for s in scope.split() if s.lower() not in _RESERVED)
    audiences = set()
    for s in scopes:
        prefix, _, _name = s.rpartition("/")
        audiences.add(prefix.rstrip("/").lower() if prefix else GRAPH_AUDIENCE)
    if len(audiences) != 1:
        return None, ()
    return audiences.pop(), scopes


def _short_name(scope: str) -> str:
    return scope.rpartition("/")[2]


def _client_or_error(client_id: str, audience: str | None, tenant: Tenant) -> Response | None:
    client = PUBLIC_CLIENTS.get(client_id.lower())
    if client is None:
        return application_not_found(client_id, tenant.display_name)
    if audience is None:
        return aad_error(
            400,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' isn't valid: give the scopes "
            "of exactly one resource.",
        )
    if audience != client.audience:
        return aad_error(
            400,
            "invalid_grant",
            65002,
            f"Consent between first party application '{client_id}' and first party resource "
            f"'{audience}' must be configured via preauthorization - applications owned and "
            "operated by Microsoft must get approval from the API owner before requesting "
            "tokens for that API.",
        )
    return None


async def devicecode(request: Request) -> Response:
    """The device authorization request (Learn: "Device authorization request")."""
    ctx = context_of(request)
    segment = request.path_params["tenant"]
    tenant = ctx.store.state.resolve_tenant(segment)
    ctx.stats.record("identity", tenant=tenant.name if tenant else None)
    if tenant is None:
        return tenant_not_found(segment)
    form = await form_of(request)
    client_id = form.get("client_id", "")
    audience, scopes = split_scopes(form.get("scope", ""))
    refused = _client_or_error(client_id, audience, tenant)
    if refused is not None:
        return refused
    assert audience is not None
    flows = ctx.device_flows
    with flows.lock:
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        pending = Pending(
            device_code=secrets.token_urlsafe(96),
            user_code=user_code,
            tenant_id=tenant.tenant_id,
            client_id=client_id.lower(),
            audience=audience,
            scopes=scopes,
            issued=ctx.clock.now(),
        )
        flows.pending[pending.device_code] = pending
    verification_uri = f"{base_url_of(request)}/_sandbox/devicelogin"
    return JSONResponse(
        {
            "user_code": user_code,
            "device_code": pending.device_code,
            "verification_uri": verification_uri,
            "expires_in": EXPIRES_IN,
            "interval": INTERVAL,
            # Microsoft's wording (Learn's sample response and Q&A 981553).
            "message": f"To sign in, use a web browser to open the page {verification_uri} "
            f"and enter the code {user_code} to authenticate.",
        }
    )


def redeem_device_code(
    ctx: SandboxContext, tenant: Tenant, form: dict[str, str], request: Request
) -> Response:
    """The token request of the polling client (Learn: "Expected errors")."""
    flows = ctx.device_flows
    with flows.lock:
        pending = flows.pending.get(form.get("device_code", ""))
        if (
            pending is None
            or pending.tenant_id != tenant.tenant_id
            or pending.client_id != form.get("client_id", "").lower()
        ):
            return aad_error(
                400,
                "bad_verification_code",
                70018,
                "Invalid verification code: the device_code was not recognized.",
            )
        if pending.expired(ctx.clock.now()):
            del flows.pending[pending.device_code]
            return aad_error(
                400,
                "expired_token",
                70019,
                "Verification code expired. Have the user retry the sign-in.",
            )
        if pending.state == "pending":
            return aad_error(
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        del flows.pending[pending.device_code]
        if pending.state == "declined":
            return aad_error(
                400,
                "authorization_declined",
                65004,
                "User declined to consent to access the app.",
            )
        assert pending.user_id is not None
        grant = Grant(tenant.tenant_id, pending.client_id, pending.user_id)
        flows.consents.setdefault(grant, set()).update(_short_name(s) for s in pending.scopes)
    user = tenant.user(grant.user_id)
    if user is None:
        return _user_gone(tenant)
    return _tokens(ctx, request, tenant, user, grant, pending.audience, pending.scopes, form)


def redeem_refresh_token(
    ctx: SandboxContext, tenant: Tenant, form: dict[str, str], request: Request
) -> Response:
    """An access token for the scopes asked, from a refresh token (rotated on each use)."""
    flows = ctx.device_flows
    with flows.lock:
        grant = flows.refresh_tokens.get(form.get("refresh_token", ""))
        if (
            grant is None
            or grant.tenant_id != tenant.tenant_id
            or grant.client_id != form.get("client_id", "").lower()
        ):
            return aad_error(
                400,
                "invalid_grant",
                70000,
                "Authentication failed. The refresh token isn't valid.",
            )
        consented = set(flows.consents.get(grant, set()))
    audience, scopes = split_scopes(form.get("scope", ""))
    refused = _client_or_error(grant.client_id, audience, tenant)
    if refused is not None:
        return refused
    assert audience is not None
    missing = sorted(_short_name(s) for s in scopes if not s.endswith("/.default"))
    missing = [s for s in missing if s not in consented]
    if missing:
        return aad_error(
            400,
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application with ID "
            f"'{grant.client_id}' for {', '.join(missing)}. Send an interactive authorization "
            "request for this user and resource.",
        )
    user = tenant.user(grant.user_id)
    if user is None:
        return _user_gone(tenant)
    with flows.lock:
        flows.refresh_tokens.pop(form.get("refresh_token", ""), None)
    return _tokens(ctx, request, tenant, user, grant, audience, scopes, form)


def _user_gone(tenant: Tenant) -> Response:
    return aad_error(
        400,
        "invalid_grant",
        50034,
        f"The user account does not exist in the {tenant.display_name} directory.",
    )


def _tokens(
    ctx: SandboxContext,
    request: Request,
    tenant: Tenant,
    user: User,
    grant: Grant,
    audience: str,
    scopes: tuple[str, ...],
    form: dict[str, str],
) -> Response:
    """The successful token response (Learn: "Successful authentication response")."""
    client = PUBLIC_CLIENTS[grant.client_id]
    granted = tuple(
        name
        for s in scopes
        for name in (client.default_scopes if s.endswith("/.default") else (_short_name(s),))
    )
    access_token = ctx.signer.issue(
        tenant_id=tenant.tenant_id,
        client_id=grant.client_id,
        audience=audience,
        roles=[],
        oid=user.id,
        # A delegated token carries the user's directory roles (access-token-claims-reference,
        # wids): Exchange builds the session's RBAC from them, Graph bounds the scopes by them.
        wids=list(user.directory_roles),
        user=DelegatedUser(user.user_principal_name, user.display_name, granted),
    )
    refresh_token = secrets.token_urlsafe(96)
    with ctx.device_flows.lock:
        ctx.device_flows.refresh_tokens[refresh_token] = grant
    base = base_url_of(request)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        # The scopes in the form they were asked for: what MSAL files the token under.
        "scope": " ".join([*scopes, "openid", "profile", "offline_access"]),
        "expires_in": TOKEN_LIFETIME,
        "ext_expires_in": TOKEN_LIFETIME,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "id_token": ctx.signer.id_token(
            issuer=f"{base}/{tenant.tenant_id}/v2.0",
            client_id=grant.client_id,
            tenant_id=tenant.tenant_id,
            oid=user.id,
            upn=user.user_principal_name,
            name=user.display_name,
        ),
    }
    if form.get("client_info") == "1":
        info = json.dumps({"uid": user.id, "utid": tenant.tenant_id}).encode()
        body["client_info"] = base64.urlsafe_b64encode(info).rstrip(b"=").decode()
    return JSONResponse(body)


# --- the user's side: the sandbox's stand-in for Microsoft's sign-in page -----------------


class ApprovalError(ValueError):
    """Why a code cannot be approved or declined; ``status`` is the control route's answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def decide(ctx: SandboxContext, user_code: str, upn: str, *, decline: bool) -> dict[str, Any]:
    """Sign in as `upn` at the verification page and approve (or decline) `user_code`."""
    flows = ctx.device_flows
    with flows.lock:
        pending = flows.by_user_code(user_code)
        if pending is None:
            # What the page says to a wrong code (reference-error-codes 70018).
            raise ApprovalError(
                404,
                f"AADSTS70018: no pending sign-in has the code {user_code!r} (a typo, or it "
                "was already used)",
            )
        if pending.expired(ctx.clock.now()):
            raise ApprovalError(410, f"AADSTS70019: the code {pending.user_code} has expired")
        if pending.state != "pending":
            raise ApprovalError(409, f"the code {pending.user_code} was already {pending.state}")
        tenant = ctx.store.state.resolve_tenant(pending.tenant_id)
        user = tenant.user(upn) if tenant else None
        if tenant is None or user is None or not user.account_enabled:
            where = tenant.display_name if tenant else pending.tenant_id
            raise ApprovalError(
                400,
                f"AADSTS50034: the user account {upn} does not exist in the {where} directory "
                "(or is disabled)",
            )
        pending.state = "declined" if decline else "approved"
        pending.user_id = user.id
        return {
            "userCode": pending.user_code,
            "tenantId": pending.tenant_id,
            "clientId": pending.client_id,
            "client": PUBLIC_CLIENTS[pending.client_id].name,
            "scopes": list(pending.scopes),
            "user": user.user_principal_name,
            "state": pending.state,
        }


async def get_devicelogin(request: Request) -> Response:
    """The verification page: the codes waiting for a person, and how to approve one."""
    ctx = context_of(request)
    now = ctx.clock.now()
    with ctx.device_flows.lock:
        waiting = [
            {
                "userCode": p.user_code,
                "tenantId": p.tenant_id,
                "client": PUBLIC_CLIENTS[p.client_id].name,
                "scopes": list(p.scopes),
            }
            for p in ctx.device_flows.pending.values()
            if p.state == "pending" and not p.expired(now)
        ]
    return JSONResponse(
        {
            "approveWith": "t2t sandbox approve CODE --user UPN [--decline]",
            "pending": waiting,
        }
    )


async def post_devicelogin(request: Request) -> Response:
    """``{"userCode", "user", "decline"?}`` → the decision, or 4xx ``{"error"}``."""
    ctx = context_of(request)
    try:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict) or not isinstance(data.get("userCode"), str):
            raise ApprovalError(400, 'send {"userCode": "...", "user": "UPN", "decline": false}')
        if not isinstance(data.get("user"), str):
            raise ApprovalError(400, "user: the UPN of the person signing in")
        answer = decide(ctx, data["userCode"], data["user"], decline=bool(data.get("decline")))
    except ApprovalError as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(answer)


routes = [
    Route("/{tenant}/oauth2/v2.0/devicecode", devicecode, methods=["POST"]),
]
control_routes = [
    Route("/_sandbox/devicelogin", get_devicelogin, methods=["GET"]),
    Route("/_sandbox/devicelogin", post_devicelogin, methods=["POST"]),
]
