"""Two applies at once cannot both act (issue 16): the apply lease (t2t/apply/lease.py) end to
end, `t2t apply` in its own processes against `t2t sandbox serve` (strict profile).

- Two applies started together: one holds the lease and acts, the other exits 1 within
  seconds naming the lease, its holder's run and age, having started no action; afterwards
  no object of any kind exists twice (the crash sweep's own inventory of the sandbox's
  state, tests/e2e/crash.py) and no lease is left.
- An apply killed while it acts leaves its lease: the next apply is refused naming that run,
  until `--force-unlock` removes it and takes a new one (removed again at the end, here of a
  failed apply).
- The lease is removed after a failed apply and after an interrupted one (Ctrl-C); a saved
  plan's apply takes it too; `t2t plan` never does.

The moment a run is caught acting is arranged with a sandbox ``hold`` rule on its first
New-MailUser (t2t/sandbox/holds.py, sandbox-only): the run holding the lease cannot finish
while that request is held, so which run is refused does not depend on timing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.e2e.apply_order import served, write_seed
from tests.e2e.crash import Sandbox, converge, inventory, write_crash_spec
from tests.e2e.helpers import ROOT, T2T, control, exchange_requests, interruptible, invoke, run

QUICKSTART = str(ROOT / "specs" / "quickstart.yaml")
HOLD_NEW_MAILUSER = {
    "kind": "hold",
    "count": 1,
    "match": {"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MailUser"},
}
RUN_ID = re.compile(r"run ([0-9a-f]{12})")


def _start(state: Path, *args: str) -> subprocess.Popen[str]:
    """`t2t --log-format json apply …` in the background (JSON log lines on stderr)."""
    return subprocess.Popen(
        [*T2T, "--log-format", "json", "--log-level", "info", "apply", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, T2T_SANDBOX=str(state)),
        cwd=ROOT,
        preexec_fn=interruptible,  # one test stops it with Ctrl-C
    )


def _wait(until: Any, what: str, timeout: float = 120) -> Any:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        found = until()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _held(profile: dict[str, Any], rule: int) -> list[dict[str, Any]]:
    return [h for h in control(profile, "GET", "faults")["held"] if h["rule"] == rule]


def _leases(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for c in invoke(profile, "fabrikam", "Get-MailContact", {})["value"]
        if c["Name"].startswith("t2t-lease-")
    ]


def _actions(stderr: str) -> list[str]:
    """The actions a run reported (its `apply.action` JSON log events)."""
    out = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "apply.action":
            out.append(str(event.get("action")))
    return out


def _statuses(profile: dict[str, Any], cmdlet: str) -> list[int]:
    return [int(r["status"]) for r in exchange_requests(profile, cmdlet)]


def test_two_applies_at_once_one_acts_the_other_is_refused_naming_the_lease(
    tmp_path: Path,
) -> None:
    seed, state = tmp_path / "seed.yaml", tmp_path / "state"
    write_seed(seed, 3)
    spec = write_crash_spec(tmp_path / "spec.yaml", 3)
    with served(state, seed) as profile:
        sandbox = Sandbox(state, profile)
        try:
            initial = sandbox.state_json()
            control(profile, "POST", "faults", HOLD_NEW_MAILUSER)
            started = time.monotonic()
            runs = [_start(state, str(spec.path), "--auto-approve") for _ in range(2)]
            loser = _wait(
                lambda: next((p for p in runs if p.poll() is not None), None), "a refusal"
            )
            refused_after = time.monotonic() - started
            winner = next(p for p in runs if p is not loser)
            out, err = loser.communicate()
            assert winner.poll() is None  # still acting: its New-MailUser is held
            [lease] = _leases(profile)
            holder = RUN_ID.search(lease["DisplayName"])
            assert holder is not None, lease

            assert loser.returncode == 1, out[-2000:] + err[-2000:]
            assert refused_after < 60  # plan, then one refused New-MailContact
            refusal = next(ln for ln in err.splitlines() if ln.startswith("error: "))
            assert refusal.startswith(
                f"error: another apply holds the apply lease {lease['Name']} (a mail contact "
                f"in the target tenant): run {holder[1]} by "
            ), refusal
            assert re.search(r", started \d+ s ago \(", refusal), refusal
            assert "--force-unlock" in refusal
            assert _actions(err) == []  # it started nothing
            assert "Apply complete" not in out and "Apply incomplete" not in out

            control(profile, "DELETE", "faults")  # releases the held request
            wout, werr = winner.communicate(timeout=600)
            assert winner.returncode == 0, wout[-3000:] + werr[-3000:]
            assert f"as run {holder[1]} (" in werr  # the one that held it acted
            assert len(_actions(werr)) > 0 and " 0 failed" in wout
            assert _leases(profile) == []
            assert sorted(_statuses(profile, "New-MailContact")) == [200, 400]

            converge(sandbox, spec.path, tmp_path / "converge.log")
            found = inventory(initial, sandbox.state_json(), spec)
            assert found.duplicate_total == 0, found.to_json()
            assert found.problems == [], found.to_json()
        finally:
            sandbox.close()


def _fail_fast(profile: dict[str, Any]) -> None:
    """Refuse every New-MailUser and addPassword: apply fails in seconds (no secret to wait
    for), with its independent steps done."""
    for match in (
        {"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MailUser"},
        {"service": "graph", "tenant": "fabrikam", "path": "addPassword"},
    ):
        control(profile, "POST", "faults", {"kind": "error", "status": 400, "match": match})


def test_a_killed_apply_leaves_its_lease_until_force_unlock_removes_it(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    rule = control(profile, "POST", "faults", HOLD_NEW_MAILUSER)["id"]
    crashed = _start(state, QUICKSTART, "--auto-approve")
    _wait(lambda: _held(profile, rule), "the apply to act")
    crashed.send_signal(signal.SIGKILL)
    crashed.communicate(timeout=60)
    [lease] = _leases(profile)
    holder = RUN_ID.search(lease["DisplayName"])
    assert holder is not None, lease

    refused = run("apply", QUICKSTART, "--auto-approve", state=state)
    assert refused.returncode == 1, refused.stdout[-2000:] + refused.stderr[-2000:]
    assert f"another apply holds the apply lease {lease['Name']}" in refused.stderr
    assert f": run {holder[1]} by " in refused.stderr and " ago " in refused.stderr
    assert "Apply complete" not in refused.stdout and "Apply incomplete" not in refused.stdout
    assert _leases(profile) == [lease]

    _fail_fast(profile)
    forced = run("apply", QUICKSTART, "--auto-approve", "--force-unlock", state=state)
    assert forced.returncode == 1, forced.stdout[-3000:] + forced.stderr[-3000:]
    assert (
        f"Removed the apply lease {lease['Name']} (a mail contact in the target tenant) of run "
        f"{holder[1]} by " in forced.stderr
    )
    assert "Holding the apply lease" in forced.stderr
    assert "mailuser.create" in forced.stdout and "failed" in forced.stdout
    assert _leases(profile) == []  # its own, removed after the failed apply
    assert _statuses(profile, "Remove-MailContact") == [200, 200]  # the crashed one's, its own


def test_the_lease_is_removed_after_an_interrupted_apply_of_a_saved_plan(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    saved = tmp_path / "plan.json"
    planned = run("plan", QUICKSTART, "--out", str(saved), state=state)
    assert planned.returncode == 0, planned.stderr
    assert _statuses(profile, "New-MailContact") == []  # plan takes no lease
    rule = control(profile, "POST", "faults", HOLD_NEW_MAILUSER)["id"]
    interrupted = _start(state, str(saved))
    _wait(lambda: _held(profile, rule), "the apply to act")
    assert len(_leases(profile)) == 1  # a saved plan's apply takes the lease too
    interrupted.send_signal(signal.SIGINT)
    time.sleep(0.5)
    control(profile, "DELETE", "faults")  # released: the write in flight finishes
    out, err = interrupted.communicate(timeout=120)
    assert interrupted.returncode == 130, out[-2000:] + err[-2000:]
    assert "Apply interrupted" in out
    assert _leases(profile) == []
    assert _statuses(profile, "Remove-MailContact") == [200]
