"""Key Vault's certificate import: a certificate made elsewhere, with its private key, becomes a
new version of a vault certificate (``POST /certificates/{name}/import``).

What the request carries ("Import Certificate - REST API",
https://learn.microsoft.com/rest/api/keyvault/certificates/import-certificate/import-certificate,
and what azure-keyvault-certificates 4.12.0's ``CertificateClient.import_certificate`` sends):
``value`` — the PKCS#12 (PFX) file or the PEM text, base64; "PEM content or Base64 encoded PEM
content" is accepted for PEM — ``pwd`` when the private key is encrypted, ``policy``
(required for PEM, with ``secret_props.contentType`` = ``application/x-pem-file``: the SDK's
docstring), ``attributes`` (``enabled``) and ``tags``. "This certificate needs to contain the
private key"; "Key Vault will only accept a key in PKCS#8 format" (the REST reference).

The version takes the certificate's own validity (``nbf``/``exp``) and thumbprint. Without a
policy a new certificate gets the one Key Vault derives from the certificate — issuer
``Unknown``, the certificate's subject, usages and key, ``validity_months`` rounded up, email
the contacts at 80 % of the lifetime (the real service's answer to an import without a policy,
recorded in Azure/azure-sdk-for-js sdk/keyvault/keyvault-certificates/recordings/…/
certificates_client__merge_and_import_certificates/
recording_can_import_a_certificate_from_a_certificates_base64_secret_value.json); an existing
certificate keeps its policy (assumed: README, open questions).

Refusals are Key Vault's 400 ``BadParameter`` with its words: "X509 Certificate is already
expired" (Azure/azure-sdk-for-net #24986, gruntwork-io/terratest #920), "No certificate with
private key found in the specified X.509 certificate content. …" (Azure/azure-sdk-for-net
#26492, Azure/azure-sdk-for-java #31997), "The specified PKCS#12 X.509 certificate content can
not be read. …" (damienbod/AspNetCoreCertificates #38), "The specified PEM X.509 certificate
content is in an unexpected format. …" for a PKCS#1 key (Azure/azure-cli #19017), "The
specified PEM X.509 certificate content can not be read. …" (Azure-Samples/
ms-identity-python-daemon #21), "Property policy has invalid value" (Azure/azure-sdk-for-net
#11669, Azure/azure-cli #27220). Only RSA keys are emulated, as for creation.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from t2t.sandbox.azure.certificates import (
    KEY_USAGES,
    PEM,
    PKCS12,
    RSA_KEY_SIZES,
    add_months,
    bad_parameter,
)
from t2t.sandbox.azure.model import Certificate, CertificateVersion

ALREADY_EXPIRED = "X509 Certificate is already expired"
NO_PRIVATE_KEY = (
    "No certificate with private key found in the specified X.509 certificate content. Please "
    "specify X.509 certificate content with only one certificate containing private key."
)
PKCS12_UNREADABLE = (
    "The specified PKCS#12 X.509 certificate content can not be read. Please check if "
    "certificate is in valid PKCS#12 format."
)
PEM_UNEXPECTED = (
    "The specified PEM X.509 certificate content is in an unexpected format. Please check if "
    "certificate is in valid PEM format."
)
PEM_UNREADABLE = (
    "The specified PEM X.509 certificate content can not be read. Please check if certificate "
    "is in valid PEM format. Accepted formats: PEM content or Base64 encoded PEM content."
)
POLICY_INVALID = "Property policy has invalid value"

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_LABELS = frozenset({"CERTIFICATE", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"})
"""PKCS#8 keys (plain or encrypted) and certificates: what Key Vault reads in a PEM upload."""


@dataclass(frozen=True)
class Upload:
    """The certificate the request carries and the private key that belongs to it."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def content_type(raw_policy: Any) -> str:
    """How ``value`` is encoded: the request policy's secret content type, PKCS#12 without one;
    400 for a policy Key Vault cannot take."""
    if raw_policy is None:
        return PKCS12
    if not isinstance(raw_policy, dict):
        raise bad_parameter(POLICY_INVALID)
    secret = raw_policy.get("secret_props") or {}
    kind = secret.get("contentType", PKCS12) if isinstance(secret, dict) else None
    if kind not in (PKCS12, PEM):
        raise bad_parameter(POLICY_INVALID)
    return str(kind)


def _password(pwd: Any) -> bytes | None:
    if pwd is None or pwd == "":
        return None
    if not isinstance(pwd, str):
        raise bad_parameter("Property pwd has invalid value")
    return pwd.encode()


def _from_pkcs12(value: str, password: bytes | None) -> tuple[Any, list[x509.Certificate]]:
    try:
        data = base64.b64decode(value, validate=True)
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError, binascii.Error):
        raise bad_parameter(PKCS12_UNREADABLE) from None
    return key, [c for c in (cert, *extra) if c is not None]


def _pem_text(value: str) -> str:
    if "-----BEGIN" in value:
        return value
    try:
        return base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, binascii.Error):
        raise bad_parameter(PEM_UNREADABLE) from None


def _from_pem(value: str, password: bytes | None) -> tuple[Any, list[x509.Certificate]]:
    blocks = [(m.group(1), m.group(0)) for m in _PEM_BLOCK.finditer(_pem_text(value))]
    if not blocks:
        raise bad_parameter(PEM_UNREADABLE)
    if any(label not in _PEM_LABELS for label, _ in blocks):
        raise bad_parameter(PEM_UNEXPECTED)  # e.g. "RSA PRIVATE KEY" (PKCS#1): PKCS#8 only
    keys = [text for label, text in blocks if label.endswith("PRIVATE KEY")]
    try:
        certs = [
            x509.load_pem_x509_certificate(text.encode())
            for label, text in blocks
            if label == "CERTIFICATE"
        ]
        key = serialization.load_pem_private_key(keys[0].encode(), password) if keys else None
    except (ValueError, TypeError):
        raise bad_parameter(PEM_UNREADABLE) from None
    return key, certs


def read_upload(body: dict[str, Any], kind: str, now: dt.datetime) -> Upload:
    """The certificate and key in ``value`` (``kind``: PKCS12 or PEM), or Key Vault's 400."""
    value = body.get("value")
    if not isinstance(value, str) or not value.strip():
        raise bad_parameter("Property value is required.")
    password = _password(body.get("pwd"))
    key, certs = (_from_pem if kind == PEM else _from_pkcs12)(value.strip(), password)
    if key is None or not certs:
        raise bad_parameter(NO_PRIVATE_KEY)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise bad_parameter("Only RSA keys are emulated by the t2t sandbox.")
    numbers = key.public_key().public_numbers()
    mine = [
        c
        for c in certs
        if isinstance(c.public_key(), rsa.RSAPublicKey)
        and c.public_key().public_numbers() == numbers  # type: ignore[union-attr]
    ]
    if len(mine) != 1:
        raise bad_parameter(NO_PRIVATE_KEY)
    if key.key_size not in RSA_KEY_SIZES:
        raise bad_parameter(f"Key size {key.key_size} is not supported for RSA keys.")
    if mine[0].not_valid_after_utc <= now:
        raise bad_parameter(ALREADY_EXPIRED)
    return Upload(mine[0], key)


# -- the policy ------------------------------------------------------------------------------


def _months(start: dt.datetime, end: dt.datetime) -> int:
    """Whole months from ``start`` to ``end``, rounded up (12 months and 10 minutes: 13)."""
    months = max((end.year - start.year) * 12 + end.month - start.month, 0)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    if add_months(start, months) < end:
        months += 1
    return max(months, 1)


def _key_usages(cert: x509.Certificate) -> list[str]:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = []
    for wire, attr in KEY_USAGES.items():
        try:
            if getattr(usage, attr):
                names.append(wire)
        except ValueError:  # encipher_only / decipher_only without key_agreement
            continue
    return names


def _x509_props(cert: x509.Certificate) -> dict[str, Any]:
    props: dict[str, Any] = {"subject": cert.subject.rfc4514_string()}
    try:
        ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        props["ekus"] = [oid.dotted_string for oid in ekus]
    except x509.ExtensionNotFound:
        pass
    usages = _key_usages(cert)
    if usages:
        props["key_usage"] = usages
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = {
            "dns_names": sans.get_values_for_type(x509.DNSName),
            "emails": sans.get_values_for_type(x509.RFC822Name),
        }
        if any(names.values()):
            props["sans"] = {k: v for k, v in names.items() if v}
    except x509.ExtensionNotFound:
        pass
    props["validity_months"] = _months(cert.not_valid_before_utc, cert.not_valid_after_utc)
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = False
    props["basic_constraints"] = {"ca": ca}
    return props


def derived_policy(upload: Upload, kind: str) -> dict[str, Any]:
    """The policy Key Vault makes from an imported certificate (the recording above)."""
    return {
        "key_props": {
            "exportable": True,
            "kty": "RSA",
            "key_size": upload.key.key_size,
            "reuse_key": False,
        },
        "secret_props": {"contentType": kind},
        "x509_props": _x509_props(upload.certificate),
        "lifetime_actions": [
            {"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}
        ],
        "issuer": {"name": "Unknown"},
        "attributes": {"enabled": True},
    }


def import_policy(
    raw: Any, existing: Certificate | None, upload: Upload, kind: str
) -> dict[str, Any]:
    """The certificate's policy after the import: the request's over the derived one; without
    one, the existing certificate's (kept) or the derived one."""
    derived = derived_policy(upload, kind)
    if raw is None:
        return existing.policy if existing is not None else derived
    merged = dict(derived)
    for section in ("key_props", "secret_props", "x509_props", "issuer"):
        given = raw.get(section)
        if given is None:
            continue
        if not isinstance(given, dict):
            raise bad_parameter(POLICY_INVALID)
        merged[section] = {**derived[section], **given}
    if raw.get("lifetime_actions") is not None:
        if not isinstance(raw["lifetime_actions"], list):
            raise bad_parameter(POLICY_INVALID)
        merged["lifetime_actions"] = raw["lifetime_actions"]
    return merged


# -- the version -----------------------------------------------------------------------------


def imported_version(upload: Upload, body: dict[str, Any], now: dt.datetime) -> CertificateVersion:
    """The new version: the certificate's own DER, validity and key; enabled unless the
    request's attributes say otherwise; the request's tags."""
    attributes = body.get("attributes") or {}
    tags = body.get("tags") or {}
    if not isinstance(attributes, dict) or not isinstance(tags, dict):
        raise bad_parameter("Property attributes or tags has invalid value")
    cert = upload.certificate
    return CertificateVersion(
        version=uuid.uuid4().hex,
        cer=base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        key_pem=upload.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        csr="",
        request_id="",
        created_at=now,
        updated_at=now,
        not_before=cert.not_valid_before_utc,
        expires=cert.not_valid_after_utc,
        enabled=attributes.get("enabled") is not False,
        completes_at=now.replace(microsecond=0),  # there at once: cmdlets see whole seconds
        tags={str(k): str(v) for k, v in tags.items()},
        imported=True,
    )
