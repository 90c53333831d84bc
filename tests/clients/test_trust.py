"""No connection t2t makes trusts a CA it did not choose (t2t/clients/trust.py).

Every test runs with REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE and SSL_CERT_DIR all
naming a freshly made foreign CA, SSLKEYLOGFILE set, no proxy variable unless the test sets one,
and an interceptor whose certificate the foreign CA signed (tests/clients/interceptors.py). The
first tests show the trap is armed: with each variable alone, an ordinary client of the library
t2t uses trusts the interceptor, and requests hands it a form body. Then t2t's own clients — MSAL
(secret and certificate), `sign_in`, azure-identity (environment and workload identity), the
httpx layer under Graph and Exchange, the CLI's sandbox probe — refuse it before sending a byte,
in cloud mode (Microsoft's host set aimed at the interceptor, its trust untouched) and in
sandbox mode; and the sandbox, an operator's `--ca-bundle` and proxies still work.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from t2t.cli.session import sandbox_reachable
from t2t.clients import (
    GLOBAL,
    AzureIdentityTokenSource,
    ClientCertificate,
    ClientSecret,
    HostSet,
    HttpLayer,
    MsalTokenSource,
    connect,
    sandbox_hosts,
)
from t2t.clients.auth import sign_in, token_roles
from t2t.clients.errors import AuthError, CertificateRefused
from t2t.clients.trust import Trust, check_ca_bundle
from t2t.sandbox.ca import TlsFiles, ensure_tls
from tests.clients.interceptors import ConnectProxy, Interceptor, openssl_ca_dir
from tests.real_clients import identity_of

SECRET = "t2t-test-secret-that-must-not-leave"
TENANT = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
CLIENT = "0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
PROXY_VARIABLES = tuple(
    name
    for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for name in (base, base.upper())
)


@dataclass(frozen=True)
class Hostile:
    """The environment an interceptor would leave: the foreign CA everywhere, a key log."""

    ca: Path
    keylog: Path


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA nobody chose and a server certificate it signed for 127.0.0.1."""
    return ensure_tls(tmp_path_factory.mktemp("foreign"))


@pytest.fixture
def hostile(foreign: TlsFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hostile:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(foreign.ca_cert))
    monkeypatch.setenv("SSL_CERT_DIR", str(openssl_ca_dir(foreign.ca_cert, tmp_path / "cadir")))
    keylog = tmp_path / "tls-keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # azure-identity's EnvironmentCredential and WorkloadIdentityCredential read these
    token_file = tmp_path / "federated-token"
    token_file.write_text("federated-assertion-that-must-not-leave", encoding="utf-8")
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    return Hostile(foreign.ca_cert, keylog)


@pytest.fixture
def interceptor(foreign: TlsFiles) -> Iterator[Interceptor]:
    server = Interceptor(foreign)
    yield server
    server.close()


def aimed(hosts: HostSet, url: str) -> HostSet:
    """`hosts` with every service at `url`; instance discovery off (it would ask Microsoft's
    own host first), everything that decides trust untouched."""
    return replace(
        hosts,
        login=url,
        graph=f"{url}/v1.0",
        exchange=f"{url}/adminapi/beta",
        instance_discovery=False,
    )


def _handshake(context: ssl.SSLContext, port: int) -> None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1"),
    ):
        pass


# --- the trap is armed ------------------------------------------------------------------------


@pytest.mark.parametrize("variable", CA_VARIABLES)
def test_each_variable_alone_makes_an_ordinary_client_trust_the_interceptor(
    variable: str, hostile: Hostile, interceptor: Interceptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without this the refusals below would prove nothing: on this machine each variable does
    make the library t2t uses trust the interceptor."""
    for name in CA_VARIABLES:
        if name != variable:
            monkeypatch.delenv(name)
    if variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # MSAL's and azure-core's library
        answer = requests.post(
            f"{interceptor.url}/{TENANT}/oauth2/v2.0/token",
            data={"client_secret": SECRET},
            timeout=10,
        )
        assert answer.status_code == 404
        assert f"client_secret={SECRET}".encode() in interceptor.settle().received[-1]
    else:  # httpx with its defaults, and OpenSSL's default paths
        assert httpx.get(interceptor.url, timeout=10).status_code == 404
        _handshake(ssl.create_default_context(), interceptor.port)
        assert interceptor.settle().handshakes == 2


def test_an_ordinary_context_writes_the_session_keys_to_sslkeylogfile(
    hostile: Hostile, interceptor: Interceptor
) -> None:
    _handshake(ssl.create_default_context(), interceptor.port)
    assert hostile.keylog.read_text(encoding="ascii").count("TRAFFIC_SECRET") >= 2


# --- t2t refuses it -------------------------------------------------------------------------


async def _msal_secret(hosts: HostSet) -> object:
    source = MsalTokenSource(TENANT, CLIENT, ClientSecret(SECRET), hosts)
    try:
        return await source.token(hosts.graph_resource)
    finally:
        source.close()


async def _msal_certificate(hosts: HostSet, pem: str) -> object:
    source = MsalTokenSource(TENANT, CLIENT, ClientCertificate(pem), hosts)
    try:
        return await source.token(hosts.exchange_resource)
    finally:
        source.close()


async def _sign_in(hosts: HostSet) -> object:
    await sign_in(hosts, TENANT, CLIENT, ClientSecret(SECRET), hosts.exchange_resource)
    return None


async def _azure_identity(hosts: HostSet, mode: str) -> object:
    source = AzureIdentityTokenSource(TENANT, CLIENT, mode, hosts)
    try:
        return await source.token(hosts.graph_resource)
    finally:
        source.close()


async def _http_layer(hosts: HostSet, method: str) -> object:
    """The httpx layer under GraphClient and ExchangeClient, a bearer header and a body on."""
    async with HttpLayer(trust=hosts.trust, deadline_seconds=60) as http:
        return await http.send(
            method,
            f"{hosts.graph}/users",
            service="graph",
            limit_key=f"graph:{TENANT}",
            headers={"Authorization": f"Bearer {SECRET}"},
            json_body={"passwordProfile": {"password": SECRET}} if method == "POST" else None,
        )


def _clients(pem: str) -> dict[str, Callable[[HostSet], Awaitable[object]]]:
    return {
        "msal-secret": _msal_secret,
        "msal-certificate": lambda hosts: _msal_certificate(hosts, pem),
        "sign-in": _sign_in,
        "azure-identity-environment": lambda hosts: _azure_identity(hosts, "environment"),
        "azure-identity-workload": lambda hosts: _azure_identity(hosts, "workloadIdentity"),
        "httpx-get": lambda hosts: _http_layer(hosts, "GET"),
        "httpx-post": lambda hosts: _http_layer(hosts, "POST"),
    }


CLIENTS = list(_clients(""))


def _hosts(mode: str, sandbox: Any, url: str) -> HostSet:
    """Microsoft's host set, or the sandbox's (trusting its CA alone), aimed at `url`."""
    base = GLOBAL if mode == "cloud" else sandbox_hosts(sandbox.profile)
    hosts = aimed(base, url)
    assert hosts.trust == base.trust  # only the addresses moved
    return hosts


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("mode", ["cloud", "sandbox"])
def test_no_client_of_t2t_trusts_the_interceptor(
    mode: str,
    client: str,
    sandbox: Any,
    hostile: Hostile,
    interceptor: Interceptor,
    foreign: TlsFiles,
) -> None:
    hosts = _hosts(mode, sandbox, interceptor.url)
    pem = foreign.server_key.read_text() + foreign.server_cert.read_text()
    with pytest.raises((CertificateRefused, AuthError)) as refused:
        asyncio.run(_clients(pem)[client](hosts))
    if isinstance(refused.value, AuthError):  # azure-identity wraps what its transport raised
        assert client.startswith("azure-identity")
        assert refused.value.transient is False  # never retried
    message = str(refused.value)
    assert f"the TLS certificate of 127.0.0.1:{interceptor.port} is not trusted" in message
    if mode == "cloud":
        assert "the public roots (certifi)" in message
        assert "--ca-bundle FILE" in message
    else:
        assert str(hosts.ca_file) in message
        assert "public roots" not in message
    assert interceptor.settle().connections >= 1  # it did try …
    assert interceptor.handshakes == 0  # … and hung up during the handshake
    assert interceptor.received == []  # no request line, header or body left
    assert not hostile.keylog.exists()


def test_the_clis_sandbox_probe_refuses_the_interceptor(
    sandbox: Any, hostile: Hostile, interceptor: Interceptor
) -> None:
    profile = {
        **sandbox.profile,
        "baseUrl": interceptor.url,
        "endpoints": {"login": interceptor.url, "graph": interceptor.url, "exchange": "x"},
    }
    assert sandbox_reachable(profile) is False
    assert interceptor.settle().connections == 1
    assert interceptor.handshakes == 0
    assert interceptor.received == []


# --- what t2t chose still works ---------------------------------------------------------------


def _tenant(sandbox: Any, name: str) -> dict[str, Any]:
    return next(t for t in sandbox.profile["tenants"] if t["name"] == name)


async def _read_organization(hosts: HostSet, tenant: dict[str, Any]) -> list[Any]:
    """A token from MSAL, then Graph's /organization through the httpx layer."""
    async with HttpLayer(trust=hosts.trust) as http:
        clients = connect(http, hosts, identity_of(tenant))
        try:
            answer = await clients.graph.get("/organization")
        finally:
            clients.tokens.close()
    return list(answer["value"])


def _azure_identity_roles(
    hosts: HostSet, tenant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> frozenset[str]:
    monkeypatch.setenv("AZURE_TENANT_ID", tenant["tenantId"])
    monkeypatch.setenv("AZURE_CLIENT_ID", tenant["adminApp"]["clientId"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", tenant["adminApp"]["clientSecret"])
    source = AzureIdentityTokenSource(tenant["tenantId"], None, "environment", hosts)
    try:
        return token_roles(asyncio.run(source.token(hosts.exchange_resource)))
    finally:
        source.close()


def test_the_sandbox_still_works_with_every_variable_set(
    sandbox: Any, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = sandbox_hosts(sandbox.profile)
    fabrikam = _tenant(sandbox, "fabrikam")
    organization = asyncio.run(_read_organization(hosts, fabrikam))
    assert [o["id"] for o in organization] == [fabrikam["tenantId"]]
    assert "Exchange.ManageAsApp" in _azure_identity_roles(hosts, fabrikam, monkeypatch)
    assert sandbox_reachable(sandbox.profile) is True
    assert not hostile.keylog.exists()


def test_an_operator_named_bundle_is_trusted_beside_the_public_roots(
    sandbox: Any, hostile: Hostile, interceptor: Interceptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--ca-bundle` in cloud mode: the sandbox stands in for a TLS-inspecting proxy's
    re-signed endpoints, its CA for the proxy's."""
    fabrikam = _tenant(sandbox, "fabrikam")
    plain = aimed(GLOBAL, sandbox.profile["baseUrl"])
    with pytest.raises(CertificateRefused):
        asyncio.run(_read_organization(plain, fabrikam))
    bundle = check_ca_bundle(Path(sandbox.profile["caFile"]))
    named = replace(plain, ca_bundle=bundle)
    assert named.trust == Trust(bundles=(bundle,), public_roots=True, environment_proxies=True)
    organization = asyncio.run(_read_organization(named, fabrikam))
    assert [o["id"] for o in organization] == [fabrikam["tenantId"]]
    assert "Exchange.ManageAsApp" in _azure_identity_roles(named, fabrikam, monkeypatch)
    # and the foreign CA, once an operator names it, is trusted like any other choice
    chosen = replace(aimed(GLOBAL, interceptor.url), ca_bundle=check_ca_bundle(hostile.ca))
    answer = asyncio.run(_http_layer(chosen, "GET"))
    assert getattr(answer, "status", None) == 404
    assert interceptor.settle().handshakes == 1
    assert not hostile.keylog.exists()


def test_proxy_variables_reach_the_cloud_but_never_the_sandbox(
    sandbox: Any, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY is honoured towards Microsoft (administrators behind proxies need it): MSAL,
    azure-identity and httpx all tunnel through it, TLS still verified by t2t's choice. The
    sandbox is on this machine: nothing of it goes through the proxy."""
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        fabrikam = _tenant(sandbox, "fabrikam")
        sandbox_address = sandbox.profile["baseUrl"].removeprefix("https://")
        cloud = replace(
            aimed(GLOBAL, sandbox.profile["baseUrl"]),
            ca_bundle=check_ca_bundle(Path(sandbox.profile["caFile"])),
        )
        assert asyncio.run(_read_organization(cloud, fabrikam))
        msal_and_httpx = len(proxy.targets)
        assert msal_and_httpx >= 2
        assert "Exchange.ManageAsApp" in _azure_identity_roles(cloud, fabrikam, monkeypatch)
        assert len(proxy.targets) > msal_and_httpx
        assert set(proxy.targets) == {sandbox_address}
        proxy.targets.clear()
        local = sandbox_hosts(sandbox.profile)
        assert asyncio.run(_read_organization(local, fabrikam))
        assert "Exchange.ManageAsApp" in _azure_identity_roles(local, fabrikam, monkeypatch)
        assert sandbox_reachable(sandbox.profile) is True
        assert proxy.targets == []
    finally:
        proxy.close()
