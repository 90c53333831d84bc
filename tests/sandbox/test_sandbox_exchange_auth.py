"""Who may call InvokeCommand (wire-protocols.md §1.5 progression, §1.7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from t2t.sandbox.seed import load_seed
from t2t.sandbox.server import SandboxServer
from tests.conftest import GRAPH_SCOPE, SandboxHandle

NO_ROLE = "2a000000-0000-4000-8000-000000000001"
NO_RBAC = "2a000000-0000-4000-8000-000000000002"
VIEW_ONLY = "2a000000-0000-4000-8000-000000000003"


def test_token_of_another_tenant_is_refused(sandbox: SandboxHandle) -> None:
    fabrikam_token = sandbox.token("fabrikam")
    r = sandbox.invoke("contoso", "Get-OrganizationConfig", token=fabrikam_token)
    assert r.status_code == 401
    r = sandbox.invoke(
        "contoso", "Get-OrganizationConfig", token=fabrikam_token, path_tenant="contoso.com"
    )
    assert r.status_code == 401


def test_wrong_audience_is_refused(sandbox: SandboxHandle) -> None:
    r = sandbox.invoke(
        "contoso", "Get-OrganizationConfig", token=sandbox.token("contoso", GRAPH_SCOPE)
    )
    assert r.status_code == 401
    assert "audience" in r.headers["x-sandbox-reason"]


def test_missing_and_garbage_tokens_are_refused(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/adminapi/beta/contoso.com/InvokeCommand"
    body = {"CmdletInput": {"CmdletName": "Get-OrganizationConfig", "Parameters": {}}}
    assert sandbox.http.post(url, json=body).status_code == 401
    r = sandbox.http.post(url, json=body, headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "segment", ["6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20", "contoso.com", "contoso.onmicrosoft.com"]
)
def test_tenant_segment_is_guid_or_any_domain(sandbox: SandboxHandle, segment: str) -> None:
    r = sandbox.invoke("contoso", "Get-OrganizationConfig", path_tenant=segment)
    assert r.status_code == 200, r.text


def test_unknown_cmdlet_is_a_nul_filled_403(sandbox: SandboxHandle) -> None:
    status, headers, body = sandbox.invoke_raw("contoso", "Get-Nothing")
    assert status == 403
    assert headers["content-encoding"] == "gzip"
    assert body == b"\x00" * 985
    with pytest.raises(httpx.DecodingError):  # what a naive httpx client meets
        sandbox.invoke("contoso", "Get-Nothing")


# -- a second sandbox whose seed has under-privileged clients ----------------------


@pytest.fixture(scope="module")
def restricted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    seed = load_seed().model_dump(mode="json")
    seed["tenants"][0]["clients"] = [
        {"clientId": NO_ROLE, "displayName": "no role"},
        {
            "clientId": NO_RBAC,
            "displayName": "role, no RBAC",
            "appRoles": {"https://outlook.office365.com": ["Exchange.ManageAsApp"]},
        },
        {
            "clientId": VIEW_ONLY,
            "displayName": "view-only",
            "appRoles": {"https://outlook.office365.com": ["Exchange.ManageAsApp"]},
            "exchangeRoleGroups": ["View-Only Organization Management"],
        },
    ]
    folder = tmp_path_factory.mktemp("restricted")
    seed_file: Path = folder / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(seed))
    server = SandboxServer(folder / "state", seed=seed_file).start()
    handle = SandboxHandle(server=server, profile=json.loads(server.profile_path.read_text()))
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


def _token_for(h: SandboxHandle, client_id: str) -> str:
    secrets = json.loads((h.server.state_dir / "secrets.json").read_text())
    result = h.msal_app(
        "contoso", client_id=client_id, secret=secrets[client_id]
    ).acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
    token: str = result["access_token"]
    return token


def test_no_manage_as_app_role_is_401(restricted: SandboxHandle) -> None:
    r = restricted.invoke(
        "contoso", "Get-OrganizationConfig", token=_token_for(restricted, NO_ROLE)
    )
    assert r.status_code == 401
    assert "Exchange.ManageAsApp" in r.headers["x-sandbox-reason"]


def test_role_without_rbac_is_nul_403(restricted: SandboxHandle) -> None:
    status, _, body = restricted.invoke_raw(
        "contoso", "Get-OrganizationConfig", token=_token_for(restricted, NO_RBAC)
    )
    assert status == 403
    assert body == b"\x00" * 985


def test_view_only_reads_but_cannot_write(restricted: SandboxHandle) -> None:
    token = _token_for(restricted, VIEW_ONLY)
    assert (
        restricted.invoke("contoso", "Get-OrganizationRelationship", token=token).status_code == 200
    )
    status, _, _ = restricted.invoke_raw(
        "contoso",
        "New-OrganizationRelationship",
        {"Name": "x", "DomainNames": ["a.example"]},
        token=token,
    )
    assert status == 403
