"""Shared fixtures: one running t2t sandbox per test session, reset before each test.

Use ``sandbox`` in any test that talks to the emulated tenants::

    def test_x(sandbox):
        r = sandbox.invoke("contoso", "Get-OrganizationRelationship", {})
        assert r.status_code == 200

``sandbox.profile`` is the parsed ``profile.json`` (base URL, CA file, tenants and
their admin app credentials). Clients get the CA explicitly, never through
process-wide variables (this machine sets REQUESTS_CA_BUNDLE; DESIGN.md "The sandbox").
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests
from hypothesis import HealthCheck, settings

from t2t.sandbox.server import SandboxServer

#: Property tests run on a loaded machine (three workers on two cores, sandboxes beside them):
#: how fast examples are generated or run says nothing of the property, so neither a slow
#: generation (HealthCheck.too_slow) nor hypothesis' 200 ms per-example deadline fails a test.
#: A test's own @settings still sets what it names.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

EXCHANGE_SCOPE = "https://outlook.office365.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def msal_http_client(ca_path: Path) -> requests.Session:
    """A requests session MSAL can use: sandbox CA, environment ignored (§3.7)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_path)
    return session


@dataclass
class SandboxHandle:
    """What a test gets from the ``sandbox`` fixture."""

    server: SandboxServer
    profile: dict[str, Any]
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    _http: httpx.Client | None = None
    _msal_session: requests.Session | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def ca_path(self) -> Path:
        return self.server.ca_path

    def tenant(self, name: str) -> dict[str, Any]:
        return next(t for t in self.profile["tenants"] if t["name"] == name)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            # An idle connection is dropped well before the sandbox's (uvicorn's 5 s keep-alive):
            # reusing one the server is closing at that moment fails the send with "Server
            # disconnected without sending a response" (seen once under load), and httpx does
            # not resend a POST.
            self._http = httpx.Client(
                verify=self.ssl_context(),
                trust_env=False,
                timeout=10,
                limits=httpx.Limits(keepalive_expiry=1.0),
            )
        return self._http

    def msal_app(
        self, tenant: str, *, client_id: str | None = None, secret: str | None = None
    ) -> msal.ConfidentialClientApplication:
        """A real MSAL client pointed at the sandbox (instance discovery off, §3.4–3.5)."""
        t = self.tenant(tenant)
        return msal.ConfidentialClientApplication(
            client_id or t["adminApp"]["clientId"],
            client_credential=secret if secret is not None else t["adminApp"]["clientSecret"],
            authority=f"{self.base_url}/{t['tenantId']}",
            instance_discovery=False,
            http_client=self.msal_session,
        )

    @property
    def msal_session(self) -> requests.Session:
        if self._msal_session is None:
            self._msal_session = msal_http_client(self.ca_path)
        return self._msal_session

    def token(self, tenant: str, scope: str = EXCHANGE_SCOPE) -> str:
        """An access token from MSAL, cached per (tenant, scope) for the session."""
        key = (tenant, scope)
        if key not in self._tokens:
            result = self.msal_app(tenant).acquire_token_for_client(scopes=[scope])
            assert "access_token" in result, result
            self._tokens[key] = result["access_token"]
        return self._tokens[key]

    def invoke(
        self,
        tenant_name: str,
        cmdlet: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        path_tenant: str | None = None,
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        """POST InvokeCommand as the tenant's admin app (wire-protocols.md §1.2).

        A 403 from InvokeCommand has a NUL body labelled gzip (§1.5) on which httpx raises
        ``DecodingError``, as it would against Microsoft; use ``invoke_raw`` to see it.
        """
        request = self._invoke_request(
            tenant_name, cmdlet, params, token, path_tenant, headers, url
        )
        return self.http.send(request)

    def invoke_raw(
        self,
        tenant_name: str,
        cmdlet: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """Like ``invoke`` but returns (status, headers, undecoded body bytes)."""
        request = self._invoke_request(tenant_name, cmdlet, params, token, None, None, None)
        response = self.http.send(request, stream=True)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
        return response.status_code, response.headers, raw

    def _invoke_request(
        self,
        tenant_name: str,
        cmdlet: str,
        params: dict[str, Any] | None,
        token: str | None,
        path_tenant: str | None,
        headers: dict[str, str] | None,
        url: str | None,
    ) -> httpx.Request:
        t = self.tenant(tenant_name)
        segment = path_tenant or t["tenantId"]
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": params or {}}}
        all_headers = {
            "Authorization": f"Bearer {token or self.token(tenant_name)}",
            "X-AnchorMailbox": (
                f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{t['initialDomain']}"
            ),
            "Accept-Encoding": "identity",
            **(headers or {}),
        }
        target = url or f"{self.base_url}/adminapi/beta/{segment}/InvokeCommand"
        return self.http.build_request("POST", target, json=body, headers=all_headers)

    def stats(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base_url}/_sandbox/stats")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        """Close pooled connections (lets the server stop without waiting on them)."""
        if self._msal_session is not None:
            self._msal_session.close()
            self._msal_session = None
        if self._http is not None:
            self._http.close()
            self._http = None

    def reset(self) -> None:
        self.http.post(f"{self.base_url}/_sandbox/reset").raise_for_status()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """One sandbox (default seed) for the whole test session."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _sandbox_handle(sandbox_server: SandboxServer) -> Iterator[SandboxHandle]:
    handle = SandboxHandle(
        server=sandbox_server, profile=json.loads(sandbox_server.profile_path.read_text())
    )
    yield handle
    handle.close()


@pytest.fixture
def sandbox(_sandbox_handle: SandboxHandle) -> SandboxHandle:
    """The session's sandbox, reset to its seed state with zeroed counters."""
    _sandbox_handle.reset()
    return _sandbox_handle


#: Test folders whose tests run long (a sandbox, many CLI runs, the sandbox's real-time waits):
#: collected first, so that they start early and the quick ones fill the workers at the end;
#: pytest-xdist's worksteal (Makefile) moves queued tests from a busy worker to an idle one,
#: instead of one worker running a long test alone while the others are idle.
LONG_FIRST = ("e2e", "apply")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first (a stable sort: the order within a folder is kept)."""
    tests = Path(__file__).resolve().parent

    def rank(item: pytest.Item) -> int:
        try:
            folder = item.path.resolve().relative_to(tests).parts[0]
        except ValueError:
            return len(LONG_FIRST)
        return LONG_FIRST.index(folder) if folder in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)
