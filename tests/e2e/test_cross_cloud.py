"""A source and a target in two Microsoft clouds (T2T-E113), end to end on `t2t sandbox serve`:
the plan names the pair from each tenant's OpenID configuration before any write, apply writes
nothing in either tenant, and — bypassed by hand — the target's Exchange cannot reach the source
through a migration endpoint ("Cross cloud tenant to tenant migration is not supported", Learn's
FAQ).

The defect, from the seed: fabrikam lives in GCC High (`cloud: gcchigh`), as its OpenID
configuration says; contoso in the worldwide cloud.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from t2t.sandbox.seed import load_seed
from tests.e2e.helpers import invoke_answer, plan_json, run, stats
from tests.e2e.test_batches import two_waves


@pytest.fixture
def sandbox_seed(tmp_path: Path) -> Path:
    """The default seed with the target tenant in GCC High."""
    data = load_seed().model_dump(mode="json", exclude_defaults=True)
    [fabrikam] = [t for t in data["tenants"] if t["name"] == "fabrikam"]
    fabrikam["cloud"] = "gcchigh"
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def openid(profile: dict[str, Any], tenant: str) -> dict[str, Any]:
    [t] = [x for x in profile["tenants"] if x["name"] == tenant]
    url = f"{profile['endpoints']['login']}/{t['tenantId']}/v2.0/.well-known/openid-configuration"
    answer = httpx.get(url, verify=ssl.create_default_context(cafile=profile["caFile"]))
    answer.raise_for_status()
    return dict(answer.json())


def test_tenants_in_two_clouds_are_named_before_any_write_and_nothing_is_written(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    target_doc, source_doc = openid(profile, "fabrikam"), openid(profile, "contoso")
    assert (target_doc["cloud_instance_name"], target_doc["tenant_region_sub_scope"]) == (
        "microsoftonline.us",
        "DODCON",
    )
    assert source_doc["cloud_instance_name"] == "microsoftonline.com"
    assert "tenant_region_sub_scope" not in source_doc

    writes = stats(profile)["writes"]
    plan = plan_json(spec, state, profile)  # read-only, and the committed schema's form
    [e113] = [f for f in plan["findings"] if f["code"] == "T2T-E113"]
    assert (e113["object"], e113["severity"]) == ("worldwide → usgov-gcchigh", "error")
    assert "cloud_instance_name microsoftonline.us" in e113["message"]
    assert "Cross cloud tenant to tenant migration is not supported" in e113["prevents"]
    assert plan["actions"], "the plan still shows what it would do"
    assert all("T2T-E113" in a["blocked_by"] for a in plan["actions"]), [
        a["id"] for a in plan["actions"] if "T2T-E113" not in a["blocked_by"]
    ]

    text = run("plan", spec, state=state)
    assert text.returncode == 3 and "T2T-E113" in text.stdout, text.stdout[-3000:]

    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode != 0, applied.stdout[-3000:]
    assert stats(profile)["writes"] == writes  # nothing written in either tenant

    # Bypassed: the endpoint an administrator would create in the target, by hand.
    refused = invoke_answer(
        profile,
        "fabrikam",
        "New-MigrationEndpoint",
        {
            "Name": "contoso-by-hand",
            "ExchangeRemoteMove": True,
            "RemoteServer": "outlook.office.com",
            "RemoteTenant": "contoso.onmicrosoft.com",
            "ApplicationId": "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f",
        },
    )
    assert refused.status_code >= 400, refused.text
    assert "MigrationServerConnectionFailedException" in refused.text
    assert "The remote tenant 'contoso.onmicrosoft.com' couldn't be found." in refused.text
