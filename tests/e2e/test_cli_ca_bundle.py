"""The CLI's trust options as a user meets them (subprocesses): `--ca-bundle` checked before
anything connects, refused with the sandbox, and the sandbox unmoved by the CA variables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from t2t.sandbox.ca import ensure_tls
from tests.clients.interceptors import openssl_ca_dir
from tests.e2e.helpers import ROOT, T2T
from tests.plan_schema import check_json_plan

SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"


def t2t(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    done = subprocess.run(
        [*T2T, *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=ROOT,
        timeout=180,
    )
    check_json_plan(args, done.stdout)
    return done


@pytest.mark.parametrize("command", ["plan", "apply", "show"])
def test_a_missing_bundle_is_named_before_anything_connects(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "corp.pem"
    out = t2t(command, str(SPEC), "--ca-bundle", str(missing))
    assert out.returncode == 1
    assert out.stderr == f"error: --ca-bundle {missing}: no such file\n"
    assert out.stdout == ""


def test_a_bundle_with_a_private_key_is_refused(tmp_path: Path) -> None:
    pki = ensure_tls(tmp_path)
    bundle = tmp_path / "corp.pem"
    bundle.write_bytes(pki.ca_cert.read_bytes() + pki.ca_key.read_bytes())
    out = t2t("plan", str(SPEC), "--ca-bundle", str(bundle))
    assert out.returncode == 1
    assert out.stderr == (
        f"error: --ca-bundle {bundle}: holds a private key; a CA bundle holds certificates only\n"
    )


def test_the_sandbox_takes_no_bundle(tmp_path: Path) -> None:
    pki = ensure_tls(tmp_path)
    out = t2t("plan", str(SPEC), "--sandbox", str(tmp_path / "sb"), "--ca-bundle", str(pki.ca_cert))
    assert out.returncode == 1
    assert out.stderr == (
        "error: --ca-bundle is for Microsoft's cloud behind a TLS-inspecting proxy; "
        "the sandbox is trusted by its own CA only\n"
    )
    assert not (tmp_path / "sb").exists()  # refused before a sandbox was started


def test_the_ca_variables_do_not_move_the_sandbox(tmp_path: Path) -> None:
    """Every CA variable on a foreign CA: t2t plan against the sandbox reads both tenants as
    before — Azure Resource Manager and Key Vault too (the walkthrough's spec is in Key Vault
    mode): nothing unknown, exit 0 (changes pending, none blocked)."""
    foreign = ensure_tls(tmp_path).ca_cert
    env = {name: str(foreign) for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")}
    env["SSL_CERT_DIR"] = str(openssl_ca_dir(foreign, tmp_path / "cadir"))
    out = t2t("plan", str(SPEC), "--sandbox", str(tmp_path / "sb"), "--format", "json", env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert '"unknowns": []' in out.stdout
