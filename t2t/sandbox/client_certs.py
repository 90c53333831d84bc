"""Certificates of the seeded confidential clients, made per state directory.

Like client secrets (state.py), no private key lives in git: on first start each seeded
client gets an RSA key and a self-signed certificate in ``DIR/clients/<clientId>.pem``
(key + certificate, the PEM form azure-identity's ``CertificateCredential`` and MSAL
read), and its public certificate is registered on the app as a ``keyCredential``
(``type: AsymmetricX509Cert``, ``usage: Verify``, wire-protocols.md §2.1).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from t2t.sandbox.ca import write_private
from t2t.sandbox.model import KeyCredential, SandboxState


@dataclass(frozen=True)
class ClientCertificate:
    client_id: str
    path: Path
    der: bytes

    @property
    def sha1_thumbprint(self) -> str:
        """Hex SHA-1, the ``thumbprint`` MSAL's client_credential dict takes."""
        return hashlib.sha1(self.der).hexdigest().upper()  # noqa: S324 - certificate thumbprint

    def key_credential(self) -> KeyCredential:
        cert = x509.load_der_x509_certificate(self.der)
        return KeyCredential(
            key_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"t2t-sandbox:{self.sha1_thumbprint}")),
            key=base64.b64encode(self.der).decode(),
            display_name=cert.subject.rfc4514_string(),
            custom_key_identifier=self.sha1_thumbprint,
            start_date_time=cert.not_valid_before_utc,
            end_date_time=cert.not_valid_after_utc,
        )


def _make(path: Path, client_id: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"t2t-sandbox-{client_id}")])
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + cert.public_bytes(serialization.Encoding.PEM)
    write_private(path, pem)


def ensure_client_certificates(state_dir: Path, client_ids: list[str]) -> list[ClientCertificate]:
    folder = state_dir / "clients"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for cid in client_ids:
        path = folder / f"{cid.lower()}.pem"
        if not path.exists():
            _make(path, cid.lower())
        pem = path.read_bytes()
        cert = x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE-----") :])
        out.append(
            ClientCertificate(cid.lower(), path, cert.public_bytes(serialization.Encoding.DER))
        )
    return out


def register_certificates(state: SandboxState, certs: list[ClientCertificate]) -> None:
    """Add each client's certificate to its app registration (idempotent)."""
    for c in certs:
        for tenant in state.tenants:
            app = tenant.application(c.client_id)
            if app is None:
                continue
            cred = c.key_credential()
            if all(k.key_id != cred.key_id for k in app.key_credentials):
                app.key_credentials = [*app.key_credentials, cred]
