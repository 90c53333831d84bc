"""`t2t sandbox clock|reset|status|generate` (issue 15): the running sandbox's control API
without curl, run as a user runs them, and checked against the control API itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from t2t.cli.app import EXIT_USAGE
from t2t.sandbox.ca import ensure_tls
from tests.e2e.helpers import ROOT, control, invoke, invoke_answer, run, t2t_cli


def sandbox(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    return t2t_cli("sandbox", *args, env={**base, **(env or {})})


def test_clock_shows_and_moves_the_sandbox_clock(served: tuple[Path, dict[str, Any]]) -> None:
    state, profile = served
    shown = sandbox("clock", "--state", str(state))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("sandbox clock: ") and shown.stdout.endswith("(real time)\n")
    moved = run("sandbox", "clock", "--advance", "3600", state=state)  # T2T_SANDBOX=state
    assert moved.returncode == 0, moved.stderr
    assert control(profile, "GET", "clock")["offsetSeconds"] == 3600
    assert moved.stdout.endswith("(3,600 s ahead of real time)\n")
    later = sandbox("clock", "--state", str(state), "--set", "2040-01-01T00:00:00Z")
    assert later.returncode == 0, later.stderr
    assert control(profile, "GET", "clock")["now"].startswith("2040-01-01T00:00:0")
    back = sandbox("clock", "--state", str(state), "--set", "2030-01-01T00:00:00Z")
    assert (back.returncode, back.stdout) == (1, "")
    assert back.stderr == (
        "error: the sandbox refused POST /_sandbox/clock: the sandbox clock only moves forward\n"
    )
    for wrong in (["--set", "soon"], ["--advance", "-1"], ["--advance", "5", "--set", "2041"]):
        refused = sandbox("clock", "--state", str(state), *wrong)
        assert refused.returncode == EXIT_USAGE, (wrong, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert control(profile, "GET", "clock")["now"].startswith("2040-01-01T00:00:0")


def test_status_summarises_clock_counters_and_faults(served: tuple[Path, dict[str, Any]]) -> None:
    state, profile = served
    plan = run("plan", str(ROOT / "specs" / "quickstart.yaml"), state=state)
    assert plan.returncode == 0, plan.stderr[-2000:]
    rule = {"kind": "throttle", "match": {"service": "exchange", "cmdlet": "Get-Mailbox"}}
    control(profile, "POST", "faults", {**rule, "count": 5, "retryAfter": 1})
    stats = control(profile, "GET", "stats")
    out = sandbox("status", "--state", str(state))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == (
        f"sandbox {profile['baseUrl']} (state {state}, pid {profile['pid']}, strict)"
    )
    assert lines[1].startswith("  clock     ") and lines[1].endswith("(real time)")
    assert lines[2] == (
        f"  requests  {stats['total']:,}: {stats['reads']:,} reads, {stats['writes']:,} writes"
    )
    assert "  faults    1 rule, 0 requests held, 0 objects hidden" in lines
    assert "    #1 throttle service=exchange cmdlet=Get-Mailbox (fired 0 of 5)" in lines
    as_json = json.loads(sandbox("status", "--state", str(state), "--json").stdout)
    assert as_json["stats"] == stats  # the control calls themselves are not counted
    assert as_json["faults"] == control(profile, "GET", "faults")
    assert set(as_json["clock"]) == {"now", "offsetSeconds"}


def test_reset_puts_the_sandbox_back_to_its_seed(served: tuple[Path, dict[str, Any]]) -> None:
    state, profile = served
    contact = {"Name": "t2t-reset-probe", "ExternalEmailAddress": "probe@example.com"}
    invoke(profile, "fabrikam", "New-MailContact", contact)  # a write, as an admin's script
    control(profile, "POST", "clock", {"advanceSeconds": 600})
    control(profile, "POST", "faults", {"kind": "latency", "ms": 1, "match": {}})
    assert control(profile, "GET", "stats")["writes"] >= 1
    assert invoke(profile, "fabrikam", "Get-MailContact", {"Identity": "t2t-reset-probe"})["value"]
    out = sandbox("reset", "--state", str(state))
    assert (out.returncode, out.stdout) == (
        0,
        f"sandbox reset: {profile['baseUrl']} is back to its seed, clock and counters\n",
    )
    assert control(profile, "GET", "clock")["offsetSeconds"] == 0
    assert control(profile, "GET", "faults")["rules"] == []
    assert control(profile, "GET", "stats")["total"] == 0
    gone = invoke_answer(profile, "fabrikam", "Get-MailContact", {"Identity": "t2t-reset-probe"})
    assert gone.status_code == 404 and "ManagementObjectNotFoundException" in gone.text


def test_generate_writes_the_seed_the_module_writes(tmp_path: Path) -> None:
    out = sandbox("generate", "3")
    assert out.returncode == 0, out.stderr
    module = subprocess.run(
        [sys.executable, "-m", "t2t.sandbox.generate", "3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.stdout == module.stdout
    seed = yaml.safe_load(out.stdout)
    contoso = next(t for t in seed["tenants"] if t["name"] == "contoso")
    assert [u["userPrincipalName"] for u in contoso["users"][-3:]] == [
        "user00001@contoso.com",
        "user00002@contoso.com",
        "user00003@contoso.com",
    ]
    target = tmp_path / "seed.yaml"
    written = sandbox("generate", "3", "--target-mail-users", "--out", str(target))
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert "user00003@fabrikam.com" in target.read_text(encoding="utf-8")
    assert sandbox("generate", "-1").returncode == EXIT_USAGE


def test_a_sandbox_that_is_not_running_is_one_line(tmp_path: Path) -> None:
    nothing = sandbox("status", "--state", str(tmp_path / "none"))
    assert nothing.returncode == 1
    assert nothing.stderr.startswith("error: ") and nothing.stderr.count("\n") == 1
    assert "start one: t2t sandbox serve" in nothing.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = tmp_path / "gone"
    gone.mkdir()
    base = f"https://127.0.0.1:{port}"
    endpoints = {k: base for k in ("login", "graph", "exchange")}
    profile = {"baseUrl": base, "caFile": str(ensure_tls(gone).ca_cert), "endpoints": endpoints}
    (gone / "profile.json").write_text(json.dumps(profile), encoding="utf-8")
    for command in (["clock"], ["reset"], ["status"]):
        out = sandbox(*command, "--state", str(gone))
        assert out.returncode == 1, out.stderr
        assert out.stderr.startswith(f"error: no sandbox answers at https://127.0.0.1:{port} ")
        assert out.stderr.endswith(f"start it with: t2t sandbox serve --state {gone}\n")
        assert out.stderr.count("\n") == 1
