"""State directory lifecycle: CA reuse, persistence across restarts, seed handling, schema."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from t2t.sandbox.seed import load_seed, seed_json_schema
from t2t.sandbox.server import SandboxServer
from t2t.sandbox.state import SeedMismatchError
from tests.conftest import SandboxHandle

REPO = Path(__file__).resolve().parents[2]


def _handle(server: SandboxServer) -> SandboxHandle:
    return SandboxHandle(server=server, profile=json.loads(server.profile_path.read_text()))


def test_profile_format(sandbox: SandboxHandle) -> None:
    p = sandbox.profile
    assert set(p) == {"version", "baseUrl", "caFile", "pid", "strictness", "endpoints", "tenants"}
    assert p["version"] == 1
    assert p["strictness"] == "strict"
    assert p["endpoints"] == {
        "login": p["baseUrl"],
        "graph": f"{p['baseUrl']}/v1.0",
        "exchange": f"{p['baseUrl']}/adminapi/beta",
        "arm": p["baseUrl"],
        "keyVault": f"{p['baseUrl']}/keyvault/{{name}}",
    }
    contoso = p["tenants"][0]
    assert contoso["domains"] == ["contoso.onmicrosoft.com", "contoso.com"]
    assert set(contoso["adminApp"]) == {
        "clientId",
        "clientSecret",
        "certificatePath",
        "certificateThumbprint",
    }
    assert Path(contoso["adminApp"]["certificatePath"]).stat().st_mode & 0o077 == 0
    assert Path(p["caFile"]).is_absolute()


def test_restart_keeps_state_ca_and_secrets(tmp_path: Path) -> None:
    state_dir = tmp_path / "sb"
    with SandboxServer(state_dir) as server:
        h = _handle(server)
        r = h.invoke(
            "contoso",
            "New-OrganizationRelationship",
            {"Name": "kept", "DomainNames": ["k.example"]},
        )
        assert r.status_code == 200
        ca = server.ca_path.read_bytes()
        secret = h.tenant("contoso")["adminApp"]["clientSecret"]
        h.close()
    assert stat.S_IMODE((state_dir / "ca-key.pem").stat().st_mode) == 0o600
    with SandboxServer(state_dir) as server:
        h = _handle(server)
        assert server.ca_path.read_bytes() == ca
        assert h.tenant("contoso")["adminApp"]["clientSecret"] == secret
        names = [
            v["Name"] for v in h.invoke("contoso", "Get-OrganizationRelationship").json()["value"]
        ]
        assert names == ["kept"]
        h.close()


def test_different_seed_is_refused(tmp_path: Path) -> None:
    state_dir = tmp_path / "sb"
    SandboxServer(state_dir)  # creates state from the default seed
    other = load_seed().model_dump(mode="json")
    other["tenants"][0]["displayName"] = "Contoso Ltd"
    seed_file = tmp_path / "other.yaml"
    seed_file.write_text(yaml.safe_dump(other))
    with pytest.raises(SeedMismatchError, match="different seed"):
        SandboxServer(state_dir, seed=seed_file)


def test_same_seed_is_accepted(tmp_path: Path) -> None:
    seed_file = tmp_path / "same.yaml"
    seed_file.write_text(yaml.safe_dump(load_seed().model_dump(mode="json")))
    SandboxServer(tmp_path / "sb", seed=seed_file)
    SandboxServer(tmp_path / "sb", seed=seed_file)


def test_committed_schema_matches_models() -> None:
    committed = json.loads((REPO / "schemas" / "sandbox-seed.schema.json").read_text())
    assert committed == seed_json_schema(), (
        "schemas/sandbox-seed.schema.json is stale; "
        "regenerate it from t2t.sandbox.seed.seed_json_schema()"
    )


def test_default_seed_has_the_two_tenants() -> None:
    seed = load_seed()
    assert [t.name for t in seed.tenants] == ["contoso", "fabrikam"]
    contoso, fabrikam = seed.tenants
    assert contoso.tenantId == "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
    assert fabrikam.applications[0].appId == "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
    assert not contoso.organizationRelationships and not fabrikam.organizationRelationships
