"""The sandbox's own certificate authority and its TLS server certificate.

Why: msal, azure-identity and azure-core refuse bearer tokens over plain http
(wire-protocols.md §3.6), so the sandbox must speak HTTPS with a CA that clients
are handed explicitly (§3.7). The CA is made once per state directory and reused,
so a client configured with ``DIR/ca.pem`` keeps working across restarts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")
"""Every name the server certificate covers (the hosts the sandbox binds to)."""

_VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the PEM files uvicorn and clients need."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by the owner only (mode 0600), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def persistent_rsa_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA key kept in ``path`` (PEM, owner-only), made on first use: the sandbox's
    token-signing and module keys must survive restarts, or every client's cache breaks."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA key")
        return loaded
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_private(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return key


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _new_ca(now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t2t sandbox local CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _new_server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, now: dt.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for host in SERVER_NAMES:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY - dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def ensure_tls(state_dir: Path) -> TlsFiles:
    """Create the CA and server certificate in ``state_dir`` unless they already exist."""
    files = TlsFiles(
        ca_cert=state_dir / "ca.pem",
        ca_key=state_dir / "ca-key.pem",
        server_cert=state_dir / "server.pem",
        server_key=state_dir / "server-key.pem",
    )
    if all(p.exists() for p in (files.ca_cert, files.ca_key, files.server_cert, files.server_key)):
        return files
    now = dt.datetime.now(dt.UTC)
    if files.ca_cert.exists() and files.ca_key.exists():
        loaded = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{files.ca_key} does not hold the sandbox's EC CA key")
        ca_key = loaded
        ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    else:
        ca_key, ca_cert = _new_ca(now)
        write_private(files.ca_key, _key_pem(ca_key))
        files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    srv_key, srv_cert = _new_server_cert(ca_key, ca_cert, now)
    write_private(files.server_key, _key_pem(srv_key))
    files.server_cert.write_bytes(srv_cert.public_bytes(serialization.Encoding.PEM))
    return files
