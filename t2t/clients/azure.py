"""t2t's Azure clients in the target tenant (keyVaultCertificate mode): Azure Resource Manager's
Key Vault provider and the Key Vault data plane, through azure-identity, azure-mgmt-keyvault and
azure-keyvault-certificates only — t2t writes no ARM or Key Vault request by hand.

The credential is azure-identity's, built from t2t's own identity in the target (client
secret, certificate, or the azure-identity chain), with the host set's authority and instance
discovery (wire-protocols.md §3.5). Every client — the credential included — gets its own
azure-core transport over t2t's trusted requests session (trust.py): TLS is always verified, the
sandbox's CA alone in the sandbox, never a CA the environment names. azure-core's own retries
are off: like every other t2t request, a throttled or unavailable answer is retried until the
action's deadline, or outside one for `deadline.DEFAULT_REQUEST_SECONDS` (deadline.py). Errors
leave as t2t's client errors (errors.py), never as azure-core's.

The Key Vault clients connect where `HostSet.vault_endpoint` says (the vault URI itself in
Microsoft's cloud) and check the 401 challenge's resource against the vault's host, except in
the sandbox, whose vaults are served at 127.0.0.1 (wire-protocols.md §5).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from t2t.clients import deadline
from t2t.clients.auth import TRANSIENT_STATUSES, ClientCertificate, ClientSecret, token_claims
from t2t.clients.errors import (
    AuthError,
    AzureError,
    AzureNotFound,
    ClientError,
    PermissionDenied,
    TransportError,
    WriteForbidden,
)
from t2t.clients.hosts import HostSet

if TYPE_CHECKING:
    from t2t.clients.connect import TenantIdentity

log = structlog.get_logger("t2t.azure")

T = TypeVar("T")

#: Answers worth asking again (as t2t/clients/http.py retries them): throttled, unavailable.
RETRY_STATUSES = frozenset({429, 503, 504})
_AADSTS = re.compile(r"AADSTS(\d+)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _error_body(response: Any) -> tuple[str, str]:
    """ARM's and Key Vault's error body, `{"error": {"code", "message"}}`, or ("", "")."""
    try:
        body = response.json()
    except Exception:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def _service_error(exc: Any, what: str) -> ClientError:
    """An azure-core HttpResponseError as t2t's error: 401/403 PermissionDenied, 404
    AzureNotFound, anything else AzureError — each keeping the service's code and message."""
    response = getattr(exc, "response", None)
    status = int(getattr(exc, "status_code", None) or getattr(response, "status_code", 0) or 0)
    code, message = _error_body(response) if response is not None else ("", "")
    code = code or str(getattr(exc, "reason", "") or "")
    message = message or _first_line(exc)
    request_id = None
    if response is not None:
        headers = getattr(response, "headers", {}) or {}
        request_id = headers.get("x-ms-request-id")
    text = f"{what}: {message}"
    if status in (401, 403):
        return PermissionDenied(status, code, text, request_id=request_id)
    if status == 404:
        return AzureNotFound(status, code, text, request_id=request_id)
    return AzureError(status, code, text, request_id=request_id)


def as_client_error(exc: BaseException, what: str) -> BaseException:
    """Any failure of an Azure SDK call as t2t's own error (returned, for the caller to raise).
    A ClientError (a refused TLS certificate, a refused token) and DeadlineReached are kept."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        IncompleteReadError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, ClientError):
        return exc
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "response", None) is None:
        return AuthError(f"{what}: {_first_line(exc)}")  # the credential, before any request
    if isinstance(exc, IncompleteReadError):  # the answer broke off: it was lost
        return TransportError(f"{what}: {_first_line(exc)}")
    if isinstance(exc, HttpResponseError):
        return _service_error(exc, what)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TransportError(f"{what}: {_first_line(exc)}")
    if isinstance(exc, ValueError):  # the SDK refusing locally (a challenge for another host)
        return ClientError(f"{what}: {_first_line(exc)}")
    return exc


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, TransportError):
        return True
    if isinstance(exc, AuthError):
        return exc.transient
    return isinstance(exc, AzureError) and exc.status in RETRY_STATUSES


class _MappedCredential:
    """azure-identity's credential, its refusals raised as t2t's AuthError (Entra's AADSTS
    codes kept; throttled or unavailable marked transient) so that they leave an SDK call as
    they leave every other t2t client."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self._inner = inner
        self._tenant = tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._mapped(lambda: self._inner.get_token(*scopes, **kwargs))

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return self._mapped(lambda: self._inner.get_token_info(*scopes, options=options))

    def _mapped(self, ask: Callable[[], Any]) -> Any:
        """The inner credential's answer, or its refusal as t2t's AuthError."""
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return ask()
        except ClientAuthenticationError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            raise AuthError(
                f"tenant {self._tenant}: {_first_line(exc)}",
                codes=tuple(int(c) for c in _AADSTS.findall(str(exc))),
                transient=status in TRANSIENT_STATUSES,
            ) from exc

    def close(self) -> None:
        self._inner.close()


def identity_credential(identity: TenantIdentity, hosts: HostSet) -> Any:
    """azure-identity's credential for t2t's own identity: ClientSecretCredential or
    CertificateCredential against the host set's authority, or the azure-identity chain. The
    secret goes to azure-identity only; nothing here logs it."""
    from azure.identity import CertificateCredential, ClientSecretCredential

    from t2t.clients.auth import AzureIdentity, azure_identity_credential

    common: dict[str, Any] = {
        "authority": hosts.login,
        "disable_instance_discovery": not hosts.instance_discovery,
        "transport": hosts.trust.azure_transport(),
    }
    credential = identity.credential
    if isinstance(credential, AzureIdentity):
        inner = azure_identity_credential(
            identity.tenant_id, identity.client_id, credential.mode, hosts
        )
    elif identity.client_id is None:
        raise AuthError("a client id is required for a secret or certificate")
    elif isinstance(credential, ClientSecret):
        inner = ClientSecretCredential(
            identity.tenant_id, identity.client_id, credential.value, **common
        )
    elif isinstance(credential, ClientCertificate):
        inner = CertificateCredential(
            identity.tenant_id,
            identity.client_id,
            certificate_data=credential.pem.encode("utf-8"),
            **common,
        )
    else:  # pragma: no cover - Credential is a closed union
        raise AuthError(f"unsupported credential {type(credential).__name__}")
    return _MappedCredential(inner, identity.tenant_id)


def _read_only_transport(hosts: HostSet) -> Any:
    """A transport that sends GET only: the probes' guarantee that they write nothing."""
    from azure.core.pipeline.transport import RequestsTransport

    class ReadOnlyTransport(RequestsTransport):  # type: ignore[misc]
        def send(self, request: Any, **kwargs: Any) -> Any:
            if request.method.upper() != "GET":
                raise WriteForbidden(f"{request.method} {request.url}: probes only read")
            return super().send(request, **kwargs)

    return ReadOnlyTransport(session=hosts.trust.requests_session(), session_owner=True)


class AzureClients:
    """t2t's Azure clients in one tenant, built on first use and closed together.

    `read` and `write` run one SDK call in a worker thread (the SDKs are synchronous; t2t's
    transport is requests) and turn its failure into t2t's errors; `read` asks again after a
    transient one. `reader()` gives the probes the same clients over a GET-only transport.
    """

    def __init__(
        self,
        identity: TenantIdentity,
        hosts: HostSet,
        *,
        backoff_base: float = 1.0,
        budget_seconds: float = deadline.DEFAULT_REQUEST_SECONDS,
        read_only: bool = False,
    ) -> None:
        self.identity = identity
        self.hosts = hosts
        self.tenant_id = identity.tenant_id
        self._backoff = backoff_base
        self._budget = budget_seconds
        self._read_only = read_only
        self._credential: Any = None
        self._vaults: dict[str, Any] = {}
        self._resources: dict[str, Any] = {}
        self._certificates: dict[str, Any] = {}
        self._readers: list[AzureClients] = []

    def reader(self) -> AzureClients:
        """The same identity's clients, sending GET only (closed with these; one per
        identity, built once: every re-read of an apply shares it)."""
        if self._read_only:
            return self
        if self._readers:
            return self._readers[0]
        reader = AzureClients(
            self.identity,
            self.hosts,
            backoff_base=self._backoff,
            budget_seconds=self._budget,
            read_only=True,
        )
        reader._credential = self.credential()
        self._readers.append(reader)
        return reader

    def credential(self) -> Any:
        if self._credential is None:
            self._credential = identity_credential(self.identity, self.hosts)
        return self._credential

    def _transport(self) -> Any:
        if self._read_only:
            return _read_only_transport(self.hosts)
        return self.hosts.trust.azure_transport()

    def vaults(self, subscription_id: str) -> Any:
        """azure-mgmt-keyvault's client for one subscription, at the host set's ARM."""
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return self._arm_client(self._vaults, KeyVaultManagementClient, subscription_id)

    def resources(self, subscription_id: str) -> Any:
        """azure-mgmt-resource's client for one subscription (its resource groups), at the host
        set's ARM: azure-mgmt-keyvault has no resource-group operation."""
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._arm_client(self._resources, ResourceManagementClient, subscription_id)

    def _arm_client(
        self, built: dict[str, Any], client_class: Callable[..., Any], subscription_id: str
    ) -> Any:
        """An azure-mgmt client for one subscription at the host set's ARM (its token for the
        ARM resource, t2t's transport, azure-core's retries off), built on first use."""
        if subscription_id not in built:
            built[subscription_id] = client_class(
                self.credential(),
                subscription_id,
                base_url=self.hosts.arm,
                credential_scopes=[f"{self.hosts.arm_resource}/.default"],
                transport=self._transport(),
                retry_total=0,
            )
        return built[subscription_id]

    async def own_object_id(self) -> str:
        """The object id of t2t's own service principal in this tenant: the `oid` claim of
        its ARM token ("the object ID of the principal", Microsoft identity platform access
        token claims reference) — what a vault access policy names it by."""
        scope = f"{self.hosts.arm_resource}/.default"
        token = await self.read(
            "a token for Azure Resource Manager", lambda: self.credential().get_token(scope)
        )
        oid = str(token_claims(token.token).get("oid") or "")
        if not oid:
            raise AuthError(f"tenant {self.tenant_id}: the ARM token names no object id (oid)")
        return oid.lower()

    def certificates(self, vault_uri: str) -> Any:
        """azure-keyvault-certificates' client for the vault ARM names by `vaultUri`."""
        endpoint = self.hosts.vault_endpoint(vault_uri)
        if endpoint not in self._certificates:
            from azure.keyvault.certificates import CertificateClient

            self._certificates[endpoint] = CertificateClient(
                endpoint,
                self.credential(),
                verify_challenge_resource=not self.hosts.is_sandbox,
                transport=self._transport(),
                retry_total=0,
            )
        return self._certificates[endpoint]

    async def _once(self, what: str, call: Callable[[], T]) -> T:
        deadline.check(what)
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:
            mapped = as_client_error(exc, what)
            if mapped is exc:
                raise
            raise mapped from exc

    async def read(self, what: str, call: Callable[[], T]) -> T:
        """One reading SDK call, asked again after a transient failure (Retry-After honoured)
        until the deadline or the budget; any other failure is raised at once."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await self._once(what, call)
            except ClientError as exc:
                if not _transient(exc):
                    raise
                delay = _retry_after(exc)
                if delay is None:
                    delay = deadline.backoff(attempt, self._backoff)
                log.info("azure.retry", what=what, problem=str(exc), delay=round(delay, 2))
                await deadline.pause(
                    delay, what=what, started=started, give_up=exc, budget=self._budget
                )
                attempt += 1

    async def write(self, what: str, call: Callable[[], T]) -> T:
        """One writing SDK call, sent once: after a failure its outcome is for a re-read to
        tell (t2t/apply's converge), never for a blind second send."""
        if self._read_only:
            raise WriteForbidden(f"{what}: probes only read")
        return await self._once(what, call)

    def close(self) -> None:
        """Close every client's transport and the credential's."""
        for reader in self._readers:
            reader._close_clients()
        self._close_clients()
        if self._credential is not None and not self._read_only:
            self._credential.close()
            self._credential = None

    def _close_clients(self) -> None:
        for client in (
            *self._vaults.values(),
            *self._resources.values(),
            *self._certificates.values(),
        ):
            client.close()
        self._vaults.clear()
        self._resources.clear()
        self._certificates.clear()


def _retry_after(exc: ClientError) -> float | None:
    if isinstance(exc, AuthError):
        return exc.retry_after
    response = getattr(exc.__cause__, "response", None)
    headers: Mapping[str, str] = getattr(response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return None
