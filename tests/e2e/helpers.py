"""Helpers for end-to-end tests: a `t2t sandbox serve` process, the CLI in a
subprocess, and raw admin calls the way a person's script would make them."""

from __future__ import annotations

import atexit
import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import msal
import requests

from t2t.clients import wire
from tests.e2e.forked_cli import ForkedCli
from tests.plan_schema import check_json_plan

ROOT = Path(__file__).resolve().parents[2]
T2T = [sys.executable, "-m", "t2t"]
WRONG_TENANT = "11111111-2222-4333-8444-555555555555"
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def interruptible() -> None:
    """`Popen(preexec_fn=…)` for a child a test stops with SIGINT (Ctrl-C): its default action
    again in the child. A shell starts a background job with SIGINT ignored (`make test &`,
    `nohup`), the ignoring is inherited, and Python keeps an ignored SIGINT ignored — such a
    child never sees the test's Ctrl-C (an interrupted apply would run to its end)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


_FORKED: list[ForkedCli] = []


def forked() -> ForkedCli:
    """This test process's pre-imported t2t (tests/e2e/forked_cli.py), started on first use."""
    if not _FORKED:
        _FORKED.append(ForkedCli())
        atexit.register(_FORKED[0].close)
    return _FORKED[0]


def t2t_cli(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m t2t ARGS` as a user runs it: its own process (forked from an interpreter that
    has imported t2t once, which saves the 1–2 s of imports per run) with exactly `env` as its
    environment and `cwd` as its folder, stdin closed, output captured, killed after 120 s.
    A JSON plan it prints is checked against the committed schema (tests/plan_schema.py)."""
    done = forked().run(*args, env=env, replace_env=True, cwd=cwd)
    check_json_plan(args, done.stdout)
    return done


def run(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    """`t2t ARGS` against the sandbox in `state`, with the test's environment."""
    return t2t_cli(*args, env=dict(os.environ, T2T_SANDBOX=str(state)))


def _tenant(profile: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in profile["tenants"] if t["name"] == name)


def token(profile: dict[str, Any], tenant: str, scope: str) -> str:
    """An admin token the way an admin's script gets one: msal, the sandbox CA, no env CA."""
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
    result = app.acquire_token_for_client(scopes=[scope])
    assert "access_token" in result, result
    return str(result["access_token"])


def invoke_answer(
    profile: dict[str, Any], tenant: str, cmdlet: str, params: dict[str, Any]
) -> httpx.Response:
    """Send a cmdlet the way an admin's script would (msal token, then InvokeCommand) and
    return Exchange's answer as it comes, refused or not."""
    t = _tenant(profile, tenant)
    return httpx.post(
        f"{profile['endpoints']['exchange']}/{t['tenantId']}/InvokeCommand",
        json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}},
        headers={"Authorization": f"Bearer {token(profile, tenant, EXCHANGE_SCOPE)}"},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )


def invoke(profile: dict[str, Any], tenant: str, cmdlet: str, params: dict[str, Any]) -> Any:
    """Run a cmdlet the way an admin's script would: msal token, then InvokeCommand."""
    response = invoke_answer(profile, tenant, cmdlet, params)
    assert response.status_code < 300, response.text
    return response.json()


def module_secure_string(profile: dict[str, Any], tenant: str, plain: str) -> str:
    """A SecureString parameter (New-MailUser's -Password) as the Exchange Online module sends
    it: encrypted with the key of the module the tenant serves (EXOModuleFile; the guesses are
    t2t/clients/wire.py's)."""
    t = _tenant(profile, tenant)
    module = httpx.get(
        f"{profile['endpoints']['exchange'].replace('/beta', '/v1.0')}/{t['tenantId']}"
        "/EXOModuleFile",
        params={"Version": wire.MODULE_VERSION},
        headers={"Authorization": f"Bearer {token(profile, tenant, EXCHANGE_SCOPE)}"},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    assert module.status_code == 200, module.text
    key = wire.public_key_from_module(module.json()["value"][0]["fileContent"])
    return wire.encrypt(key, wire.secure_string(plain))


def graph(profile: dict[str, Any], tenant: str, method: str, path: str, body: Any = None) -> Any:
    """A Graph call as the tenant's admin app."""
    response = httpx.request(
        method,
        f"{profile['endpoints']['graph']}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token(profile, tenant, GRAPH_SCOPE)}"},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def exchange_requests(profile: dict[str, Any], cmdlet: str) -> list[dict[str, Any]]:
    """The InvokeCommand bodies the sandbox received for ``cmdlet``, exactly as sent."""
    response = httpx.get(
        f"{profile['baseUrl']}/_sandbox/exchange/requests",
        params={"cmdlet": cmdlet},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    response.raise_for_status()
    return list(response.json()["requests"])


def plan_json(spec: str, state: Path, profile: dict[str, Any]) -> dict[str, Any]:
    """`t2t plan --format json`, and that it wrote nothing (the sandbox's write counter)."""
    before = stats(profile)["writes"]
    plan = run("plan", spec, "--format", "json", state=state)
    assert plan.returncode in (0, 2, 3, 6), plan.stdout[-3000:] + plan.stderr  # 6: left out
    assert stats(profile)["writes"] == before  # read-only
    return dict(json.loads(plan.stdout))


def stats(profile: dict[str, Any]) -> dict[str, Any]:
    response = httpx.get(
        f"{profile['baseUrl']}/_sandbox/stats",
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    response.raise_for_status()
    return dict(response.json())


def control(profile: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    """A call to the sandbox's own control API (`/_sandbox/...`): arranging a state Microsoft
    has no API for (a clock, faults, a maintenance move)."""
    response = httpx.request(
        method,
        f"{profile['baseUrl']}/_sandbox/{path}",
        json=body,
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None
