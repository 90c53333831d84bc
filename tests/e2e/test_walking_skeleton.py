"""Issue 3's walking skeleton, exactly as a user runs it: separate processes, real HTTPS.

sandbox up → plan shows both relationships to create → apply → plan empty (exit 0 with
--detailed-exitcode) → target relationship broken by hand (wrong tenant id in DomainNames) →
plan names the check and shows the one-field update → apply fixes it → a second apply of the
converged pair writes nothing, by the sandbox's own counters.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"
T2T = [sys.executable, "-m", "t2t"]
WRONG_TENANT = "11111111-2222-4333-8444-555555555555"


def run(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, T2T_SANDBOX=str(state))
    return subprocess.run(
        [*T2T, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    state = tmp_path / "sandbox"
    proc = subprocess.Popen(
        [*T2T, "sandbox", "serve", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    profile_path = state / "profile.json"
    deadline = time.monotonic() + 30
    profile: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if profile_path.exists():
            try:
                profile = json.loads(profile_path.read_text())
            except ValueError:
                profile = {}
            if profile.get("pid") == proc.pid:
                break
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("sandbox did not start")
    try:
        yield state, profile
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _tenant(profile: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in profile["tenants"] if t["name"] == name)


def invoke(profile: dict[str, Any], tenant: str, cmdlet: str, params: dict[str, Any]) -> Any:
    """Run a cmdlet the way an admin's script would: msal token, then InvokeCommand."""
    t = _tenant(profile, tenant)
    session = requests.Session()
    session.trust_env = False
    session.verify = profile["caFile"]
    app = msal.ConfidentialClientApplication(
        t["adminApp"]["clientId"],
        client_credential=t["adminApp"]["clientSecret"],
        authority=f"{profile['endpoints']['login']}/{t['tenantId']}",
        instance_discovery=False,
        http_client=session,
    )
    token = app.acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
    assert "access_token" in token, token
    response = httpx.post(
        f"{profile['endpoints']['exchange']}/{t['tenantId']}/InvokeCommand",
        json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    assert response.status_code < 300, response.text
    return response.json()


def stats(profile: dict[str, Any]) -> dict[str, Any]:
    response = httpx.get(
        f"{profile['baseUrl']}/_sandbox/stats",
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    response.raise_for_status()
    return dict(response.json())


def test_relationships_end_to_end(served: tuple[Path, dict[str, Any]]) -> None:
    state, profile = served
    spec = str(SPEC)

    first = run("plan", spec, "--detailed-exitcode", state=state)
    assert first.returncode == 2, first.stdout + first.stderr
    assert "+ target  orgrel.create" in first.stdout
    assert "+ source  orgrel.create" in first.stdout
    assert "Plan: 2 to add, 0 to change, 0 to destroy" in first.stdout

    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 2 done" in applied.stdout

    clean = run("plan", spec, "--detailed-exitcode", state=state)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No changes:" in clean.stdout

    rels = invoke(profile, "fabrikam", "Get-OrganizationRelationship", {})["value"]
    assert len(rels) == 1
    name = rels[0]["Name"]
    invoke(
        profile,
        "fabrikam",
        "Set-OrganizationRelationship",
        {"Identity": name, "DomainNames": [WRONG_TENANT]},
    )

    drift = run("plan", spec, "--detailed-exitcode", state=state)
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert "T2T-E101" in drift.stdout
    assert "InboundMailboxMoveCapabilityMissingException" in drift.stdout
    assert "~ target  orgrel.update" in drift.stdout
    changed = [ln.strip() for ln in drift.stdout.splitlines() if ln.strip().startswith("~ ")]
    assert changed[1:] == [
        f'~ DomainNames = ["{WRONG_TENANT}"] -> ["6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"]'
    ]
    assert "Plan: 0 to add, 1 to change, 0 to destroy" in drift.stdout

    fixed = run("apply", spec, "--auto-approve", state=state)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    rels = invoke(profile, "fabrikam", "Get-OrganizationRelationship", {})["value"]
    assert rels[0]["DomainNames"] == ["6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"]

    before = stats(profile)
    again = run("apply", spec, "--auto-approve", state=state)
    after = stats(profile)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to apply." in again.stdout
    assert after["writes"] == before["writes"]
    assert after["reads"] > before["reads"]  # it did look
