"""`interactive: device-code` in a spec: what `validate` accepts is what `plan` can sign in
with, and anything else is a positioned error."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.spec import SpecInvalid, load_spec

ROOT = Path(__file__).resolve().parents[2]
TARGET_APP = (
    "  auth:\n"
    "    clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e\n"
    "    secret: env:T2T_TARGET_SECRET\n"
)


def _spec(tmp_path: Path, example: str, target_auth: str) -> Path:
    text = (ROOT / "specs" / example).read_text(encoding="utf-8")
    assert TARGET_APP in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace(TARGET_APP, target_auth), encoding="utf-8")
    return spec


def _errors(spec: Path) -> list[str]:
    with pytest.raises(SpecInvalid) as raised:
        load_spec(spec, check_git=False)
    return [str(e) for e in raised.value.errors]


def test_device_code_is_accepted_in_client_secret_mode(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "quickstart.yaml", "  auth: {interactive: device-code}\n")
    desired = load_spec(spec, check_git=False)
    assert desired.target.auth.interactive == "device-code"
    assert desired.target.auth.client_id is None


def test_a_client_id_beside_device_code_is_an_error_at_the_client_id(tmp_path: Path) -> None:
    auth = (
        "  auth:\n    clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e\n"
        "    interactive: device-code\n"
    )
    spec = _spec(tmp_path, "quickstart.yaml", auth)
    line = spec.read_text().splitlines().index("    clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e")
    assert _errors(spec) == [
        f"{spec}:{line + 1}:15: target.auth.clientId: not used with interactive: device-code (a "
        "person signs in through Microsoft's own Exchange and Graph PowerShell clients); remove it"
    ]


def test_device_code_cannot_reach_key_vault(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "contoso-to-fabrikam.yaml", "  auth:\n    interactive: device-code\n")
    line = spec.read_text().splitlines().index("    interactive: device-code")
    assert _errors(spec) == [
        f"{spec}:{line + 1}:18: target.auth.interactive: a person's sign-in reaches Exchange and "
        "Graph only, not Azure Key Vault; with credential: keyVaultCertificate give the target a "
        "secret, a certificate or azureIdentity (or use credential: clientSecret)"
    ]


def test_another_interactive_flow_is_refused(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "quickstart.yaml", "  auth: {interactive: browser}\n")
    errors = _errors(spec)
    assert len(errors) == 1 and "target.auth.interactive" in errors[0]
    assert "device-code" in errors[0]
