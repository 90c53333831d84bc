"""The Microsoft identity platform: OIDC discovery, signing keys and the v2.0 token endpoint.

Emulates what MSAL and azure-identity call for app-only (client credentials) tokens
(wire-protocols.md §3.1–§3.3); the device code and refresh token grants of a person's sign-in
are device_flow.py's. Clients must disable instance discovery (§3.4), so
``/common/discovery/instance`` is deliberately absent. Certificate assertions
(§3.2, "Certificate form") are verified in assertions.py.

Error bodies follow Entra's shape (§3.3) and texts:
https://learn.microsoft.com/entra/identity-platform/reference-error-codes
(AADSTS90002 invalid_tenant, AADSTS700016 unauthorized_client, AADSTS7000215, AADSTS7000222 and
AADSTS7000218 invalid_client, AADSTS1002012 invalid_scope, AADSTS500011
invalid_resource, AADSTS70003 unsupported_grant_type).
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.assertions import check_client_assertion
from t2t.sandbox.context import base_url_of, context_of
from t2t.sandbox.credentials import secret_digest, secret_refusal
from t2t.sandbox.device_flow import DEVICE_CODE_GRANT, redeem_device_code, redeem_refresh_token
from t2t.sandbox.entra import aad_error, application_not_found, form_of, tenant_not_found
from t2t.sandbox.model import Application, Tenant
from t2t.sandbox.msapps import resource_by_audience
from t2t.sandbox.seed import EXCHANGE_RESOURCE
from t2t.sandbox.tokens import TOKEN_LIFETIME

RESOURCES: dict[str, str] = {
    "https://outlook.office365.com": "https://outlook.office365.com",
    "https://outlook.office.com": "https://outlook.office.com",
    "00000002-0000-0ff1-ce00-000000000000": "https://outlook.office365.com",
    "https://graph.microsoft.com": "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000": "https://graph.microsoft.com",
    "https://management.azure.com": "https://management.azure.com",
    "https://vault.azure.net": "https://vault.azure.net",
}
"""Resource identifiers a scope may name → the ``aud`` of the issued token (§1.7, §4, §5)."""

_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})

CLOUD_METADATA: dict[str, dict[str, str]] = {
    "worldwide": {
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    },
    "gcc": {
        "tenant_region_scope": "NA",
        "tenant_region_sub_scope": "GCC",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    },
    "gcchigh": {
        "tenant_region_scope": "USGov",
        "tenant_region_sub_scope": "DODCON",
        "cloud_instance_name": "microsoftonline.us",
        "cloud_graph_host_name": "graph.microsoftazure.us",
        "msgraph_host": "graph.microsoft.us",
    },
    "dod": {
        "tenant_region_scope": "USGov",
        "tenant_region_sub_scope": "DOD",
        "cloud_instance_name": "microsoftonline.us",
        "cloud_graph_host_name": "graph.microsoftazure.us",
        "msgraph_host": "dod-graph.microsoft.us",
    },
}
"""The cloud fields of a tenant's OpenID configuration, per cloud (TenantSeed.cloud). The field
names are those of Entra's document (wire-protocols.md §3.1); the values are what public
lookups of known tenants report — a worldwide tenant ``microsoftonline.com``, GCC the same with
``tenant_region_sub_scope`` GCC, GCC High ``microsoftonline.us`` with DODCON, DoD with DOD (e.g.
the ``REFERENCE_TENANTS`` of a public live test suite: nasa.gov GCC, gov.uiowa.edu DODCON,
armyeitaas.onmicrosoft.us DOD) — and the Graph hosts those of the Microsoft 365 endpoints pages
(GCC High ``graph.microsoft.us``, DoD ``dod-graph.microsoft.us``; "graph.microsoftazure.us" is
in both pages' list). Microsoft publishes no table of these values (README, open questions)."""


def _resolve(request: Request) -> tuple[Tenant | None, str]:
    segment = request.path_params["tenant"]
    ctx = context_of(request)
    return ctx.store.state.resolve_tenant(segment), segment


async def openid_configuration(request: Request) -> Response:
    """OIDC metadata; MSAL needs ``authorization_endpoint`` and ``token_endpoint`` (§3.1)."""
    tenant, segment = _resolve(request)
    ctx = context_of(request)
    ctx.stats.record("identity", tenant=tenant.name if tenant else None)
    if tenant is None:
        return tenant_not_found(segment)
    base = base_url_of(request)
    tid = tenant.tenant_id
    doc: dict[str, Any] = {
        "token_endpoint": f"{base}/{tid}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/{tid}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tid}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "cloud_instance_name",
            "cloud_instance_host_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "preferred_username",
            "name",
            "tid",
            "ver",
            "at_hash",
            "c_hash",
            "email",
        ],
        "kerberos_endpoint": f"{base}/{tid}/kerberos",
        **CLOUD_METADATA[tenant.cloud],
        "rbac_url": "https://pas.windows.net",
    }
    return JSONResponse(doc)


async def keys(request: Request) -> Response:
    """The token signing keys (the ``jwks_uri`` of the metadata)."""
    tenant, segment = _resolve(request)
    ctx = context_of(request)
    ctx.stats.record("identity", tenant=tenant.name if tenant else None)
    if tenant is None:
        return tenant_not_found(segment)
    return JSONResponse(ctx.signer.jwks())


def _client_credentials(form: dict[str, str], request: Request) -> tuple[str, str | None]:
    """client_secret_post or client_secret_basic (RFC 6749 §2.3.1)."""
    client_id = form.get("client_id", "")
    secret = form.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            raw = base64.b64decode(auth[6:]).decode()
            basic_id, _, basic_secret = raw.partition(":")
            client_id = client_id or urllib.parse.unquote_plus(basic_id)
            secret = secret or urllib.parse.unquote_plus(basic_secret)
        except ValueError:
            pass
    return client_id, secret


def _resource_of(scope: str) -> tuple[str | None, str | None]:
    """(resource, problem): client credentials need exactly one ``<resource>/.default``."""
    scopes = [s for s in scope.split() if s not in _RESERVED_SCOPES]
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return None, "scope"
    return scopes[0][: -len("/.default")].rstrip("/"), None


def registration_of(tenants: list[Tenant], app_id: str) -> tuple[Tenant, Application] | None:
    """The app registration (in its home tenant) behind a client id, wherever it lives."""
    for t in tenants:
        app = t.application(app_id) if app_id else None
        if app is not None:
            return t, app
    return None


def _secret_refusal(
    seeded: str | None, app: Application, secret: str, now: dt.datetime
) -> tuple[int, str] | None:
    """None for the state directory's secret of a seeded client (old: always usable) or a
    live ``addPassword`` secret past its propagation delay; else (AADSTS code, text), by the
    rules the move service shares (credentials.py)."""
    if seeded is not None and hmac.compare_digest(secret.encode(), seeded.encode()):
        return None
    return secret_refusal(app, secret_digest(secret), now)


async def token(request: Request) -> Response:
    """Client-credentials grant with a client secret or a certificate assertion (§3.2, §3.3).

    The client must have a service principal in the requested tenant: its own tenant, or,
    for a multi-tenant app (``AzureADMultipleOrgs``), any tenant that consented to it.
    Otherwise AADSTS700016, whose text names consent (reference-error-codes). The token's
    ``roles`` are the app role assignments of that service principal on the resource, in
    that tenant, so a service principal without assignments gets a token with no roles.
    """
    tenant, segment = _resolve(request)
    ctx = context_of(request)
    ctx.stats.record("identity", tenant=tenant.name if tenant else None)
    if tenant is None:
        return tenant_not_found(segment)
    form = await form_of(request)
    grant = form.get("grant_type", "")
    if grant == DEVICE_CODE_GRANT:
        return redeem_device_code(ctx, tenant, form, request)
    if grant == "refresh_token":
        return redeem_refresh_token(ctx, tenant, form, request)
    if grant != "client_credentials":
        return aad_error(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant}'.",
        )
    client_id, secret = _client_credentials(form, request)
    state = ctx.store.state
    found = registration_of(state.tenants, client_id)
    sp = tenant.service_principal(client_id) if client_id else None
    if (
        found is None
        or sp is None
        or (found[0] is not tenant and found[1].sign_in_audience == "AzureADMyOrg")
    ):
        return application_not_found(client_id, tenant.display_name)
    app = found[1]
    if "client_assertion" in form:
        refused = check_client_assertion(
            form,
            app,
            token_endpoint=f"{base_url_of(request)}{request.url.path}",
            tenant=tenant,
            now=ctx.clock.now(),
        )
        if refused is not None:
            return aad_error(*refused)
    elif not secret:
        return aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    elif refused_secret := _secret_refusal(
        ctx.store.secret_of(app.app_id), app, secret, ctx.clock.now()
    ):
        return aad_error(401, "invalid_client", *refused_secret)
    requested, problem = _resource_of(form.get("scope", ""))
    if problem or requested is None:
        return aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form.get('scope', '')} is not valid. Client credential "
            "flows must have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        )
    audience = RESOURCES.get(requested) or RESOURCES.get(requested.lower())
    if audience is None:
        return aad_error(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {requested} was not found in the tenant named "
            f"{tenant.display_name}. This can happen if the application has not been installed "
            "by the administrator of the tenant or consented to by any user in the tenant. You "
            "might have sent your authentication request to the wrong tenant.",
        )
    resource = resource_by_audience(audience)
    client = tenant.client(app.app_id)
    if resource is not None:
        roles = tenant.granted_roles(app.app_id, resource.app_id)
    else:
        roles = client.app_roles.get(audience, []) if client else []
    # Entra puts the service principal's directory roles (template ids) in ``wids``
    # (access-token-claims-reference); Exchange builds an app-only session's RBAC from them
    # (app-only-auth-powershell-v2.md). The sandbox adds them to Exchange tokens only.
    wids = client.directory_roles if client and audience == EXCHANGE_RESOURCE else []
    access_token = ctx.signer.issue(
        tenant_id=tenant.tenant_id,
        client_id=app.app_id,
        audience=audience,
        roles=roles,
        oid=sp.id,
        wids=wids,
    )
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": access_token,
        }
    )


routes = [
    Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
]
