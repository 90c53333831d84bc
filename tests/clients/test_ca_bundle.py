"""An operator's `--ca-bundle` is checked whole before anything connects (trust.py
`check_ca_bundle`): every refusal names the option and the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from t2t.clients.errors import CaBundleError
from t2t.clients.trust import CA_BUNDLE_MAX_BYTES, check_ca_bundle
from t2t.sandbox.ca import TlsFiles, ensure_tls


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_tls(tmp_path_factory.mktemp("corporate"))


def refusal(path: Path) -> str:
    with pytest.raises(CaBundleError) as refused:
        check_ca_bundle(path)
    return str(refused.value)


def test_a_ca_certificate_and_a_whole_public_bundle_are_accepted(pki: TlsFiles) -> None:
    assert check_ca_bundle(pki.ca_cert) == pki.ca_cert.resolve()
    assert check_ca_bundle(Path(certifi.where())) == Path(certifi.where()).resolve()


def test_a_missing_file_and_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "corp.pem"
    assert refusal(missing) == f"--ca-bundle {missing}: no such file"
    assert refusal(tmp_path) == f"--ca-bundle {tmp_path}: not a file"


def test_text_without_a_certificate(tmp_path: Path) -> None:
    for content in (b"", b"not a certificate\n", b"\x00\xff" * 10):
        bundle = tmp_path / "corp.pem"
        bundle.write_bytes(content)
        assert refusal(bundle) == (
            f"--ca-bundle {bundle}: no PEM certificate in it "
            "(expected -----BEGIN CERTIFICATE----- blocks)"
        )


def test_a_broken_certificate_block(tmp_path: Path, pki: TlsFiles) -> None:
    bundle = tmp_path / "corp.pem"
    broken = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    bundle.write_bytes(pki.ca_cert.read_bytes() + broken)
    assert refusal(bundle).startswith(f"--ca-bundle {bundle}: OpenSSL cannot read it (")


def test_a_private_key_does_not_belong_in_a_trust_list(tmp_path: Path, pki: TlsFiles) -> None:
    bundle = tmp_path / "corp.pem"
    bundle.write_bytes(pki.ca_cert.read_bytes() + pki.ca_key.read_bytes())
    assert refusal(bundle) == (
        f"--ca-bundle {bundle}: holds a private key; a CA bundle holds certificates only"
    )


def test_a_server_certificate_is_not_a_ca(tmp_path: Path, pki: TlsFiles) -> None:
    bundle = tmp_path / "corp.pem"
    bundle.write_bytes(pki.ca_cert.read_bytes() + pki.server_cert.read_bytes())
    assert refusal(bundle) == (
        f"--ca-bundle {bundle}: certificate 2 (CN=localhost) is not a CA certificate "
        "(basicConstraints CA:FALSE); name the proxy's CA, not a server's"
    )


def test_a_file_too_large_to_be_a_bundle_is_not_read(tmp_path: Path) -> None:
    bundle = tmp_path / "huge.pem"
    with bundle.open("wb") as fh:
        fh.truncate(CA_BUNDLE_MAX_BYTES + 1)
    assert refusal(bundle) == (
        f"--ca-bundle {bundle}: {CA_BUNDLE_MAX_BYTES + 1} bytes; a CA bundle is PEM "
        "certificates, at most 4 MiB"
    )
