"""`interactive: device-code` end to end: `t2t plan` as a subprocess signs in to the target as
a person through the sandbox's device flow — the test reads each code from stderr and approves
it as Fabrikam's administrator — plans exactly what the app's credentials plan, and a second
run signs in silently from the encrypted token cache. Declined and expired codes, and a machine
without a keyring, are one clear line each."""

from __future__ import annotations

import json
import os
import re
import ssl
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import ROOT, T2T, run, t2t_cli

CODE = re.compile(r"enter the code ([A-Z0-9]+) to authenticate")
PASSPHRASE = "correct horse battery staple"
ADMIN = "admin@fabrikam.com"


def _spec(tmp_path: Path) -> Path:
    """The quick start with the target signed in to by a person instead of an app."""
    text = (ROOT / "specs" / "quickstart.yaml").read_text(encoding="utf-8")
    app_auth = (
        "  auth:\n    clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e\n"
        "    secret: env:T2T_TARGET_SECRET\n"
    )
    assert app_auth in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace(app_auth, "  auth: {interactive: device-code}\n"), "utf-8")
    return spec


def _env(state: Path, cache: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("T2T_TOKEN_CACHE", "T2T_TOKEN_CACHE_KEY")
    }
    return {**env, "T2T_SANDBOX": str(state), "XDG_CACHE_HOME": str(cache), **extra}


def _start(spec: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*T2T, "plan", str(spec), "--detailed-exitcode"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _next_code(proc: subprocess.Popen[str], seen: list[str]) -> str:
    """Read stderr until the next sign-in prompt; its code."""
    assert proc.stderr is not None
    while line := proc.stderr.readline():
        seen.append(line)
        found = CODE.search(line)
        if found:
            return found.group(1)
    pytest.fail("no sign-in prompt on stderr:\n" + "".join(seen))


def _approve(state: Path, code: str, *extra: str) -> None:
    answer = run("sandbox", "approve", code, "--user", ADMIN, *extra, state=state)
    assert answer.returncode == 0, answer.stderr
    verb = "declined" if "--decline" in extra else "approved"
    assert answer.stdout.startswith(f"{verb} {code} as {ADMIN} for ")


def _finish(proc: subprocess.Popen[str], seen: list[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, "".join(seen) + err


def _actions(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(("  + ", "  ~ ", "  ! "))]


def test_device_code_sign_in_plans_and_is_reused(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec, cache = _spec(tmp_path), tmp_path / "cache"
    env = _env(state, cache, T2T_TOKEN_CACHE_KEY=PASSPHRASE)
    with_app = run("plan", str(ROOT / "specs" / "quickstart.yaml"), state=state)
    requests_log = f"{profile['baseUrl']}/_sandbox/exchange/requests"
    trusted = ssl.create_default_context(cafile=profile["caFile"])
    httpx.delete(requests_log, verify=trusted).raise_for_status()

    proc, seen = _start(spec, env), []
    exchange_code = _next_code(proc, seen)
    assert "target tenant 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60, Exchange Online" in seen[-1]
    _approve(state, exchange_code)
    graph_code = _next_code(proc, seen)
    assert "Microsoft Graph" in seen[-1] and graph_code != exchange_code
    _approve(state, graph_code)
    code, out, err = _finish(proc, seen)
    assert code == 2, out + err  # changes pending, like the app's plan
    assert _actions(out) and _actions(out) == _actions(with_app.stdout)
    assert "Traceback" not in err

    # The cache: sealed (no token, no JWT, no refresh token in clear) and the owner's alone.
    files = sorted((cache / "t2t").glob("token-cache-*"))
    assert [f.name for f in files if not f.name.endswith(".lockfile")] == [
        "token-cache-sandbox.bin"
    ]
    sealed = (cache / "t2t" / "token-cache-sandbox.bin").read_bytes()
    assert sealed.startswith(b"t2t-token-cache-v1\n")
    for clear in (b"eyJ", b"access_token", b"refresh_token", b"AccessToken", b"RefreshToken"):
        assert clear not in sealed
    assert ADMIN.encode() not in sealed
    mode = stat.S_IMODE((cache / "t2t" / "token-cache-sandbox.bin").stat().st_mode)
    assert mode == 0o600

    again = t2t_cli("plan", str(spec), "--detailed-exitcode", env=env)
    assert again.returncode == 2, again.stderr
    assert "enter the code" not in again.stderr  # no prompt: the cache signed in
    assert _actions(again.stdout) == _actions(out)

    # Each Exchange request of the person's session was anchored on that person, as the
    # module's delegated session is (wire-protocols.md §1.2); the app's source on its tenant.
    answer = httpx.get(requests_log, verify=trusted)
    anchors = {(e["tenant"], e["anchor"]) for e in answer.json()["requests"]}
    target_id = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
    assert {a for t, a in anchors if t == target_id} == {f"UPN:{ADMIN}"}
    assert all(a.startswith("APP:SystemMailbox{") for t, a in anchors if t != target_id)

    # A person's apply works, and its audit trail names who signed in to each service.
    applied = t2t_cli("apply", str(spec), "--auto-approve", env=env)
    assert "enter the code" not in applied.stderr and "Traceback" not in applied.stderr
    trail = (tmp_path / "spec.yaml.audit.jsonl").read_text(encoding="utf-8").splitlines()
    start = json.loads(trail[0])
    source = next(t for t in profile["tenants"] if t["name"] != "Fabrikam")
    assert {k: start["operator"][k] for k in ("source", "target")} == {
        "source": {
            "tenantId": source["tenantId"],
            "clientId": source["adminApp"]["clientId"],
            "sandbox": True,
        },
        "target": {
            "tenantId": "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60",
            "interactive": "device-code",
            "signedIn": {"Exchange Online": ADMIN, "Microsoft Graph": ADMIN},
        },
    }
    # As with the app: nothing fails (the batch may wait for Exchange to provision licences).
    assert ", 0 failed, 0 skipped" in applied.stdout, applied.stdout
    assert applied.returncode == 0, applied.stderr

    wrong = t2t_cli("plan", str(spec), env={**env, "T2T_TOKEN_CACHE_KEY": "another passphrase"})
    assert wrong.returncode == 1
    assert wrong.stderr.count("error:") == 1 and "Traceback" not in wrong.stderr
    assert "cannot open the token cache" in wrong.stderr
    assert "another passphrase sealed it" in wrong.stderr


def test_a_poll_lost_on_the_way_keeps_the_same_code(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The sandbox drops the answer to the first poll of the person's code (a connection
    closed between polls, as a keep-alive timeout does): t2t polls the same code again, so the
    person approves the code on their screen and sees the next service's prompt, not the same
    service's second code."""
    state, profile = served
    trusted = ssl.create_default_context(cafile=profile["caFile"])
    faults = f"{profile['baseUrl']}/_sandbox/faults"
    target_token = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60/oauth2/v2.0/token"
    rule = {"kind": "drop", "count": 1, "match": {"service": "identity", "path": target_token}}
    httpx.post(faults, json=rule, verify=trusted).raise_for_status()
    env = _env(state, tmp_path / "cache", T2T_TOKEN_CACHE_KEY=PASSPHRASE)
    proc, seen = _start(_spec(tmp_path), env), []
    exchange_code = _next_code(proc, seen)
    assert "Exchange Online" in seen[-1]
    deadline = time.monotonic() + 60
    while httpx.get(faults, verify=trusted).json()["rules"]:  # the rule fires once, then goes
        assert time.monotonic() < deadline, "the first poll never came"
        time.sleep(0.2)
    _approve(state, exchange_code)
    graph_code = _next_code(proc, seen)
    assert "Microsoft Graph" in seen[-1] and graph_code != exchange_code
    _approve(state, graph_code)
    code, out, err = _finish(proc, seen)
    assert code == 2, out + err
    prompts = [ln for ln in err.splitlines() if "enter the code" in ln]
    assert [p.split(": To sign in")[0] for p in prompts] == [
        "target tenant 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60, Exchange Online",
        "target tenant 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60, Microsoft Graph",
    ]
    assert "Traceback" not in err


def _one_error(err: str) -> str:
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    return errors[0]


def test_a_declined_code_is_one_line(served: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    state, _profile = served
    env = _env(state, tmp_path / "cache", T2T_TOKEN_CACHE_KEY=PASSPHRASE)
    proc, seen = _start(_spec(tmp_path), env), []
    _approve(state, _next_code(proc, seen), "--decline")
    code, out, err = _finish(proc, seen)
    assert code == 1 and out == ""
    assert _one_error(err) == (
        "error: target tenant 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60: Exchange Online sign-in "
        "failed: authorization_declined: the sign-in was declined at the verification page"
    )


def test_an_expired_code_is_one_line(served: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    state, _profile = served
    env = _env(state, tmp_path / "cache", T2T_TOKEN_CACHE_KEY=PASSPHRASE)
    proc, seen = _start(_spec(tmp_path), env), []
    code_text = _next_code(proc, seen)
    moved = run("sandbox", "clock", "--advance", "901", state=state)  # past expires_in (900 s)
    assert moved.returncode == 0, moved.stderr
    code, out, err = _finish(proc, seen)
    assert code == 1 and out == ""
    assert _one_error(err) == (
        "error: target tenant 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60: Exchange Online sign-in "
        "failed: expired_token: the code expired before anyone signed in with it; run the "
        "command again"
    )
    late = run("sandbox", "approve", code_text, "--user", ADMIN, state=state)
    assert late.returncode == 1
    assert "AADSTS70018" in late.stderr or "AADSTS70019" in late.stderr


def test_no_keyring_refuses_rather_than_keep_tokens_in_clear(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Without T2T_TOKEN_CACHE_KEY or T2T_TOKEN_CACHE=plaintext, a machine whose keyring
    cannot be loaded (here: libsecret's Python binding, gi, fails to import) is refused before
    any prompt, with the three fixes named."""
    state, _profile = served
    stub = tmp_path / "no-keyring"
    stub.mkdir()
    (stub / "gi.py").write_text("raise ImportError('No module named gi (no libsecret here)')\n")
    env = _env(state, tmp_path / "cache", PYTHONPATH=str(stub))
    result = t2t_cli("plan", str(_spec(tmp_path)), env=env)
    assert result.returncode == 1
    line = _one_error(result.stderr)
    assert "enter the code" not in result.stderr
    assert line.startswith("error: cannot encrypt the sign-in token cache: no OS keyring here")
    for fix in ("gnome-keyring", "T2T_TOKEN_CACHE_KEY", "T2T_TOKEN_CACHE=plaintext"):
        assert fix in line
    assert not (tmp_path / "cache" / "t2t" / "token-cache-sandbox.bin").exists()
