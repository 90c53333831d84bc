"""The identity platform over real HTTPS with real MSAL (wire-protocols.md §3)."""

from __future__ import annotations

import jwt
import msal
import pytest

from tests.conftest import EXCHANGE_SCOPE, GRAPH_SCOPE, SandboxHandle, msal_http_client

CONTOSO_ID = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
FABRIKAM_ADMIN = "1d6f2b3c-4d5e-4f60-9b7c-8d9e0f1a2b3c"


def _claims(token: str) -> dict[str, object]:
    data: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return data


def test_msal_gets_an_exchange_token(sandbox: SandboxHandle) -> None:
    result = sandbox.msal_app("contoso").acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3599
    claims = _claims(result["access_token"])
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["iss"] == f"https://sts.windows.net/{CONTOSO_ID}/"
    assert claims["tid"] == CONTOSO_ID
    assert claims["appid"] == claims["azp"] == sandbox.tenant("contoso")["adminApp"]["clientId"]
    assert claims["roles"] == ["Exchange.ManageAsApp"]
    assert {"iat", "nbf", "exp", "oid"} <= set(claims)
    header = jwt.get_unverified_header(result["access_token"])
    assert header["alg"] == "RS256"


def test_graph_token_carries_only_graph_roles(sandbox: SandboxHandle) -> None:
    claims = _claims(sandbox.token("contoso", GRAPH_SCOPE))
    assert claims["aud"] == "https://graph.microsoft.com"
    assert "User.ReadWrite.All" in claims["roles"]
    assert "Exchange.ManageAsApp" not in claims["roles"]  # roles are per resource


def test_authority_by_domain_works(sandbox: SandboxHandle) -> None:
    t = sandbox.tenant("fabrikam")
    app = msal.ConfidentialClientApplication(
        t["adminApp"]["clientId"],
        client_credential=t["adminApp"]["clientSecret"],
        authority=f"{sandbox.base_url}/fabrikam.com",
        instance_discovery=False,
        http_client=msal_http_client(sandbox.ca_path),
    )
    result = app.acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    assert _claims(result["access_token"])["tid"] == t["tenantId"]


def test_wrong_secret_is_invalid_client(sandbox: SandboxHandle) -> None:
    result = sandbox.msal_app("contoso", secret="not-the-secret").acquire_token_for_client(
        scopes=[EXCHANGE_SCOPE]
    )
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_unknown_client_is_700016(sandbox: SandboxHandle) -> None:
    result = sandbox.msal_app(
        "contoso", client_id="00000000-1111-2222-3333-444444444444", secret="x"
    ).acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]
    assert "was not found in the directory 'Contoso'" in result["error_description"]


def test_app_of_another_tenant_is_refused(sandbox: SandboxHandle) -> None:
    fabrikam_secret = sandbox.tenant("fabrikam")["adminApp"]["clientSecret"]
    result = sandbox.msal_app(
        "contoso", client_id=FABRIKAM_ADMIN, secret=fabrikam_secret
    ).acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    assert result["error_codes"] == [700016]


def test_unknown_tenant_fails_discovery(sandbox: SandboxHandle) -> None:
    with pytest.raises(ValueError) as failure:
        msal.ConfidentialClientApplication(
            "0c5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b",
            client_credential="x",
            authority=f"{sandbox.base_url}/nowhere.onmicrosoft.com",
            instance_discovery=False,
            http_client=msal_http_client(sandbox.ca_path),
        )
    chain = [failure.value, failure.value.__cause__, failure.value.__context__]
    assert any("AADSTS90002" in str(e) for e in chain if e is not None)
    r = sandbox.http.get(
        f"{sandbox.base_url}/nowhere.example/v2.0/.well-known/openid-configuration"
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_tenant"


def test_discovery_document_is_per_tenant(sandbox: SandboxHandle) -> None:
    doc = sandbox.http.get(
        f"{sandbox.base_url}/contoso.com/v2.0/.well-known/openid-configuration"
    ).json()
    assert doc["issuer"] == f"{sandbox.base_url}/{CONTOSO_ID}/v2.0"
    assert doc["token_endpoint"] == f"{sandbox.base_url}/{CONTOSO_ID}/oauth2/v2.0/token"
    keys = sandbox.http.get(doc["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA"


def test_scope_must_be_dot_default(sandbox: SandboxHandle) -> None:
    t = sandbox.tenant("contoso")
    r = sandbox.http.post(
        f"{sandbox.base_url}/{t['tenantId']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": t["adminApp"]["clientId"],
            "client_secret": t["adminApp"]["clientSecret"],
            "scope": "https://outlook.office365.com/Exchange.Manage",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


def test_unknown_resource(sandbox: SandboxHandle) -> None:
    result = sandbox.msal_app("contoso").acquire_token_for_client(
        scopes=["https://unknown.example/.default"]
    )
    assert result["error"] == "invalid_resource"
    assert result["error_codes"] == [500011]
