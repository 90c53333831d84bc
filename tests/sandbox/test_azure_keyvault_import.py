"""Key Vault's certificate import in the sandbox (t2t/sandbox/azure/certificate_import.py)
through azure-keyvault-certificates 4.12.0's ``CertificateClient.import_certificate`` over
HTTPS: a PKCS#12 or PEM upload becomes the certificate's current version with its own validity
and thumbprint, the policy kept or derived as Key Vault derives it, and every malformed or
expired upload refused with Key Vault's 400 BadParameter and words — nothing stored."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.keyvault.certificates import CertificateClient, CertificateContentType, CertificatePolicy
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from t2t.sandbox.azure import certificate_import as imports
from tests.conftest import SandboxHandle
from tests.sandbox.azure_helpers import (
    ADMIN,
    ADMIN_OID,
    FABRIKAM,
    VAULT,
    admin_vault,
    certificate_client,
    create_certificate,
    error_body,
)
from tests.sandbox.exchange_setup import advance_clock

WITH_IMPORT = ["get", "list", "create", "update", "import"]


def _made(
    days: float, *, subject: str = "CN=renewed by hand", key: rsa.RSAPrivateKey | None = None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed certificate (client authentication) valid from a day ago for ``days``
    more days of real time (negative: already expired)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject.removeprefix("CN="))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pfx(key: rsa.RSAPrivateKey | None, cert: x509.Certificate, password: bytes | None) -> bytes:
    protect = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"renewed", key, cert, None, protect)


def _pem(key: rsa.RSAPrivateKey, cert: x509.Certificate, form: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, form, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def test_an_imported_pfx_becomes_the_current_version_with_its_own_validity(
    sandbox: SandboxHandle,
) -> None:
    admin_vault(sandbox.profile, certificates=WITH_IMPORT, secrets=["get"])
    key, cert = _made(10)
    with certificate_client(sandbox.profile, VAULT) as kv:
        first = create_certificate(kv, skip_wait=lambda: advance_clock(sandbox, 5))
        imported = kv.import_certificate(
            "t2t-cert", _pfx(key, cert, b"s3cret"), password="s3cret", tags={"by": "hand"}
        )
        assert imported.properties.version not in (None, first.properties.version)
        assert imported.id == (
            f"https://{VAULT}.vault.azure.net/certificates/t2t-cert/{imported.properties.version}"
        )
        assert bytes(imported.cer or b"") == _der(cert)
        assert imported.properties.x509_thumbprint == hashlib.sha1(_der(cert)).digest()
        assert (imported.properties.not_before, imported.properties.expires_on) == (
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
        )
        assert (imported.properties.enabled, imported.properties.tags) == (True, {"by": "hand"})
        # an existing certificate keeps its policy (t2t's self-signed one)
        assert (imported.policy.issuer_name, imported.policy.subject) == (
            "Self",
            "CN=admin_fabrikam",
        )
        assert kv.get_certificate("t2t-cert").id == imported.id  # the current version
        versions = {v.version for v in kv.list_properties_of_certificate_versions("t2t-cert")}
        assert versions == {first.properties.version, imported.properties.version}
        with pytest.raises(ResourceNotFoundError) as no_operation:  # an import is none
            kv.get_certificate_operation("t2t-cert")
        assert error_body(no_operation.value)["code"] == "PendingCertificateNotFound"
        secret = kv.send_request(
            HttpRequest("GET", f"/secrets/t2t-cert/{imported.properties.version}")
        ).json()
    assert secret["contentType"] == "application/x-pkcs12"
    in_key, in_cert, _ = pkcs12.load_key_and_certificates(base64.b64decode(secret["value"]), None)
    assert in_cert is not None and _der(in_cert) == _der(cert)  # served without the password
    assert in_key is not None and in_key.private_numbers() == key.private_numbers()  # type: ignore[union-attr]


def test_a_new_certificate_from_pem_gets_the_policy_key_vault_derives(
    sandbox: SandboxHandle,
) -> None:
    admin_vault(sandbox.profile, certificates=WITH_IMPORT, secrets=["get"])
    key, cert = _made(10)
    pem = _pem(key, cert, serialization.PrivateFormat.PKCS8)
    with certificate_client(sandbox.profile, VAULT) as kv:
        imported = kv.import_certificate(
            "imported",
            pem,
            policy=CertificatePolicy(content_type=CertificateContentType.pem),
            enabled=False,
        )
        secret = kv.send_request(
            HttpRequest("GET", f"/secrets/imported/{imported.properties.version}")
        )
    assert imported.properties.enabled is False
    p = imported.policy
    assert (p.issuer_name, p.subject, p.validity_in_months) == ("Unknown", "CN=renewed by hand", 1)
    assert (p.key_type, p.key_size, p.exportable, p.reuse_key) == ("RSA", 2048, True, False)
    assert (p.content_type, p.enhanced_key_usage) == (
        "application/x-pem-file",
        ["1.3.6.1.5.5.7.3.2"],
    )
    [action] = p.lifetime_actions or []
    assert (action.action, action.lifetime_percentage) == ("EmailContacts", 80)
    assert secret.status_code == 403  # imported disabled: its secret may not be read
    assert secret.json()["error"]["innererror"] == {"code": "SecretDisabled"}


def _refusal(kv: CertificateClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    r = kv.send_request(HttpRequest("POST", "/certificates/t2t-cert/import", json=body))
    return r.status_code, r.json()["error"]


def test_malformed_or_expired_uploads_are_refused_with_key_vaults_words(
    sandbox: SandboxHandle,
) -> None:
    admin_vault(sandbox.profile, certificates=WITH_IMPORT)
    key, cert = _made(10)
    expired_key, expired = _made(-1)
    _, an_hour = _made(1 / 24, key=key)  # valid for one more hour of real time
    pem_policy = {"secret_props": {"contentType": "application/x-pem-file"}}

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    cases: dict[str, tuple[dict[str, Any], str]] = {
        "already expired": (
            {"value": b64(_pfx(expired_key, expired, None))},
            imports.ALREADY_EXPIRED,
        ),
        "no private key": ({"value": b64(_pfx(None, cert, None))}, imports.NO_PRIVATE_KEY),
        "a key of no certificate in it": (
            {
                "value": b64(
                    pkcs12.serialize_key_and_certificates(
                        None, expired_key, None, [cert], serialization.NoEncryption()
                    )
                )
            },
            imports.NO_PRIVATE_KEY,
        ),
        "not base64": ({"value": "this is no certificate"}, imports.PKCS12_UNREADABLE),
        "wrong password": (
            {"value": b64(_pfx(key, cert, b"right")), "pwd": "wrong"},
            imports.PKCS12_UNREADABLE,
        ),
        "PEM without its policy": (
            {"value": b64(_pem(key, cert, serialization.PrivateFormat.PKCS8))},
            imports.PKCS12_UNREADABLE,
        ),
        "PKCS#1 key in PEM": (
            {
                "value": b64(_pem(key, cert, serialization.PrivateFormat.TraditionalOpenSSL)),
                "policy": pem_policy,
            },
            imports.PEM_UNEXPECTED,
        ),
        "PEM of nothing": ({"value": b64(b"hello"), "policy": pem_policy}, imports.PEM_UNREADABLE),
        "no value": ({"policy": pem_policy}, "Property value is required."),
        "unknown content type": (
            {
                "value": b64(_pfx(key, cert, None)),
                "policy": {"secret_props": {"contentType": "text/plain"}},
            },
            imports.POLICY_INVALID,
        ),
    }
    with certificate_client(sandbox.profile, VAULT) as kv:
        for name, (body, message) in cases.items():
            assert _refusal(kv, body) == (
                400,
                {"code": "BadParameter", "message": message},
            ), name
        # the sandbox clock decides "already expired": an hour on, this one is
        advance_clock(sandbox, 2 * 3600)
        assert _refusal(kv, {"value": b64(_pfx(key, an_hour, None))}) == (
            400,
            {"code": "BadParameter", "message": imports.ALREADY_EXPIRED},
        )
        with pytest.raises(ResourceNotFoundError):  # nothing was stored
            kv.get_certificate("t2t-cert")


def test_import_needs_the_certificates_import_permission(sandbox: SandboxHandle) -> None:
    admin_vault(sandbox.profile, certificates=["get", "list", "create", "update"])
    key, cert = _made(10)
    with (
        certificate_client(sandbox.profile, VAULT) as kv,
        pytest.raises(HttpResponseError) as refused,
    ):
        kv.import_certificate("t2t-cert", _pfx(key, cert, None))
    assert refused.value.status_code == 403
    assert error_body(refused.value) == {
        "code": "Forbidden",
        "message": f"The user, group or application 'appid={ADMIN};oid={ADMIN_OID};"
        f"iss=https://sts.windows.net/{FABRIKAM}/' does not have certificates import permission "
        f"on key vault '{VAULT};location=northeurope'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287",
        "innererror": {"code": "AccessDenied"},
    }
