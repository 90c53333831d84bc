"""Wire a spec to live clients: production hosts and the spec's credentials, or the sandbox."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from t2t.apply.origin import CloudOrigin, SandboxOrigin, cloud_origin, sandbox_origin
from t2t.cli.reach import Unreachable, check_reachable, services
from t2t.clients import (
    GLOBAL,
    AzureIdentity,
    ClientCertificate,
    ClientSecret,
    Credential,
    HostSet,
    HttpLayer,
    ProfileError,
    TenantClients,
    TenantIdentity,
    connect,
    load_profile,
    resolve_secret,
    sandbox_hosts,
)
from t2t.clients.errors import CaBundleError, ClientError
from t2t.clients.interactive import DeviceCode
from t2t.clients.token_cache import CacheSettings
from t2t.clients.trust import check_ca_bundle
from t2t.logs import register_secret
from t2t.planner.kinds import KINDS
from t2t.spec import Desired
from t2t.spec.desired import AuthRef, DesiredTenant
from t2t.state.parts import PARTS
from t2t.state.permissions import union


class SetupError(Exception):
    """Something the user must fix before t2t can talk to a tenant; the message says what."""


@dataclass
class Target:
    """Where to connect: Microsoft's cloud, or a sandbox profile."""

    hosts: HostSet
    profile: dict[str, Any] | None = None


def sandbox_reachable(profile: dict[str, Any]) -> bool:
    """A sandbox answers on its profile's address with its own CA (and no proxy: trust.py)."""
    try:
        options = sandbox_hosts(profile).trust.httpx_options()
        url = str(profile["baseUrl"]).rstrip("/") + "/_sandbox/stats"
        return httpx.get(url, timeout=2, **options).status_code == 200
    except (httpx.HTTPError, OSError, KeyError, ValueError):
        return False


def cloud_target(ca_bundle: Path | None = None) -> Target:
    """Microsoft's cloud; with `--ca-bundle`, that bundle's CAs trusted beside the public roots
    (trust.py), checked before anything connects."""
    if ca_bundle is None:
        return Target(hosts=GLOBAL)
    try:
        return Target(hosts=replace(GLOBAL, ca_bundle=check_ca_bundle(ca_bundle)))
    except CaBundleError as exc:
        raise SetupError(str(exc)) from None


def made_against(sandbox: Path | None) -> CloudOrigin | SandboxOrigin:
    """Where a command given this `--sandbox` reads and writes, as a saved plan records it
    and apply compares it (t2t/apply/origin.py): the sandbox's state folder, or the cloud
    `cloud_target` connects to — known before anything connects."""
    return cloud_origin(GLOBAL) if sandbox is None else sandbox_origin(sandbox)


def sandbox_target(profile_dir: Path) -> Target:
    try:
        profile = load_profile(profile_dir / "profile.json")
        return Target(hosts=sandbox_hosts(profile), profile=profile)
    except ProfileError as exc:
        raise SetupError(str(exc)) from exc


def _sandbox_identity(profile: dict[str, Any], tenant: DesiredTenant, role: str) -> TenantIdentity:
    """The spec's clientId when the sandbox knows that client (e.g. its read-only one),
    otherwise the tenant's admin app; secrets come from the sandbox's profile."""
    for entry in profile.get("tenants", []):
        if str(entry.get("tenantId", "")).lower() == tenant.tenant_id:
            app = entry.get("adminApp") or {}
            wanted = (tenant.auth.client_id or "").lower()
            for client in entry.get("clients") or []:
                if str(client.get("clientId", "")).lower() == wanted:
                    app = client
            secret = str(app.get("clientSecret", ""))
            register_secret(secret)
            return TenantIdentity(tenant.tenant_id, str(app.get("clientId")), ClientSecret(secret))
    known = ", ".join(f"{t.get('name')} {t.get('tenantId')}" for t in profile.get("tenants", []))
    raise SetupError(
        f"the spec's {role} tenant {tenant.tenant_id} is not in the sandbox (it has: {known}); "
        "use the sandbox's tenant ids in the spec, or seed the sandbox with yours"
    )


def delegated_graph_scopes() -> tuple[str, ...]:
    """What a person's Graph sign-in asks for: the Graph permissions of the permission manifest
    (every read, t2t/state/parts.py, and every write, t2t/planner/kinds.py) as the delegated
    permissions of the same names — one consent serves plan and apply, and the token never
    exceeds what the signed-in administrator may do (Learn, permissions-consent-overview)."""
    perms = union(*(p.read_needs for p in PARTS), *(k.permissions for k in KINDS))
    return tuple(sorted({p.name for p in perms if p.service == "graph" and p.kind == "app-role"}))


def cache_settings(hosts: HostSet, environ: Mapping[str, str] = os.environ) -> CacheSettings:
    """Where and how a person's sign-in is kept (t2t/clients/token_cache.py), from the
    environment: T2T_TOKEN_CACHE_KEY seals it with a passphrase, T2T_TOKEN_CACHE=plaintext
    accepts a 0600 file, otherwise the OS keyring. One file per cloud (or sandbox), under
    $XDG_CACHE_HOME/t2t (default ~/.cache/t2t)."""
    home = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(home) / "t2t" / f"token-cache-{hosts.name}.bin"
    key = environ.get("T2T_TOKEN_CACHE_KEY", "")
    mode = environ.get("T2T_TOKEN_CACHE", "keyring") or "keyring"
    if key:
        register_secret(key)
        return CacheSettings(path, "passphrase", key)
    if mode == "plaintext":
        return CacheSettings(path.with_suffix(".json"), "plaintext")
    if mode != "keyring":
        raise SetupError(
            f"T2T_TOKEN_CACHE={mode}: give keyring (the default) or plaintext, or set "
            "T2T_TOKEN_CACHE_KEY to seal the cache with a passphrase"
        )
    return CacheSettings(path, "keyring")


def _notify(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _device_code(hosts: HostSet, tenant: DesiredTenant, role: str) -> TenantIdentity:
    credential = DeviceCode(
        graph_scopes=delegated_graph_scopes(),
        cache=cache_settings(hosts),
        notify=_notify,
        label=f"{role} tenant {tenant.tenant_id}",
    )
    return TenantIdentity(tenant.tenant_id, None, credential)


def _credential(auth: AuthRef, role: str) -> Credential:
    if auth.azure_identity is not None:
        return AzureIdentity(auth.azure_identity)
    try:
        if auth.secret is not None:
            secret = resolve_secret(auth.secret.scheme, auth.secret.value)
            register_secret(secret)
            return ClientSecret(secret)
        if auth.certificate is not None:
            pem = resolve_secret(auth.certificate.scheme, auth.certificate.value)
            register_secret(pem)
            return ClientCertificate(pem)
    except ValueError as exc:
        raise SetupError(f"{role}.auth: {exc}") from exc
    raise SetupError(f"{role}.auth: give a secret, a certificate, azureIdentity or interactive")


def _identity(target: Target, tenant: DesiredTenant, role: str) -> TenantIdentity:
    if tenant.auth.interactive == "device-code":  # the sandbox emulates the device flow too
        return _device_code(target.hosts, tenant, role)
    if target.profile is not None:
        return _sandbox_identity(target.profile, tenant, role)
    if not tenant.auth.client_id and tenant.auth.azure_identity is None:
        raise SetupError(f"{role}.auth.clientId is required to reach the {role} tenant")
    return TenantIdentity(tenant.tenant_id, tenant.auth.client_id, _credential(tenant.auth, role))


@dataclass
class Session:
    http: HttpLayer
    hosts: HostSet
    source: TenantClients
    target: TenantClients


async def _sign_in_people(session: Session, identities: tuple[TenantIdentity, ...]) -> None:
    """A person's sign-in happens before anything is read, one tenant and service after the
    other, so that the prompts do not interleave and a declined or expired code is one line
    (SetupError) rather than every read failing."""
    for clients, identity in zip((session.source, session.target), identities, strict=True):
        if not isinstance(identity.credential, DeviceCode):
            continue
        try:
            await clients.tokens.token(session.hosts.exchange_resource)
            await clients.tokens.token(session.hosts.graph_resource)
        except ClientError as exc:
            raise SetupError(str(exc)) from None


@asynccontextmanager
async def open_session(desired: Desired, target: Target | None = None) -> AsyncIterator[Session]:
    """Clients for both tenants of the spec, closed on exit; SetupError first, in one line,
    when a service host cannot be reached at all (reach.py)."""
    target = target or Target(hosts=GLOBAL)
    source_id = _identity(target, desired.source, "source")
    target_id = _identity(target, desired.target, "target")
    needed = services(
        target.hosts,
        desired.source.tenant_id,
        desired.target.tenant_id,
        azure=desired.relationship.credential == "keyVaultCertificate",
    )
    try:
        await check_reachable(needed, target.hosts)
    except Unreachable as exc:
        raise SetupError(str(exc)) from None
    async with HttpLayer(trust=target.hosts.trust) as http:
        session = Session(
            http=http,
            hosts=target.hosts,
            source=connect(http, target.hosts, source_id),
            target=connect(http, target.hosts, target_id),
        )
        try:
            await _sign_in_people(session, (source_id, target_id))
            yield session
        finally:
            session.source.close()
            session.target.close()
