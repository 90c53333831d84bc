"""Faults that end in convergence, not failure (issue 16), through the real CLI against
`t2t sandbox serve` (strict profile): the identity platform answering 429 and 503 is waited
out with no traceback; a write whose object replicates past the action's deadline leaves the
action *unknown*, its dependants waiting, the summary asking for a second apply and the exit
code 5 — and the second apply converges.

Licences are provisioned at once here (`licensing_seconds: 0`, as tests/apply's fault
scenarios do): Exchange's provisioning time is T2T-E320's business, not these faults'.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.apply_order import control, served, target_upn, write_seed, write_spec
from tests.e2e.helpers import run

MAILBOXES = 3
#: What the CLI exits with when some outcome is unknown (t2t/cli/app.py EXIT_RUN_AGAIN).
RUN_AGAIN = 5


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, Path, dict[str, Any]]]:
    """(state dir, spec, profile) of a sandbox seeded with three ordinary mailboxes."""
    seed, spec, state = tmp_path / "seed.yaml", tmp_path / "spec.yaml", tmp_path / "state"
    write_seed(seed, MAILBOXES)
    write_spec(spec, MAILBOXES)
    with served(state, seed) as profile:
        control(profile, "POST", "strictness", {"licensing_seconds": 0})
        yield state, spec, profile


def _converged(state: Path, spec: Path) -> None:
    plan = run("plan", str(spec), "--detailed-exitcode", state=state)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 0 blocked, 0 unknown." in plan.stdout


def test_identity_429_and_503_are_waited_out_without_a_traceback(
    world: tuple[Path, Path, dict[str, Any]],
) -> None:
    state, spec, profile = world
    token = {"service": "identity", "path": "/oauth2/"}
    control(
        profile,
        "POST",
        "faults",
        {"kind": "throttle", "budget": 1, "windowSeconds": 2, "match": token},
    )
    control(profile, "POST", "faults", {"kind": "error", "status": 503, "count": 2, "match": token})
    applied = run("apply", str(spec), "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
    assert "Traceback" not in applied.stdout + applied.stderr
    assert "Apply complete:" in applied.stdout
    fired = control(profile, "GET", "faults")["rules"]
    assert [r["kind"] for r in fired] == ["throttle"] and fired[0]["fired"] > 0  # it did throttle
    _converged(state, spec)


def test_a_deadline_leaves_the_action_unknown_and_a_second_apply_converges(
    world: tuple[Path, Path, dict[str, Any]],
) -> None:
    state, spec, profile = world
    slow = target_upn(2).lower()
    lag = {"service": "exchange", "cmdlet": "New-MailUser", "object": f"^{slow}$"}
    control(profile, "POST", "faults", {"kind": "lag", "seconds": 120, "match": lag})
    first = run("apply", str(spec), "--auto-approve", "--deadline", "0.2", state=state)
    out = first.stdout
    assert first.returncode == RUN_AGAIN, out[-3000:] + first.stderr
    assert "Traceback" not in out + first.stderr
    create = f"target:mailuser.create:{slow.replace('.onmicrosoft.com', '.com')}"
    assert f"  … {create}: waiting for New-MailUser's change to show (" in out  # progress
    assert f"  ? {create}: unknown — " in out
    for waiting in ("mailuser.set_identity", "user.usage_location", "license.assign"):
        action = create.replace("mailuser.create", waiting)
        assert f"  … {action}: waiting — waiting on {create} (outcome unknown)" in out, action
    assert ", 1 unknown, 3 waiting.\n" in out
    assert "Run t2t apply again: it reads both tenants afresh and finishes them." in out

    control(profile, "POST", "clock", {"advanceSeconds": 120})  # replication catches up
    second = run("apply", str(spec), "--auto-approve", state=state)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert f"{create}:" not in second.stdout.split("Plan:")[-1]  # not created twice
    _converged(state, spec)
