"""A person's sign-in (`interactive: device-code`): delegated tokens through MSAL's device flow.

For an administrator who has no app yet. Each service is reached through the public client
Microsoft's own module for it uses, as Microsoft's cross-tenant scripts sign in to Exchange
and Graph separately (microsoft-t2t.md §2, [CT-TGT]):

- Exchange: ExchangeOnlineManagement's client `fb78d390-0c51-40cd-8e17-fdbfab77341b`
  ("Microsoft Exchange REST API Based Powershell"; wire-protocols.md §1.7, and GreyCorbel
  ExoHelper's `Get-ExoDefaultClientId`), scope `https://outlook.office365.com/.default`, as
  the module asks;
- Graph: Microsoft Graph PowerShell's client `14d82eec-204b-4c2f-b7e8-296a70dab67e`
  (msgraph-sdk-powershell, Models/AuthContext.cs `PowerShellClientId`), with the named
  delegated scopes the CLI gives (least privilege: Connect-MgGraph -Scopes; a delegated
  token never exceeds what the signed-in user may do, Learn permissions-consent-overview).

So a first run shows two codes per tenant (one per client); the refresh tokens land in the
encrypted token cache (token_cache.py), and later runs sign in silently (MSAL's
`acquire_token_silent`) until the refresh token lapses. The prompt (the verification URI and
the code, from Microsoft's `message`) goes to the `notify` callback; no token ever does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msal
import requests

from t2t.clients.auth import blocking_token
from t2t.clients.errors import AuthError
from t2t.clients.hosts import HostSet
from t2t.clients.token_cache import CacheSettings, TokenCacheError, open_cache

EXCHANGE_MODULE_CLIENT = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
GRAPH_POWERSHELL_CLIENT = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


@dataclass(frozen=True)
class DeviceCode:
    """Sign in as a person with the device-code flow."""

    graph_scopes: tuple[str, ...]
    """Graph delegated permissions to ask for, e.g. User.Read.All."""
    cache: CacheSettings
    notify: Callable[[str], None] = field(compare=False)
    """Shows the sign-in prompt and the cache's warnings to the person (stderr)."""
    label: str = ""
    """Which tenant the prompt is for, e.g. "target tenant Fabrikam"."""


#: What the device flow's refusals mean to the person at the terminal (Learn,
#: v2-oauth2-device-code.md, "Expected errors").
_REFUSALS = {
    "authorization_declined": "the sign-in was declined at the verification page",
    "expired_token": "the code expired before anyone signed in with it; run the command again",
    "bad_verification_code": "the identity platform did not recognise the device code",
}


class DeviceCodeTokenSource:
    """Delegated tokens for one tenant: from the cache when it can, else by the device flow."""

    def __init__(self, tenant: str, credential: DeviceCode, hosts: HostSet) -> None:
        self._tenant = tenant
        self._credential = credential
        self._hosts = hosts
        self._apps: dict[str, Any] = {}
        self._cache: Any = None
        self._session: requests.Session | None = None
        self._lock = asyncio.Lock()
        self.signed_in: dict[str, str] = {}
        """Who signed in, per service ("Exchange Online", "Microsoft Graph"): the account's
        username (the id token's preferred_username), for the audit trail. Two device flows
        may be answered by two people."""

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def _client_and_scopes(self, resource: str) -> tuple[str, list[str]]:
        if resource == self._hosts.exchange_resource:
            return EXCHANGE_MODULE_CLIENT, [f"{resource}/.default"]
        if resource == self._hosts.graph_resource:
            names = self._credential.graph_scopes
            return GRAPH_POWERSHELL_CLIENT, [f"{resource}/{name}" for name in names]
        raise AuthError(
            f"tenant {self._tenant}: interactive sign-in reaches Exchange and Graph only, not "
            f"{resource} (use a client secret, a certificate or azureIdentity for it)"
        )

    def _application(self, client_id: str) -> Any:
        if client_id not in self._apps:
            if self._cache is None:
                self._cache = open_cache(self._credential.cache, self._credential.notify)
            if self._session is None:
                self._session = self._hosts.trust.requests_session()
            try:
                self._apps[client_id] = msal.PublicClientApplication(
                    client_id,
                    authority=f"{self._hosts.login}/{self._tenant}",
                    instance_discovery=self._hosts.instance_discovery,
                    http_client=self._session,
                    token_cache=self._cache,
                )
            except ValueError as exc:  # OIDC discovery failed
                raise AuthError(f"tenant {self._tenant}: {exc}") from exc
        return self._apps[client_id]

    def _silent(self, app: Any, scopes: list[str], fresh: bool, service: str) -> str | None:
        """A token from the cache (or its refresh token), for an account of this tenant."""
        for account in app.get_accounts():
            if not str(account.get("home_account_id", "")).endswith("." + self._tenant):
                continue
            result = app.acquire_token_silent(scopes, account=account, force_refresh=fresh)
            if result and "access_token" in result:
                self.signed_in[service] = str(account.get("username", ""))
                return str(result["access_token"])
        return None

    def _device_flow(self, app: Any, scopes: list[str], service: str) -> str:
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise self._refused(flow, service)
        label = self._credential.label or f"tenant {self._tenant}"
        self._credential.notify(f"{label}, {service}: {flow.get('message', '')}")
        result = _poll(app, flow)
        if "access_token" not in result:
            raise self._refused(result, service)
        claims = result.get("id_token_claims") or {}
        self.signed_in[service] = str(claims.get("preferred_username", ""))
        return str(result["access_token"])

    def _refused(self, result: dict[str, Any], service: str) -> AuthError:
        code = str(result.get("error", "error"))
        text = _REFUSALS.get(code) or str(result.get("error_description", "")).split("\r\n")[0]
        codes = tuple(c for c in result.get("error_codes") or () if isinstance(c, int))
        label = self._credential.label or f"tenant {self._tenant}"
        return AuthError(f"{label}: {service} sign-in failed: {code}: {text}", codes=codes)

    def _acquire(self, resource: str, fresh: bool) -> str:
        client_id, scopes = self._client_and_scopes(resource)
        service = "Exchange Online" if client_id == EXCHANGE_MODULE_CLIENT else "Microsoft Graph"
        try:
            app = self._application(client_id)
            silent = self._silent(app, scopes, fresh, service)
            return silent or self._device_flow(app, scopes, service)
        except TokenCacheError:
            raise
        except requests.RequestException as exc:
            raise AuthError(
                f"tenant {self._tenant}: token endpoint unreachable: {exc}", transient=True
            ) from exc

    token = blocking_token


def _poll(app: Any, flow: dict[str, Any]) -> dict[str, Any]:
    """MSAL's polling of one device code until it is used, refused or expired. A poll lost on
    the way (a connection the server closed between polls — the flow's 5 s interval is also a
    common keep-alive timeout — or a read timed out) is polled again with the same code: the
    person may be typing it right now, and a new flow would show them a second code and
    throw away the first sign-in. MSAL keeps polling a flow handed back to it until its
    ``expires_at`` (msal ``acquire_token_by_device_flow``); past that the fault is raised."""
    while True:
        try:
            result: dict[str, Any] = app.acquire_token_by_device_flow(flow)
            return result
        except requests.RequestException:
            if time.time() >= float(flow.get("expires_at", 0)):
                raise
            time.sleep(min(float(flow.get("interval", 5)), 5.0))
