"""App-only tokens through MSAL, one confidential client per tenant.

MSAL always gets t2t's own requests session (`http_client`), in the cloud as in the sandbox:
MSAL's default session reads REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, which override its `verify`
(wire-protocols.md §3.7), so a variable could send the client secret to an interceptor. Which
CAs that session trusts is trust.py's decision. Production keeps MSAL's instance discovery.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import msal
import requests
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from t2t.clients import deadline
from t2t.clients.errors import AuthError
from t2t.clients.hosts import HostSet

log = structlog.get_logger("t2t.auth")


class _NoTraceback(logging.Filter):
    """MSAL logs a token answer it cannot parse with its traceback before raising
    (msal/oauth2cli/oauth2.py `_obtain_token`: `logger.exception("Token response is not in
    json format: …")`) — Entra's 429 body is such an answer. t2t turns the raise into a
    transient AuthError and reports it itself, so that record is dropped: no traceback ever
    reaches the user's terminal for a fault t2t handles."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None


logging.getLogger("msal.oauth2cli.oauth2").addFilter(_NoTraceback())


class TokenSource(Protocol):
    """Anything that can produce a bearer token for a resource's `/.default` scope.

    `fresh` skips any cached token: the Exchange module retries a 401 with a new one
    (Execute-Command asks its connection context for a new auth header each try).
    """

    async def token(self, resource: str, *, fresh: bool = False) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ClientSecret:
    """A client secret; `repr` never shows it."""

    value: str

    def __repr__(self) -> str:
        return "ClientSecret(***)"


@dataclass(frozen=True)
class ClientCertificate:
    """A PEM holding the private key and the certificate registered on the app."""

    pem: str

    def __repr__(self) -> str:
        return "ClientCertificate(***)"

    def msal_credential(self) -> dict[str, str]:
        """MSAL's certificate form: private key, SHA-1 thumbprint, and the public certificate."""
        data = self.pem.encode("utf-8")
        try:
            cert = x509.load_pem_x509_certificate(data)
            serialization.load_pem_private_key(data, password=None)
        except ValueError as exc:
            raise AuthError(
                f"certificate file is not a PEM with a key and a certificate: {exc}"
            ) from exc
        der = cert.public_bytes(serialization.Encoding.DER)
        public = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        return {
            "private_key": self.pem,
            "thumbprint": hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
            "public_certificate": public,
        }


@dataclass(frozen=True)
class AzureIdentity:
    """Take the identity from azure-identity (environment, workload or managed identity)."""

    mode: str = "chain"


Credential = ClientSecret | ClientCertificate | AzureIdentity


def _claims(token: str) -> dict[str, Any]:
    """The payload of an access token t2t itself obtained, unverified."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def token_claims(token: str) -> dict[str, Any]:
    """The claims of an access token t2t itself obtained (unverified: t2t reads its own)."""
    return _claims(token)


def _string_set(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def token_roles(token: str) -> frozenset[str]:
    """The `roles` claim (application permissions).

    Only used to tell the user which permissions their identity lacks; never to decide
    anything about security.
    """
    return _string_set(_claims(token).get("roles"))


def token_scopes(token: str) -> frozenset[str]:
    """The `scp` claim: the delegated permissions of a person's token (a space-separated list,
    access-token-claims-reference); empty for an app's token. Advisory, like `token_roles`."""
    scp = _claims(token).get("scp")
    return frozenset(scp.split()) if isinstance(scp, str) else frozenset()


def token_directory_roles(token: str) -> frozenset[str]:
    """The `wids` claim: template ids of the directory roles the app's service principal holds
    (access-token-claims-reference). Exchange builds an app-only session's RBAC from it
    (office-docs-powershell, app-only-auth-powershell-v2.md). Advisory, like `token_roles`."""
    return _string_set(_claims(token).get("wids"))


#: How long one token request may take before it counts as a transient failure (MSAL's own
#: default is no limit at all).
TOKEN_TIMEOUT_SECONDS = 30.0
#: The first pause before asking again; it doubles (Microsoft Q&A 436012, the identity
#: platform's advice for its 429: 1, 2, 4, 8, 16 s).
TOKEN_BACKOFF_SECONDS = 1.0
#: OAuth's error for a server "unable to handle the request due to a temporary overloading or
#: maintenance" (RFC 6749 §4.1.2.1).
TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
#: AADSTS codes that say nothing about the credential, only that Entra cannot answer now
#: (https://learn.microsoft.com/entra/identity-platform/reference-error-codes): 90024
#: RequestBudgetExceededError ("A transient error has occurred. Try again."), 90033
#: MsodsServiceUnavailable, 90055 TenantThrottlingError ("too many incoming requests").
TRANSIENT_AADSTS = frozenset({90024, 90033, 90055})
#: How long MSAL keeps a 429 or 5xx answer without Retry-After and answers from it
#: (msal/throttled_http_client.py RetryAfterParser's default).
MSAL_HOLD_SECONDS = 5.0
#: Asking again a little after a hold ends, so that MSAL's cache has let it go.
HOLD_MARGIN_SECONDS = 0.2
#: HTTP statuses of a token answer that refuse nothing: throttled, or Entra unavailable
#: ("If AAD is having problems it may respond with an HTTP 5xx", MSAL.NET wiki
#: Client-Throttling; Learn, MSAL.NET "client-and-server-throttling": 429 + Retry-After).
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class _LastAnswer:
    """The identity platform's last answer on one requests session (a response hook): its
    status and `Retry-After`, which MSAL drops when it turns an answer into an error."""

    status: int = 0
    retry_after: float | None = None

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.status = response.status_code
        try:
            self.retry_after = float(response.headers.get("Retry-After", ""))
        except ValueError:
            self.retry_after = None

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT_STATUSES

    def wait(self) -> float | None:
        """How long to wait after a throttled or unavailable last answer: its Retry-After, or
        MSAL's own hold without one — MSAL answers from its cache until then anyway."""
        if not self.transient:
            return None
        held = MSAL_HOLD_SECONDS if self.retry_after is None else self.retry_after
        return held + HOLD_MARGIN_SECONDS


async def retrying(acquire: Callable[[], Awaitable[str]], *, what: str) -> str:
    """A token, asking again after a transient AuthError (throttled, unavailable, unreachable,
    timed out) like any other transient fault: until the action's deadline, or outside one
    for `deadline.DEFAULT_REQUEST_SECONDS`; any other refusal is raised at once.

    `Retry-After` is honoured by MSAL itself: its ThrottledHttpClient keeps a 429 or 5xx answer
    for the header's seconds (5 without one) and answers every request from it until then
    (msal/throttled_http_client.py RetryAfterParser), so no token request leaves early while
    t2t backs off; azure-identity's pipeline retries with Retry-After before raising
    (azure-core RetryPolicy)."""
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return await acquire()
        except AuthError as exc:
            if not exc.transient:
                raise
            delay = exc.retry_after
            if delay is None:
                delay = deadline.backoff(attempt, TOKEN_BACKOFF_SECONDS)
            log.info("auth.retry", what=what, problem=str(exc), delay=round(delay, 2))
            await deadline.pause(delay, what=what, started=started, give_up=exc)
            attempt += 1


async def blocking_token(source: _BlockingSource, resource: str, *, fresh: bool = False) -> str:
    """`TokenSource.token` of a source whose library is synchronous (msal, azure-identity): one
    acquisition at a time per source (the cache is shared), off the event loop, retried as
    `retrying` says."""
    async with source._lock:
        return await retrying(
            lambda: asyncio.to_thread(source._acquire, resource, fresh),
            what=f"token for {resource} in tenant {source._tenant}",
        )


class _BlockingSource(Protocol):
    _lock: asyncio.Lock
    _tenant: str

    def _acquire(self, resource: str, fresh: bool) -> str: ...


class MsalTokenSource:
    """Client-credentials tokens for one app in one tenant, cached by MSAL."""

    def __init__(
        self,
        tenant: str,
        client_id: str,
        credential: Credential,
        hosts: HostSet,
        *,
        timeout_seconds: float = TOKEN_TIMEOUT_SECONDS,
    ) -> None:
        self._tenant = tenant
        self._client_id = client_id
        self._credential = credential
        self._hosts = hosts
        self._timeout = timeout_seconds
        self._app: Any = None
        self._session: requests.Session | None = None
        self._answer = _LastAnswer()
        self._lock = asyncio.Lock()

    def close(self) -> None:
        """Close MSAL's connection pool (a kept-alive socket would hold a server's shutdown)."""
        if self._session is not None:
            self._session.close()

    def _application(self) -> Any:
        if self._app is None:
            client_credential: str | dict[str, str]
            if isinstance(self._credential, ClientSecret):
                client_credential = self._credential.value
            elif isinstance(self._credential, ClientCertificate):
                client_credential = self._credential.msal_credential()
            else:
                raise AuthError("azure-identity credentials use AzureIdentityTokenSource")
            kwargs: dict[str, Any] = {
                "client_credential": client_credential,
                "authority": f"{self._hosts.login}/{self._tenant}",
                "instance_discovery": self._hosts.instance_discovery,
            }
            kwargs["http_client"] = self._session = self._hosts.trust.requests_session()
            self._session.hooks["response"].append(self._answer)
            try:
                self._app = msal.ConfidentialClientApplication(self._client_id, **kwargs)
            except ValueError as exc:  # OIDC discovery failed (throttled?), bad authority
                raise AuthError(
                    f"tenant {self._tenant}: {exc}",
                    transient=self._answer.transient,
                    retry_after=self._answer.wait(),
                ) from exc
            except requests.RequestException as exc:
                where = self._hosts.login
                raise AuthError(
                    f"tenant {self._tenant}: cannot reach {where}: {exc}", transient=True
                ) from exc
        return self._app

    def _acquire(self, resource: str, fresh: bool = False) -> str:
        where = f"tenant {self._tenant}, app {self._client_id}"
        self._answer.status, self._answer.retry_after = 0, None  # MSAL may answer from cache
        try:
            app = self._application()
            if fresh:
                app.remove_tokens_for_client()
            result = app.acquire_token_for_client(
                scopes=[f"{resource}/.default"], timeout=self._timeout
            )
        except requests.RequestException as exc:  # refused, reset, timed out, cut short
            raise AuthError(f"{where}: token endpoint unreachable: {exc}", transient=True) from exc
        except msal.exceptions.MsalServiceError as exc:  # MSAL's answer to an HTTP 5xx
            raise AuthError(
                f"{where}: token endpoint failed: {exc}",
                transient=True,
                retry_after=self._answer.wait(),
            ) from exc
        except ValueError as exc:  # an answer that is not OAuth's JSON (Entra's 429 body)
            answer = f"HTTP {self._answer.status}" if self._answer.status else str(exc)
            raise AuthError(
                f"{where}: the token endpoint's answer is not a token response ({answer})",
                transient=True,
                retry_after=self._answer.wait(),
            ) from exc
        if "access_token" not in result:
            code = str(result.get("error", "error"))
            text = str(result.get("error_description", "")).split("\r\n")[0]
            codes = tuple(c for c in result.get("error_codes") or () if isinstance(c, int))
            raise AuthError(
                f"{where}: {code}: {text}",
                codes=codes,
                transient=code == TEMPORARILY_UNAVAILABLE
                or bool(TRANSIENT_AADSTS & set(codes))
                or self._answer.transient,
                retry_after=self._answer.wait(),
            )
        return str(result["access_token"])

    token = blocking_token


async def sign_in(
    hosts: HostSet, tenant: str, client_id: str, secret: ClientSecret, resource: str
) -> None:
    """One client-credentials sign-in with ``secret``, nothing cached: whether Entra accepts
    it *now* (a new secret is refused for seconds after addPassword; exo-module-protocol.md,
    "Credentials in time"). Raises AuthError with Entra's codes."""
    source = MsalTokenSource(tenant, client_id, secret, hosts)
    try:
        await source.token(resource, fresh=True)
    finally:
        source.close()


def azure_identity_credential(tenant: str, client_id: str | None, mode: str, hosts: HostSet) -> Any:
    """azure-identity's credential for a mode of `AzureIdentityTokenSource.MODES` (also what
    t2t's Azure clients sign in with: t2t/clients/azure.py)."""
    from azure.identity import (
        ChainedTokenCredential,
        EnvironmentCredential,
        ManagedIdentityCredential,
        WorkloadIdentityCredential,
    )

    def common() -> dict[str, Any]:
        """Each credential its own transport: closing a credential closes its session."""
        return {
            "authority": hosts.login,
            "disable_instance_discovery": not hosts.instance_discovery,
            "transport": hosts.trust.azure_transport(),
        }

    parts: list[Any] = []
    if mode in ("chain", "environment"):
        parts.append(EnvironmentCredential(**common()))
    if mode in ("chain", "workloadIdentity"):
        try:
            parts.append(
                WorkloadIdentityCredential(tenant_id=tenant, client_id=client_id, **common())
            )
        except ValueError:
            if mode == "workloadIdentity":
                raise
    if mode in ("chain", "managedIdentity"):
        parts.append(ManagedIdentityCredential(client_id=client_id))
    return parts[0] if len(parts) == 1 else ChainedTokenCredential(*parts)


class AzureIdentityTokenSource:
    """Tokens from azure-identity, for automation without a secret in t2t's hands: the AZURE_*
    environment variables, workload identity federation, or a managed identity.

    The authority reaches the credential explicitly (`authority`, `disable_instance_discovery`;
    wire-protocols.md §3.5), and so does t2t's TLS trust (`transport`, trust.py): azure-core's
    default transport reads REQUESTS_CA_BUNDLE whenever `connection_verify` is True (§3.7).
    Managed identity keeps azure-identity's transport (trust.py says why).
    """

    MODES = ("chain", "environment", "workloadIdentity", "managedIdentity")

    def __init__(self, tenant: str, client_id: str | None, mode: str, hosts: HostSet) -> None:
        if mode not in self.MODES:
            raise AuthError(f"unknown azureIdentity mode {mode!r}")
        self._tenant = tenant
        self._client_id = client_id
        self._mode = mode
        self._hosts = hosts
        self._credential: Any = None
        self._lock = asyncio.Lock()

    def _build(self) -> Any:
        return azure_identity_credential(self._tenant, self._client_id, self._mode, self._hosts)

    def _acquire(self, resource: str, fresh: bool = False) -> str:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            ServiceRequestError,
            ServiceResponseError,
        )

        try:
            if fresh and self._credential is not None:  # azure-identity caches inside it
                self._credential.close()
                self._credential = None
            if self._credential is None:
                self._credential = self._build()
            return str(self._credential.get_token(f"{resource}/.default").token)
        except (ClientAuthenticationError, ValueError) as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            status = getattr(getattr(exc, "response", None), "status_code", None)
            raise AuthError(
                f"tenant {self._tenant}, azure-identity {self._mode}: {text}",
                transient=status in TRANSIENT_STATUSES,
            ) from exc
        except (ServiceRequestError, ServiceResponseError) as exc:  # no answer at all
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise AuthError(
                f"tenant {self._tenant}, azure-identity {self._mode}: {text}", transient=True
            ) from exc

    token = blocking_token

    def close(self) -> None:
        if self._credential is not None:
            self._credential.close()
