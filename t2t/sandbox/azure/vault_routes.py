"""The Key Vault data plane of every vault, served at ``/keyvault/{vault-name}/...``.

A vault's real address is ``https://{name}.vault.azure.net/``; the sandbox serves it under a path
prefix of its own host (profile.json ``endpoints.keyVault``), and azure-keyvault-certificates
4.12.0 accepts such a ``vault_url`` (requests go to ``{vault_url}/certificates/…``). Every id in
the answers is Microsoft's (``https://{name}.vault.azure.net/certificates/{name}/{version}``).

Authentication is Key Vault's challenge (wire-protocols.md §5; "Azure Key Vault REST API Error
Codes", https://learn.microsoft.com/azure/key-vault/general/rest-error-codes): a request
without a bearer token gets 401 with ``WWW-Authenticate: Bearer authorization="{login}/{vault
tenant}", resource="https://vault.azure.net"`` (login = this sandbox, so clients must pass
``verify_challenge_resource=False``) and ``AKV10000: Request is missing a Bearer or PoP token.``;
a token for another audience or tenant gets 401 AKV10022 / AKV10032. Authorization is the
vault's (authorization.py).

Operations: certificates create (202, pending until ``CERTIFICATE_SECONDS`` of sandbox time have
passed, then completed), import (200: a new version from a PKCS#12 or PEM upload with its own
validity, certificate_import.py), get latest / a version, list, versions, policy, pending operation,
update (enable/disable, tags); the secret behind a certificate (``GET /secrets/{name}[/{v}]``,
403 SecretDisabled for a disabled version — "Operation get is not allowed on a disabled secret."
as Key Vault answers, e.g. Azure/azure-sdk-for-js #24756). Any api-version is accepted.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.azure import certificate_import as imports
from t2t.sandbox.azure import certificates as certs
from t2t.sandbox.azure.authorization import data_plane_refusal
from t2t.sandbox.azure.caller import VAULT_AUDIENCES, Caller, bearer
from t2t.sandbox.azure.errors import AzureError
from t2t.sandbox.azure.model import Certificate, CertificateVersion, Vault
from t2t.sandbox.context import SandboxContext, base_url_of, context_of
from t2t.sandbox.model import Tenant
from t2t.sandbox.stats import Kind
from t2t.sandbox.tokens import TokenError

CERTIFICATE_SECONDS = 3.0
"""Sandbox seconds a self-signed certificate's creation stays inProgress."""

VAULT_RESOURCE = "https://vault.azure.net"
_OBJECT_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")


def find_vault(ctx: SandboxContext, name: str) -> tuple[Tenant, Vault] | None:
    """The vault the name addresses, once its DNS name is registered."""
    now = ctx.clock.now()
    for t in ctx.store.state.tenants:
        v = t.azure.vault(name)
        if v is not None and v.provisioning_state(now) == "Succeeded":
            return t, v
    return None


@dataclass
class VaultCall:
    ctx: SandboxContext
    tenant: Tenant
    vault: Vault
    caller: Caller
    api_version: str
    body: Any

    @property
    def now(self) -> dt.datetime:
        return self.ctx.clock.now()

    def authorize(self, kind: str, permission: str, name: str | None = None) -> None:
        refused = data_plane_refusal(
            self.tenant.azure,
            self.vault,
            oid=self.caller.oid,
            tid=self.caller.tid,
            appid=self.caller.appid,
            kind=kind,
            permission=permission,
            object_name=name,
        )
        if refused is not None:
            raise refused

    def certificate(self, name: str) -> Certificate:
        cert = self.vault.certificate(name)
        if cert is None or not cert.completed(self.now):
            raise _not_found("certificate", name)
        return cert

    def version(
        self, cert: Certificate, version: str, kind: str = "certificate"
    ) -> CertificateVersion:
        found = cert.version(version, self.now) if version else cert.latest(self.now)
        if found is None:
            raise _not_found(kind, f"{cert.name}/{version}" if version else cert.name)
        return found


def _not_found(kind: str, name: str) -> AzureError:
    """CertificateNotFound / SecretNotFound, with Key Vault's text (e.g. "A secret with
    (name/id) x was not found in this key vault…", Azure SDK issues)."""
    return AzureError(
        404,
        f"{kind.capitalize()}NotFound",
        f"A {kind} with (name/id) {name} was not found in this key vault. If you recently "
        f"deleted this {kind} you may be able to recover it using the correct recovery "
        "command. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125182",
    )


def _check_name(name: str) -> None:
    """Key Vault's 400 BadParameter for a certificate name outside `_OBJECT_NAME` (the
    object-name of https://learn.microsoft.com/azure/key-vault/about-keys-secrets-and-certificates,
    "Object identifiers")."""
    if not _OBJECT_NAME.match(name):
        raise certs.bad_parameter(f"The request URI contains an invalid name: {name}")


def _refuse_while_pending(cert: Certificate | None, name: str, now: dt.datetime) -> None:
    """Key Vault's 409 Conflict: a new version while the certificate's creation is still in
    progress."""
    pending = cert.pending() if cert else None
    if pending is not None and pending.completes_at > now:
        raise AzureError(409, "Conflict", f"There is a pending certificate operation for '{name}'.")


def _add_version(
    vault: Vault,
    cert: Certificate | None,
    name: str,
    policy: dict[str, Any],
    version: CertificateVersion,
) -> Certificate:
    """`version` as the certificate's newest, under `policy`; the certificate is made when the
    vault has none of that name. The caller holds the store's lock and saves."""
    if cert is None:
        cert = Certificate(name=name, policy=policy)
        vault.certificates.append(cert)
    else:
        cert.policy = policy
    cert.versions.append(version)
    return cert


# -- operations ------------------------------------------------------------------------------


def create_certificate(call: VaultCall, name: str) -> Response:
    _check_name(name)
    call.authorize("certificates", "create", name)
    body = call.body if isinstance(call.body, dict) else {}
    existing = call.vault.certificate(name)
    raw_policy = body.get("policy") or (existing.policy if existing else None)
    policy = certs.normalize_policy(raw_policy)
    now = call.now
    with call.ctx.store.lock:
        cert = call.vault.certificate(name)
        _refuse_while_pending(cert, name, now)
        # A whole second, rounded up: Exchange's cmdlets read the sandbox clock to the second
        # (exchange/service.py), so a version Key Vault already shows must exist for them too
        # (as an imported one's does: certificate_import.py).
        ready = now + dt.timedelta(seconds=CERTIFICATE_SECONDS)
        if ready.microsecond:
            ready = ready.replace(microsecond=0) + dt.timedelta(seconds=1)
        version = certs.new_version(policy, now, ready)
        attributes = body.get("attributes") or {}
        if attributes.get("enabled") is False:
            version.enabled = False
        version.tags = {str(k): str(v) for k, v in (body.get("tags") or {}).items()}
        cert = _add_version(call.vault, cert, name, policy, version)
        call.ctx.store.save()
    location = (
        f"{certs.object_id(call.vault, 'certificates', name)}/pending?api-version="
        f"{call.api_version}&request_id={version.request_id}"
    )
    return JSONResponse(
        certs.operation_json(call.vault, cert, version, now),
        status_code=202,
        headers={"Location": location, "Retry-After": str(int(CERTIFICATE_SECONDS))},
    )


def import_certificate(call: VaultCall, name: str) -> Response:
    """200 with the new version's bundle (certificate_import.py says what is read and refused);
    the version is the certificate's current one at once."""
    _check_name(name)
    call.authorize("certificates", "import", name)
    body = call.body if isinstance(call.body, dict) else {}
    now = call.now
    kind = imports.content_type(body.get("policy"))
    upload = imports.read_upload(body, kind, now)
    with call.ctx.store.lock:
        cert = call.vault.certificate(name)
        _refuse_while_pending(cert, name, now)
        policy = imports.import_policy(body.get("policy"), cert, upload, kind)
        version = imports.imported_version(upload, body, now)
        cert = _add_version(call.vault, cert, name, policy, version)
        call.ctx.store.save()
    return JSONResponse(certs.certificate_json(call.vault, cert, version, now))


def get_pending(call: VaultCall, name: str) -> Response:
    call.authorize("certificates", "get", name)
    cert = call.vault.certificate(name)
    op = cert.pending() if cert else None
    if cert is None or op is None:
        raise AzureError(
            404, "PendingCertificateNotFound", f"Pending certificate not found: {name}"
        )
    return JSONResponse(certs.operation_json(call.vault, cert, op, call.now))


def get_certificate(call: VaultCall, name: str, version: str) -> Response:
    call.authorize("certificates", "get", name)
    cert = call.certificate(name)
    v = call.version(cert, version)
    return JSONResponse(certs.certificate_json(call.vault, cert, v, call.now))


def get_policy(call: VaultCall, name: str) -> Response:
    call.authorize("certificates", "get", name)
    return JSONResponse(certs.policy_json(call.vault, call.certificate(name)))


def list_versions(call: VaultCall, name: str) -> Response:
    call.authorize("certificates", "list", name)
    cert = call.certificate(name)
    items = [
        certs.certificate_item(call.vault, cert, v, versioned=True)
        for v in cert.completed(call.now)
    ]
    return JSONResponse({"value": items, "nextLink": None})


def list_certificates(call: VaultCall) -> Response:
    call.authorize("certificates", "list")
    items = []
    for cert in call.vault.certificates:
        latest = cert.latest(call.now)
        if latest is not None:
            items.append(certs.certificate_item(call.vault, cert, latest, versioned=False))
    return JSONResponse({"value": items, "nextLink": None})


def update_certificate(call: VaultCall, name: str, version: str) -> Response:
    call.authorize("certificates", "update", name)
    body = call.body if isinstance(call.body, dict) else {}
    with call.ctx.store.lock:
        cert = call.certificate(name)
        v = call.version(cert, version)
        attributes = body.get("attributes") or {}
        if isinstance(attributes.get("enabled"), bool):
            v.enabled = attributes["enabled"]
        if isinstance(body.get("tags"), dict):
            v.tags = {str(k): str(val) for k, val in body["tags"].items()}
        v.updated_at = call.now
        call.ctx.store.save()
    return JSONResponse(certs.certificate_json(call.vault, cert, v, call.now))


def get_secret(call: VaultCall, name: str, version: str) -> Response:
    call.authorize("secrets", "get", name)
    cert = call.vault.certificate(name)
    if cert is None or not cert.completed(call.now):
        raise _not_found("secret", name)
    v = call.version(cert, version, "secret")
    if not v.enabled:
        raise AzureError(
            403,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            inner="SecretDisabled",
        )
    return JSONResponse(certs.secret_json(call.vault, cert, v))


def _route(call: VaultCall, method: str, parts: list[str]) -> tuple[Callable[[], Response], str]:
    """(the operation to run, its template for the stats)."""
    version = parts[2] if len(parts) == 3 else ""
    match (method, parts):
        case ("GET", ["certificates"]):
            return lambda: list_certificates(call), "GET /certificates"
        case ("POST", ["certificates", name, "create"]):
            return lambda: create_certificate(call, name), "POST /certificates/{name}/create"
        case ("POST", ["certificates", name, "import"]):
            return lambda: import_certificate(call, name), "POST /certificates/{name}/import"
        case ("GET", ["certificates", name, "pending"]):
            return lambda: get_pending(call, name), "GET /certificates/{name}/pending"
        case ("GET", ["certificates", name, "versions"]):
            return lambda: list_versions(call, name), "GET /certificates/{name}/versions"
        case ("GET", ["certificates", name, "policy"]):
            return lambda: get_policy(call, name), "GET /certificates/{name}/policy"
        case ("GET", ["certificates", name] | ["certificates", name, _]):
            return (
                lambda: get_certificate(call, name, version),
                "GET /certificates/{name}/{version}",
            )
        case ("PATCH", ["certificates", name] | ["certificates", name, _]):
            return (
                lambda: update_certificate(call, name, version),
                "PATCH /certificates/{name}/{version}",
            )
        case ("GET", ["secrets", name] | ["secrets", name, _]):
            return lambda: get_secret(call, name, version), "GET /secrets/{name}/{version}"

    def unknown() -> Response:
        raise AzureError(
            400,
            "BadParameter",
            f"The t2t sandbox's Key Vault does not emulate {method} /{'/'.join(parts)}.",
        )

    return unknown, f"{method} (not emulated)"


# -- authentication --------------------------------------------------------------------------


def _unauthorized(request: Request, vault: Vault, message: str) -> AzureError:
    challenge = (
        f'Bearer authorization="{base_url_of(request)}/{vault.tenant_id}", '
        f'resource="{VAULT_RESOURCE}"'
    )
    return AzureError(401, "Unauthorized", message, headers={"WWW-Authenticate": challenge})


def _caller(request: Request, ctx: SandboxContext, vault: Vault) -> Caller:
    token = bearer(request)
    if token is None:
        raise _unauthorized(request, vault, "AKV10000: Request is missing a Bearer or PoP token.")
    try:
        claims = ctx.signer.verify(token)
    except TokenError as exc:
        raise _unauthorized(request, vault, "AKV10046: Invalid token.") from exc
    if claims.aud not in VAULT_AUDIENCES:
        raise _unauthorized(
            request,
            vault,
            f"AKV10022: Invalid audience. Expected {VAULT_RESOURCE}, found: {claims.aud}.",
        )
    if claims.tid.lower() != vault.tenant_id:
        raise _unauthorized(
            request,
            vault,
            f"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{vault.tenant_id}/"
            f", found https://sts.windows.net/{claims.tid}/.",
        )
    return Caller(claims)


async def serve(request: Request) -> Response:
    ctx = context_of(request)
    name = request.path_params["vault"]
    rest = str(request.path_params.get("rest", ""))
    method = request.method.upper()
    kind: Kind = "read" if method == "GET" else "write"
    found = find_vault(ctx, name)
    if found is None:
        ctx.stats.record("keyvault", method=method)
        return AzureError(
            404,
            "VaultNotFound",
            f"No vault '{name}' (Microsoft's DNS would not resolve {name}.vault.azure.net).",
        ).response()
    tenant, vault = found
    parts = rest.split("/") if rest else []
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    try:
        caller = _caller(request, ctx, vault)
    except AzureError as exc:
        ctx.stats.record("keyvault", tenant=tenant.name, method=method)
        return exc.response()
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        ctx.stats.record("keyvault", tenant=tenant.name, method=method)
        return certs.bad_parameter("The request body is not valid JSON.").response()
    call = VaultCall(ctx, tenant, vault, caller, request.query_params.get("api-version", ""), body)
    run, operation = _route(call, method, parts)
    ctx.stats.record("keyvault", tenant=tenant.name, kind=kind, method=method, operation=operation)
    try:
        return run()
    except AzureError as exc:
        return exc.response()


_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]

routes = [
    Route("/keyvault/{vault}", serve, methods=_METHODS),
    Route("/keyvault/{vault}/{rest:path}", serve, methods=_METHODS),
]
