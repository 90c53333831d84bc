"""Certificate assertions (msal: x5t and x5t#S256; azure-identity CertificateCredential)
and multi-tenant apps: a service principal alone is not consent."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import jwt
import msal
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.conftest import EXCHANGE_SCOPE, GRAPH_SCOPE, SandboxHandle
from tests.sandbox.exchange_setup import advance_clock, wait_out_secret_delay
from tests.sandbox.graph_helpers import graph, graph_write

MIGRATION_APP = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
EXO_APP = "00000002-0000-0ff1-ce00-000000000000"
MAILBOX_MIGRATION = "f7264778-fba9-422d-8e9e-2675a2c4b513"


def _claims(token: str) -> dict[str, object]:
    data: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return data


def _msal(
    sandbox: SandboxHandle, tenant: str, client_id: str, credential: object
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{sandbox.base_url}/{sandbox.tenant(tenant)['tenantId']}",
        instance_discovery=False,
        http_client=sandbox.msal_session,
    )


def _pem_parts(path: Path) -> tuple[str, str]:
    pem = path.read_text()
    i = pem.index("-----BEGIN CERTIFICATE-----")
    return pem[:i], pem[i:]


def test_msal_certificate_with_sha1_thumbprint(sandbox: SandboxHandle) -> None:
    admin = sandbox.tenant("contoso")["adminApp"]
    key, _ = _pem_parts(Path(admin["certificatePath"]))
    app = _msal(
        sandbox,
        "contoso",
        admin["clientId"],
        {"private_key": key, "thumbprint": admin["certificateThumbprint"]},
    )
    result = app.acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    assert "access_token" in result, result
    assert _claims(result["access_token"])["roles"] == ["Exchange.ManageAsApp"]


def test_msal_certificate_with_public_certificate_sends_x5t_s256(sandbox: SandboxHandle) -> None:
    admin = sandbox.tenant("fabrikam")["adminApp"]
    key, cert = _pem_parts(Path(admin["certificatePath"]))
    app = _msal(
        sandbox, "fabrikam", admin["clientId"], {"private_key": key, "public_certificate": cert}
    )
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" in result, result
    assert _claims(result["access_token"])["tid"] == sandbox.tenant("fabrikam")["tenantId"]


def test_azure_identity_certificate_and_secret_credentials(sandbox: SandboxHandle) -> None:
    t = sandbox.tenant("contoso")
    common = {
        "authority": sandbox.base_url,
        "disable_instance_discovery": True,
        "connection_verify": str(sandbox.ca_path),
    }
    cert = CertificateCredential(
        t["tenantId"], t["adminApp"]["clientId"], t["adminApp"]["certificatePath"], **common
    )
    token = cert.get_token(GRAPH_SCOPE)
    assert _claims(token.token)["aud"] == "https://graph.microsoft.com"
    cert.close()
    secret = ClientSecretCredential(
        t["tenantId"], t["adminApp"]["clientId"], t["adminApp"]["clientSecret"], **common
    )
    assert _claims(secret.get_token(EXCHANGE_SCOPE).token)["appid"] == t["adminApp"]["clientId"]
    secret.close()
    wrong = ClientSecretCredential(t["tenantId"], t["adminApp"]["clientId"], "nope", **common)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(GRAPH_SCOPE)
    wrong.close()


def _self_signed(tmp: Path) -> tuple[str, str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger")])
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    der = cert.public_bytes(serialization.Encoding.DER)
    return key_pem, hashlib.sha1(der).hexdigest(), der


def test_unregistered_certificate_is_refused(sandbox: SandboxHandle, tmp_path: Path) -> None:
    key, thumb, _ = _self_signed(tmp_path)
    admin = sandbox.tenant("contoso")["adminApp"]
    app = _msal(sandbox, "contoso", admin["clientId"], {"private_key": key, "thumbprint": thumb})
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert result["error"] == "invalid_client" and result["error_codes"] == [700027]


def test_certificate_added_through_graph_works(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """PATCH keyCredentials (whole array) then sign in with that certificate (§2.1)."""
    key, thumb, der = _self_signed(tmp_path)
    app_id = sandbox.tenant("fabrikam")["adminApp"]["clientId"]
    r = graph(
        sandbox, "fabrikam", "GET", f"/applications(appId='{app_id}')?$select=keyCredentials,id"
    )
    assert r.status_code == 200
    existing = r.json()["keyCredentials"]
    assert existing[0]["key"]  # key is returned under $select=keyCredentials
    # ... of a single object only: a list read's keys are null even under that $select
    listed = graph(
        sandbox,
        "fabrikam",
        "GET",
        f"/applications?$filter=appId eq '{app_id}'&$select=keyCredentials,id",
    ).json()["value"]
    assert [k["key"] for k in listed[0]["keyCredentials"]] == [None] * len(existing)
    new = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode()}
    r = graph(
        sandbox,
        "fabrikam",
        "PATCH",
        f"/applications/{r.json()['id']}",
        json={"keyCredentials": [*existing, new]},
    )
    assert r.status_code == 204, r.text
    app = _msal(sandbox, "fabrikam", app_id, {"private_key": key, "thumbprint": thumb})
    # A new key propagates like a new secret: not found yet (AADSTS700027), the admin's
    # existing certificate keeps working meanwhile.
    fresh = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert fresh["error"] == "invalid_client" and fresh["error_codes"] == [700027], fresh
    admin = sandbox.tenant("fabrikam")["adminApp"]
    old_key, _ = _pem_parts(Path(admin["certificatePath"]))
    kept = _msal(
        sandbox,
        "fabrikam",
        app_id,
        {"private_key": old_key, "thumbprint": admin["certificateThumbprint"]},
    )
    assert "access_token" in kept.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    wait_out_secret_delay(sandbox)
    again = _msal(sandbox, "fabrikam", app_id, {"private_key": key, "thumbprint": thumb})
    assert "access_token" in again.acquire_token_for_client(scopes=[GRAPH_SCOPE])


def _assertion_form(
    sandbox: SandboxHandle, tenant: str, app_id: str, key: str, x5t: str
) -> dict[str, str]:
    """A client-credentials form with a certificate assertion, built as MSAL builds it
    (RFC 7523; header ``x5t``), so the test sees Entra's HTTP answer itself."""
    url = f"{sandbox.base_url}/{sandbox.tenant(tenant)['tenantId']}/oauth2/v2.0/token"
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "aud": url,
        "iss": app_id,
        "sub": app_id,
        "jti": f"jti-{now}",
        "nbf": now,
        "exp": now + 600,
    }
    assertion = jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t})
    return {
        "grant_type": "client_credentials",
        "client_id": app_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": GRAPH_SCOPE,
    }


def test_a_new_certificate_is_not_found_until_it_has_propagated(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """Issue 10: a new certificate key is refused like a new secret for the strict delay
    (10 s of sandbox clock; assertions.py), with Entra's 401 ``invalid_client`` AADSTS700027
    "not registered on application" text naming the key's thumbprint and the app."""
    key, _thumb, der = _self_signed(tmp_path)
    x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
    app_id = sandbox.tenant("fabrikam")["adminApp"]["clientId"]
    r = graph(
        sandbox, "fabrikam", "GET", f"/applications(appId='{app_id}')?$select=keyCredentials,id"
    )
    new = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode()}
    body = {"keyCredentials": [*r.json()["keyCredentials"], new]}
    patched = graph(sandbox, "fabrikam", "PATCH", f"/applications/{r.json()['id']}", json=body)
    assert patched.status_code == 204, patched.text
    url = f"{sandbox.base_url}/{sandbox.tenant('fabrikam')['tenantId']}/oauth2/v2.0/token"

    refused = sandbox.http.post(url, data=_assertion_form(sandbox, "fabrikam", app_id, key, x5t))
    assert refused.status_code == 401, refused.text
    error = refused.json()
    assert (error["error"], error["error_codes"]) == ("invalid_client", [700027])
    assert error["error_description"].split("\r\n")[0] == (
        "AADSTS700027: The certificate with identifier used to sign the client assertion is "
        "not registered on application. [Reason - The key was not found., Thumbprint of key "
        f"used by client: '{x5t}', Please visit the Azure Portal, Graph Explorer or directly "
        f"use MS Graph to see configured keys for app Id '{app_id}'.]"
    )
    # usable from floor(created + 10 s) on a clock that also runs with the wall: 8 s is
    # surely inside the delay, 11 s surely past it.
    advance_clock(sandbox, 8)
    still = sandbox.http.post(url, data=_assertion_form(sandbox, "fabrikam", app_id, key, x5t))
    assert (still.status_code, still.json().get("error_codes")) == (401, [700027]), still.text
    advance_clock(sandbox, 3)
    signed_in = sandbox.http.post(url, data=_assertion_form(sandbox, "fabrikam", app_id, key, x5t))
    assert signed_in.status_code == 200, signed_in.text
    assert _claims(signed_in.json()["access_token"])["appid"] == app_id


def test_a_new_certificate_with_no_delay_signs_in_at_once(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    r = sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/strictness", json={"secret_delay_seconds": 0}
    )
    assert r.status_code == 200, r.text
    key, thumb, der = _self_signed(tmp_path)
    app_id = sandbox.tenant("fabrikam")["adminApp"]["clientId"]
    r = graph(
        sandbox, "fabrikam", "GET", f"/applications(appId='{app_id}')?$select=keyCredentials,id"
    )
    new = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode()}
    body = {"keyCredentials": [*r.json()["keyCredentials"], new]}
    assert (
        graph(
            sandbox, "fabrikam", "PATCH", f"/applications/{r.json()['id']}", json=body
        ).status_code
        == 204
    )
    app = _msal(sandbox, "fabrikam", app_id, {"private_key": key, "thumbprint": thumb})
    assert "access_token" in app.acquire_token_for_client(scopes=[GRAPH_SCOPE])


def test_multi_tenant_app_needs_consent_not_just_a_service_principal(
    sandbox: SandboxHandle,
) -> None:
    """The migration app lives in Fabrikam. In Contoso: no SP → AADSTS700016; SP alone →
    a token without roles; app role assignment (admin consent) → Mailbox.Migration."""
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        f"/applications(appId='{MIGRATION_APP}')/addPassword",
        json={"passwordCredential": {"displayName": "t2t"}},
    )
    assert r.status_code == 200, r.text
    secret = r.json()["secretText"]
    assert r.json()["hint"] == secret[:3]
    app = _msal(sandbox, "contoso", MIGRATION_APP, secret)
    assert app.acquire_token_for_client(scopes=[EXCHANGE_SCOPE])["error_codes"] == [700016]
    r = graph(sandbox, "contoso", "POST", "/servicePrincipals", json={"appId": MIGRATION_APP})
    assert r.status_code == 201, r.text
    sp = r.json()
    assert sp["appOwnerOrganizationId"] == sandbox.tenant("fabrikam")["tenantId"]
    wait_out_secret_delay(sandbox)  # a new secret is not usable at once (credentials.py)
    result = _msal(sandbox, "contoso", MIGRATION_APP, secret).acquire_token_for_client(
        scopes=[EXCHANGE_SCOPE]
    )
    assert "roles" not in _claims(result["access_token"])
    exo = graph(sandbox, "contoso", "GET", f"/servicePrincipals(appId='{EXO_APP}')").json()
    assert any(
        r["value"] == "Mailbox.Migration" and r["id"] == MAILBOX_MIGRATION for r in exo["appRoles"]
    )
    grant = {"principalId": sp["id"], "resourceId": exo["id"], "appRoleId": MAILBOX_MIGRATION}
    r = graph_write(  # the service principal is moments old (t2t/sandbox/replication.py)
        sandbox, "contoso", "POST", f"/servicePrincipals/{exo['id']}/appRoleAssignedTo", json=grant
    )
    assert r.status_code == 201, r.text
    assignment = r.json()
    assert assignment["principalType"] == "ServicePrincipal" and len(assignment["id"]) == 43
    again = graph(
        sandbox, "contoso", "POST", f"/servicePrincipals/{exo['id']}/appRoleAssignedTo", json=grant
    )
    assert again.status_code == 400
    result = _msal(sandbox, "contoso", MIGRATION_APP, secret).acquire_token_for_client(
        scopes=[EXCHANGE_SCOPE]
    )
    assert _claims(result["access_token"])["roles"] == ["Mailbox.Migration"]
    # removing the password revokes it
    key_id = graph(sandbox, "fabrikam", "GET", f"/applications(appId='{MIGRATION_APP}')").json()[
        "passwordCredentials"
    ][0]["keyId"]
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        f"/applications(appId='{MIGRATION_APP}')/removePassword",
        json={"keyId": key_id},
    )
    assert r.status_code == 204
    failed = _msal(sandbox, "contoso", MIGRATION_APP, secret).acquire_token_for_client(
        scopes=[GRAPH_SCOPE]
    )
    assert failed["error_codes"] == [7000215]
