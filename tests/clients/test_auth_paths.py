"""azure-identity against the sandbox, and production keeping Microsoft's defaults."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from t2t.clients import GLOBAL, AuthError, AzureIdentityTokenSource, sandbox_hosts
from t2t.clients.auth import token_roles, token_scopes
from t2t.clients.hosts import CLOUDS, DOD, USGOV
from t2t.clients.trust import Trust


def test_environment_credential_gets_a_token(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """azure-identity's EnvironmentCredential, the automation path, over the sandbox's HTTPS."""
    t = sandbox.tenant("fabrikam")
    monkeypatch.setenv("AZURE_TENANT_ID", t["tenantId"])
    monkeypatch.setenv("AZURE_CLIENT_ID", t["adminApp"]["clientId"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", t["adminApp"]["clientSecret"])
    source = AzureIdentityTokenSource(
        t["tenantId"], None, "environment", sandbox_hosts(sandbox.profile)
    )
    try:
        token = asyncio.run(source.token("https://outlook.office365.com"))
    finally:
        source.close()
    assert "Exchange.ManageAsApp" in token_roles(token)


def test_environment_credential_wrong_secret_is_an_auth_error(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = sandbox.tenant("fabrikam")
    monkeypatch.setenv("AZURE_TENANT_ID", t["tenantId"])
    monkeypatch.setenv("AZURE_CLIENT_ID", t["adminApp"]["clientId"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    source = AzureIdentityTokenSource(
        t["tenantId"], None, "environment", sandbox_hosts(sandbox.profile)
    )
    with pytest.raises(AuthError, match="AADSTS7000215"):
        asyncio.run(source.token("https://outlook.office365.com"))
    source.close()


def test_production_keeps_microsofts_defaults() -> None:
    """Only the sandbox profile changes hosts, CA and instance discovery (DESIGN.md)."""
    assert GLOBAL.login == "https://login.microsoftonline.com"
    assert GLOBAL.exchange == "https://outlook.office365.com/adminapi/beta"
    assert GLOBAL.graph == "https://graph.microsoft.com/v1.0"
    for cloud in (GLOBAL, USGOV, DOD):
        assert cloud.instance_discovery is True
        assert cloud.ca_file is None
        assert cloud.ca_bundle is None
        # the public roots, proxies from the environment (trust.py; tests/clients/test_trust.py)
        assert cloud.trust == Trust(bundles=(), public_roots=True, environment_proxies=True)
        assert cloud.login.startswith("https://")
    assert set(CLOUDS) == {"global", "usgov", "dod"}


def test_sandbox_profile_changes_only_hosts_ca_and_discovery(sandbox: Any) -> None:
    hosts = sandbox_hosts(sandbox.profile)
    assert hosts.instance_discovery is False
    assert hosts.ca_file is not None
    assert hosts.trust == Trust(
        bundles=(hosts.ca_file,), public_roots=False, environment_proxies=False
    )
    assert hosts.exchange_resource == GLOBAL.exchange_resource  # token audiences stay Microsoft's
    assert hosts.graph_resource == GLOBAL.graph_resource


def test_token_roles_tolerates_garbage() -> None:
    assert token_roles("not-a-jwt") == frozenset()
    assert token_scopes("not-a-jwt") == frozenset()


def _unsigned(claims: dict[str, object]) -> str:
    """A JWT's shape (header.payload.signature); only its claims are read, never trusted."""
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJub25lIn0.{body}.x"


def test_token_scopes_are_a_persons_delegated_permissions() -> None:
    person = _unsigned({"scp": "User.Read.All User.ReadWrite.All", "upn": "admin@x"})
    assert token_scopes(person) == {"User.Read.All", "User.ReadWrite.All"}
    assert token_roles(person) == frozenset()
    app = _unsigned({"roles": ["User.Read.All"]})
    assert token_scopes(app) == frozenset()


def test_certificate_credential_through_msal(sandbox: Any) -> None:
    """A PEM with key and certificate (the spec's `certificate: file:…`) → a token."""
    from pathlib import Path

    from t2t.clients import ClientCertificate, MsalTokenSource

    t = sandbox.tenant("fabrikam")
    pem = Path(t["adminApp"]["certificatePath"]).read_text(encoding="utf-8")
    source = MsalTokenSource(
        t["tenantId"],
        t["adminApp"]["clientId"],
        ClientCertificate(pem),
        sandbox_hosts(sandbox.profile),
    )
    try:
        token = asyncio.run(source.token("https://graph.microsoft.com"))
    finally:
        source.close()
    assert token_roles(token)  # the app's Graph application permissions


def test_a_pem_without_a_key_is_a_clear_error() -> None:
    from t2t.clients import ClientCertificate

    with pytest.raises(AuthError, match="not a PEM with a key and a certificate"):
        ClientCertificate(
            "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"
        ).msal_credential()
