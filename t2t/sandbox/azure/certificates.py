"""Key Vault certificates: a self-signed X.509 made from a certificate policy, and the JSON the
data plane answers with (certificate bundle, item, pending operation, backing secret).

Real certificates (``cryptography``), so Exchange's check and a client can compare thumbprints
and public keys: ``x5t`` is the base64url SHA-1 of the DER, ``cer`` the base64 DER, the secret
the key and certificate as PKCS#12 (``application/x-pkcs12``) or PEM
(``application/x-pem-file``). Policy wire names and defaults as Key Vault fills them in
("Certificate creation methods" and "About Azure Key Vault certificates",
https://learn.microsoft.com/azure/key-vault/certificates/about-certificates: RSA 2048,
exportable, 12 months, EKUs server and client authentication, auto-renew at 80 % of the
lifetime); shapes as "Get Certificate", "Get Certificate Operation" and "Get Secret" of the REST
reference (https://learn.microsoft.com/rest/api/keyvault/certificates/) and "Monitor and manage
certificate creation" (https://learn.microsoft.com/azure/key-vault/certificates/create-certificate-scenarios).
Only the ``Self`` issuer is emulated.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from t2t.sandbox.azure.errors import AzureError
from t2t.sandbox.azure.model import Certificate, CertificateVersion, Vault

PKCS12 = "application/x-pkcs12"
PEM = "application/x-pem-file"
PENDING_TEXT = (
    "Pending certificate created. Certificate request is in progress. This may take some time "
    "based on the issuer provider. Please check again later."
)
RSA_KEY_SIZES = (2048, 3072, 4096)
"""The RSA key sizes Key Vault supports (https://learn.microsoft.com/azure/key-vault/keys/about-keys)."""
KEY_USAGES = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
    "encipherOnly": "encipher_only",
    "decipherOnly": "decipher_only",
}


def bad_parameter(message: str) -> AzureError:
    return AzureError(400, "BadParameter", message)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unix(when: dt.datetime) -> int:
    return int(when.timestamp())


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


# -- policy ----------------------------------------------------------------------------------


def normalize_policy(raw: Any) -> dict[str, Any]:
    """The policy Key Vault stores: the request's fields over its defaults; 400 BadParameter
    for what the sandbox cannot issue."""
    if not isinstance(raw, dict):
        raise bad_parameter("Property policy is required.")
    key = {"exportable": True, "kty": "RSA", "key_size": 2048, "reuse_key": False}
    key.update(raw.get("key_props") or {})
    secret = {"contentType": PKCS12, **(raw.get("secret_props") or {})}
    x509_props = {
        "ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
        "key_usage": ["digitalSignature", "keyEncipherment"],
        "validity_months": 12,
        **(raw.get("x509_props") or {}),
    }
    issuer = {"name": "Self", **(raw.get("issuer") or {})}
    lifetime = raw.get("lifetime_actions") or [
        {"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "AutoRenew"}}
    ]
    if str(key["kty"]).upper() not in ("RSA", "RSA-HSM"):
        raise bad_parameter(f"Key type {key['kty']} is not emulated by the t2t sandbox (RSA only).")
    if key.get("key_size") not in RSA_KEY_SIZES:
        raise bad_parameter(f"Key size {key.get('key_size')} is not supported for RSA keys.")
    if secret["contentType"] not in (PKCS12, PEM):
        raise bad_parameter(f"Content type {secret['contentType']} is not supported.")
    if not x509_props.get("subject") and not x509_props.get("sans"):
        raise bad_parameter("Either subject or subject alternative names must be specified.")
    months = x509_props["validity_months"]
    if not isinstance(months, int) or not 1 <= months <= 1200:
        raise bad_parameter("validity_months must be a number of months between 1 and 1200.")
    if str(issuer["name"]).lower() != "self":
        raise bad_parameter(
            f"Issuer '{issuer['name']}' is not emulated by the t2t sandbox (self-signed only)."
        )
    return {
        "key_props": key,
        "secret_props": secret,
        "x509_props": x509_props,
        "lifetime_actions": lifetime,
        "issuer": issuer,
        "attributes": {"enabled": True},
    }


def _subject(policy: dict[str, Any]) -> x509.Name:
    subject = str(policy["x509_props"].get("subject") or "")
    try:
        return x509.Name.from_rfc4514_string(subject) if subject else x509.Name([])
    except ValueError as exc:
        raise bad_parameter(f"The subject name '{subject}' is not valid.") from exc


def new_version(
    policy: dict[str, Any], now: dt.datetime, ready_at: dt.datetime
) -> CertificateVersion:
    """A new self-signed version (key, CSR, certificate) valid from ``now`` for the policy's
    months; it exists (its operation completes) at ``ready_at``."""
    props = policy["x509_props"]
    key = rsa.generate_private_key(
        public_exponent=65537, key_size=int(policy["key_props"]["key_size"])
    )
    subject = _subject(policy)
    expires = add_months(now, int(props["validity_months"]))
    extensions: list[x509.ExtensionType] = []
    usages = {v: False for v in KEY_USAGES.values()}
    for u in props.get("key_usage") or []:
        if u in KEY_USAGES:
            usages[KEY_USAGES[u]] = True
    extensions.append(x509.KeyUsage(**usages))
    ekus = [x509.ObjectIdentifier(e) for e in props.get("ekus") or []]
    if ekus:
        extensions.append(x509.ExtendedKeyUsage(ekus or [ExtendedKeyUsageOID.SERVER_AUTH]))
    sans = props.get("sans") or {}
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in sans.get("dns_names") or []]
    names += [x509.RFC822Name(e) for e in sans.get("emails") or []]
    if names:
        extensions.append(x509.SubjectAlternativeName(names))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(expires)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    csr_builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    for ext in extensions:
        builder = builder.add_extension(ext, critical=isinstance(ext, x509.KeyUsage))
        csr_builder = csr_builder.add_extension(ext, critical=isinstance(ext, x509.KeyUsage))
    cert = builder.sign(key, hashes.SHA256())
    csr = csr_builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return CertificateVersion(
        version=uuid.uuid4().hex,
        cer=base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        key_pem=key_pem,
        csr=base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode(),
        request_id=uuid.uuid4().hex,
        created_at=now,
        updated_at=now,
        not_before=now,
        expires=expires,
        completes_at=ready_at,
    )


# -- JSON ------------------------------------------------------------------------------------


def thumbprint(version: CertificateVersion) -> bytes:
    return hashlib.sha1(base64.b64decode(version.cer)).digest()  # noqa: S324 - x5t is SHA-1


def _attributes(vault: Vault, v: CertificateVersion) -> dict[str, Any]:
    return {
        "enabled": v.enabled,
        "nbf": unix(v.not_before),
        "exp": unix(v.expires),
        "created": unix(v.created_at),
        "updated": unix(v.updated_at),
        "recoveryLevel": "Recoverable"
        if vault.enable_purge_protection
        else "Recoverable+Purgeable",
        "recoverableDays": vault.soft_delete_retention_in_days,
    }


def object_id(vault: Vault, kind: str, name: str, version: str | None = None) -> str:
    base = f"https://{vault.host}/{kind}/{name}"
    return f"{base}/{version}" if version else base


def policy_json(vault: Vault, cert: Certificate) -> dict[str, Any]:
    return {"id": object_id(vault, "certificates", cert.name) + "/policy", **cert.policy}


def certificate_json(
    vault: Vault, cert: Certificate, v: CertificateVersion, now: dt.datetime
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": object_id(vault, "certificates", cert.name, v.version),
        "kid": object_id(vault, "keys", cert.name, v.version),
        "sid": object_id(vault, "secrets", cert.name, v.version),
        "x5t": _b64url(thumbprint(v)),
        "cer": v.cer,
        "attributes": _attributes(vault, v),
        "policy": policy_json(vault, cert),
    }
    if v.tags:
        out["tags"] = v.tags
    pending = cert.pending()
    if pending is not None and pending.completes_at > now:
        out["pending"] = {"id": object_id(vault, "certificates", cert.name) + "/pending"}
    return out


def certificate_item(
    vault: Vault, cert: Certificate, v: CertificateVersion, *, versioned: bool
) -> dict[str, Any]:
    """An item of a list: the versioned id in ``versions``, the bare id in the vault's list."""
    out: dict[str, Any] = {
        "id": object_id(vault, "certificates", cert.name, v.version if versioned else None),
        "x5t": _b64url(thumbprint(v)),
        "attributes": _attributes(vault, v),
    }
    if v.tags:
        out["tags"] = v.tags
    return out


def operation_json(
    vault: Vault, cert: Certificate, v: CertificateVersion, now: dt.datetime
) -> dict[str, Any]:
    done = v.completes_at <= now
    out: dict[str, Any] = {
        "id": object_id(vault, "certificates", cert.name) + "/pending",
        "issuer": {"name": cert.policy["issuer"]["name"]},
        "csr": v.csr,
        "cancellation_requested": False,
        "status": "completed" if done else "inProgress",
        "status_details": "" if done else PENDING_TEXT,
        "request_id": v.request_id,
    }
    if done:
        out["target"] = object_id(vault, "certificates", cert.name)
    return out


def secret_value(cert: Certificate, v: CertificateVersion) -> tuple[str, str]:
    """(value, contentType) of the secret behind a certificate version."""
    der = base64.b64decode(v.cer)
    content_type = str(cert.policy["secret_props"]["contentType"])
    if content_type == PEM:
        pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        return v.key_pem + pem.decode(), PEM
    key = serialization.load_pem_private_key(v.key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    pfx = pkcs12.serialize_key_and_certificates(
        None, key, x509.load_der_x509_certificate(der), None, serialization.NoEncryption()
    )
    return base64.b64encode(pfx).decode(), PKCS12


def secret_json(vault: Vault, cert: Certificate, v: CertificateVersion) -> dict[str, Any]:
    value, content_type = secret_value(cert, v)
    out: dict[str, Any] = {
        "value": value,
        "contentType": content_type,
        "id": object_id(vault, "secrets", cert.name, v.version),
        "managed": True,
        "attributes": _attributes(vault, v),
        "kid": object_id(vault, "keys", cert.name, v.version),
    }
    if v.tags:
        out["tags"] = v.tags
    return out
