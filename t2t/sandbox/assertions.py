"""Certificate credentials: verifying a client assertion (private_key_jwt) against the
app registration's ``keyCredentials``.

What clients send (wire-protocols.md §3.2, reproduced with msal and azure-identity):
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and a JWT
with ``aud`` = the token endpoint URL, ``iss`` = ``sub`` = client id, ``exp``, ``iat``,
``jti``; its header names the certificate either by ``x5t`` (base64url SHA-1,
azure-identity ``CertificateCredential``, RS256) or by ``x5t#S256`` (base64url SHA-256,
MSAL ≥ 1.35 with a public certificate, PS256). Microsoft's documentation of certificate
credentials (https://learn.microsoft.com/entra/identity-platform/certificate-credentials)
lists ``x5t`` and, since 2024, ``x5t#S256``; the sandbox accepts both (§7 q4; README,
"Open questions").

Error codes (https://learn.microsoft.com/entra/identity-platform/reference-error-codes):
AADSTS700027 (signature / unknown certificate), AADSTS700024 (not within its valid time
range), AADSTS700021 (``iss``/``sub`` differ from the client id), AADSTS50012 with
``invalid_client`` for a wrong audience (text assumed, see README.md, "Open questions").
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import urllib.parse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from t2t.sandbox.model import Application, KeyCredential, Tenant

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

Refusal = tuple[int, str, int, str]
"""(HTTP status, OAuth error, AADSTS code, description)."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def thumbprints(der: bytes) -> tuple[str, str]:
    """(x5t, x5t#S256) of a DER certificate, base64url as in JWS headers (RFC 7515 §4.1.7)."""
    sha1 = hashlib.sha1(der).digest()  # noqa: S324 - x5t is defined as SHA-1 (RFC 7515)
    return _b64url(sha1), _b64url(hashlib.sha256(der).digest())


def _find_key(
    app: Application, header: dict[str, object], now: dt.datetime
) -> KeyCredential | None:
    """The app's certificate the header names; one added moments ago is not found yet (the
    replica that answers does not hold it: AADSTS700027, as for any unknown key)."""
    x5t, x5t256 = header.get("x5t"), header.get("x5t#S256")
    for cred in app.key_credentials:
        if cred.type != "AsymmetricX509Cert":
            continue
        if cred.usable_from is not None and now < cred.usable_from:
            continue
        t1, t256 = thumbprints(base64.b64decode(cred.key))
        if (isinstance(x5t, str) and x5t.rstrip("=") == t1) or (
            isinstance(x5t256, str) and x5t256.rstrip("=") == t256
        ):
            return cred
    return None


def _audience_ok(aud: object, token_endpoint: str, tenant: Tenant) -> bool:
    """``aud`` must be this host's token endpoint for this tenant (by id or domain)."""
    if not isinstance(aud, str):
        return False
    got, want = urllib.parse.urlsplit(aud), urllib.parse.urlsplit(token_endpoint)
    if (got.scheme, got.netloc.lower()) != (want.scheme, want.netloc.lower()):
        return False
    parts = got.path.strip("/").split("/")
    if len(parts) < 3 or parts[1:] not in (["oauth2", "v2.0", "token"], ["oauth2", "token"]):
        return False
    seg = parts[0].lower()
    return seg == tenant.tenant_id or tenant.has_domain(seg)


def check_client_assertion(
    form: dict[str, str],
    app: Application,
    *,
    token_endpoint: str,
    tenant: Tenant,
    now: dt.datetime,
) -> Refusal | None:
    """None when the assertion proves possession of one of the app's certificates, as the
    sandbox clock ``now`` sees them (a key added moments ago is still propagating)."""
    if form.get("client_assertion_type") != JWT_BEARER:
        return (
            400,
            "invalid_request",
            50027,
            "Invalid client_assertion_type; expected "
            "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        )
    assertion = form.get("client_assertion", "")
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return 401, "invalid_client", 50027, "JWT token is invalid or malformed."
    cred = _find_key(app, header, now)
    if cred is None:
        kid = header.get("x5t") or header.get("x5t#S256") or ""
        return (
            401,
            "invalid_client",
            700027,
            f"The certificate with identifier used to sign the client assertion is not "
            f"registered on application. [Reason - The key was not found., Thumbprint of key "
            f"used by client: '{kid}', Please visit the Azure Portal, Graph Explorer or "
            f"directly use MS Graph to see configured keys for app Id '{app.app_id}'.]",
        )
    cert = x509.load_der_x509_certificate(base64.b64decode(cred.key))
    public_key = cert.public_key()
    if not isinstance(public_key, RSAPublicKey):
        return 401, "invalid_client", 700027, "Client assertion failed signature validation."
    try:
        claims = jwt.decode(
            assertion,
            public_key,
            algorithms=["RS256", "PS256"],
            options={"verify_aud": False, "verify_exp": False, "require": ["exp"]},
        )
    except jwt.PyJWTError:
        return 401, "invalid_client", 700027, "Client assertion failed signature validation."
    now = dt.datetime.now(dt.UTC)
    if int(claims["exp"]) < now.timestamp() or not (
        cred.start_date_time <= now < cred.end_date_time
    ):
        return (
            401,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        )
    if str(claims.get("iss", "")).lower() != app.app_id or (
        str(claims.get("sub", "")).lower() != app.app_id
    ):
        return (
            401,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        )
    if not _audience_ok(claims.get("aud"), token_endpoint, tenant):
        return (
            401,
            "invalid_client",
            50012,
            f"Client assertion audience claim does not match Realm issuer. "
            f"Expected '{token_endpoint}'.",
        )
    return None
