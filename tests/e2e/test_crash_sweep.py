"""A small crash sweep (issue 16): the real `t2t apply`, SIGKILLed at a handful of moments on
a three-mailbox spec, then applied to convergence — nothing doubled, nothing left behind,
nothing provisioned by mistake, the source changed only as the spec asks.

The moments (tests/e2e/crash.py; the 200-mailbox sweep is tests/bench/crash_sweep.py), each a
request the sandbox handled and whose answer it withheld (a ``hold``) until apply was killed:

1. the app registration and a ``New-MailUser`` (both first in their chains, held together):
   the app and a MailUser exist, and t2t never learnt it;
2. ``addPassword``: a marked secret whose value is lost — the window between addPassword and
   New-MigrationEndpoint;
3. ``New-MigrationEndpoint``: the endpoint holds the new secret, the secret of (2) is still on
   the app, and Exchange never says which one is in use;

then the first action the next run completes (an action boundary); and last, the run that
does what is left is killed as it releases its apply lease (``Remove-MailContact`` not yet
handled): nothing is left to plan, and the retry — ``apply --force-unlock`` with nothing to
apply — must still remove the lease.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.apply_order import served, write_seed
from tests.e2e.crash import (
    SETTLE_SECONDS,
    WRITES,
    Sandbox,
    SweepSpec,
    converge,
    inventory,
    kill_after_done,
    kill_mid_request,
    plan_actions,
    write_crash_spec,
)

MAILBOXES = 3
APP, NEW_MAILUSER = WRITES["app"].match, WRITES["New-MailUser"].match
ADD_PASSWORD, NEW_ENDPOINT = WRITES["addPassword"].match, WRITES["New-MigrationEndpoint"].match


def _what(held: dict[str, Any]) -> str:
    if held["cmdlet"]:
        return str(held["cmdlet"])
    return "app" if "uniqueName=" in held["path"] else str(held["path"]).rsplit("/", 1)[-1]


def _held(rules: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"afterHandling": True, "match": match} for match in rules]


@pytest.fixture
def sweep(tmp_path: Path) -> Iterator[tuple[Sandbox, SweepSpec]]:
    seed = tmp_path / "seed.yaml"
    write_seed(seed, MAILBOXES)
    spec = write_crash_spec(tmp_path / "spec.yaml", MAILBOXES)
    with served(tmp_path / "state", seed, timeout=60) as profile:
        sandbox = Sandbox(tmp_path / "state", profile)
        try:
            yield sandbox, spec
        finally:
            sandbox.close()


def test_apply_killed_at_every_kind_of_moment_converges_without_duplicates(
    sweep: tuple[Sandbox, SweepSpec], tmp_path: Path
) -> None:
    sandbox, spec = sweep
    log = tmp_path / "apply.log"
    initial = sandbox.state_json()
    seen: list[tuple[str, Any]] = []
    for rules in ([APP, NEW_MAILUSER], [ADD_PASSWORD], [NEW_ENDPOINT]):
        run = kill_mid_request(sandbox, spec.path, log, _held(rules))
        assert run.killed, log.read_text()[-3000:]
        seen.extend((_what(h), h["status"]) for h in run.moments)
    assert seen == [
        ("app", 201),
        ("New-MailUser", 200),
        ("addPassword", 200),
        ("New-MigrationEndpoint", 200),
    ], seen
    boundary = kill_after_done(sandbox.state, spec.path, log)
    assert boundary.killed and boundary.done == 1, log.read_text()[-3000:]
    sandbox("POST", "clock", {"advanceSeconds": SETTLE_SECONDS})  # the licences provision
    # The first Remove-MailContact is --force-unlock's (the killed run's lease); the second
    # is this run's own release, after everything else is done. The boundary run's kill may
    # land after it released its lease (its last action was done, the release is one request
    # more): then --force-unlock removes nothing and the release is the first.
    leftover = any(
        c["name"].lower().startswith("t2t-lease")
        for t in sandbox.state_json()["tenants"]
        if t["name"] == "fabrikam"
        for c in t.get("mail_contacts", [])
    )
    release = {
        "match": WRITES["Remove-MailContact"].match,
        "skip": 1 if leftover else 0,
        "afterHandling": False,
    }
    last = kill_mid_request(sandbox, spec.path, log, [release])
    assert last.killed, log.read_text()[-3000:]
    assert plan_actions(sandbox.state, spec.path) == (0, []), "nothing is left but the lease"

    convergence = converge(sandbox, spec.path, log)
    assert convergence.converged, (convergence.code, convergence.left)
    assert [r.code for r in convergence.runs] == [0]  # one retry: "Nothing to apply."

    found = inventory(initial, sandbox.state_json(), spec)
    assert found.problems == []
    assert found.duplicate_total == 0, found.to_json()
    assert found.counts == {
        "applications": 1,
        "secrets": 1,
        "keyCredentials": 0,
        "servicePrincipals.contoso": 1,
        "servicePrincipals.fabrikam": 1,
        "endpoints": 1,
        "leasesLeft": 0,
        "mailUsers": MAILBOXES,
        "guests": 1,
        "mailboxesProvisioned": 0,
        "batches": 1,
        "sourceChanges": 0,
    }
