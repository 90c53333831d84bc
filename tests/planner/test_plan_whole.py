"""What `build_plan` adds to its domains' outcomes: the exit code a CI job reads, the runnable
actions, the spec's fingerprint a saved plan is checked against, and the context the domains
share (the batch waits for the mailbox chains the mailboxes domain planned before it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from t2t.planner import Action, Plan, build_plan
from t2t.planner.checks import Finding, finding
from t2t.planner.plan import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_LEFT_OUT,
    EXIT_OK,
    EXIT_UNKNOWN,
    Unknown,
    spec_fingerprint,
)
from t2t.spec import load_spec
from tests.apply.scratch import scratch_action, scratch_plan
from tests.planner.cases import ROOT, Case, whole

SPEC = Path(__file__).resolve().parents[2] / "specs" / "quickstart.yaml"


def _action(name: str, blocked_by: tuple[str, ...] = ()) -> Action:
    action = scratch_action(f"target:mailuser.create:{name}", "mailuser.create")
    return action.model_copy(update={"blocked_by": blocked_by})


#: An error of each scope: a batch-scope one holds its batch (plan exit 3), a mailbox-scope one
#: leaves that mailbox out (exit 6), a fixed one blocks nothing, a warning never blocks.
HOLDS_BATCH = finding("T2T-E401", "target", "wave-1", "m", fixed_by_plan=False)
LEAVES_OUT = finding("T2T-E304", "source", "ann@contoso.example", "m", fixed_by_plan=False)
NO_PROXY = finding("T2T-E403", "target", "bob@fabrikam.example", "m", fixed_by_plan=False)
FIXED = finding("T2T-E317", "target", "cy@fabrikam.example", "m", fixed_by_plan=True)
WARNS = finding("T2T-W407", "target", "ann@fabrikam.example", "m", fixed_by_plan=False)


def _plan(
    actions: tuple[Action, ...] = (),
    *,
    blocking: bool = False,
    unknown: bool = False,
    findings: tuple[Finding, ...] = (),
) -> Plan:
    findings = (*((HOLDS_BATCH,) if blocking else ()), *findings)
    unknowns = (Unknown(tenant="target", what="batches", reason="503"),) if unknown else ()
    return scratch_plan(*actions).model_copy(update={"findings": findings, "unknowns": unknowns})


RUNS = (_action("a"),)
ONLY_BLOCKED = (_action("b", ("T2T-E301",)),)


@pytest.mark.parametrize(
    ("plan", "detailed", "code"),
    [
        (_plan(), True, EXIT_OK),
        (_plan(), False, EXIT_OK),
        (_plan(RUNS), True, EXIT_CHANGES),
        (_plan(RUNS), False, EXIT_OK),
        (_plan(ONLY_BLOCKED), True, EXIT_OK),
        (_plan(RUNS, blocking=True), True, EXIT_BLOCKED),
        (_plan(RUNS, blocking=True), False, EXIT_BLOCKED),
        (_plan(RUNS, blocking=True, unknown=True), True, EXIT_UNKNOWN),
        (_plan(unknown=True), False, EXIT_UNKNOWN),
        (_plan(RUNS, findings=(LEAVES_OUT,)), True, EXIT_LEFT_OUT),
        (_plan(RUNS, findings=(LEAVES_OUT, NO_PROXY, WARNS)), False, EXIT_LEFT_OUT),
        (_plan(ONLY_BLOCKED, findings=(NO_PROXY,)), True, EXIT_LEFT_OUT),
        (_plan(RUNS, blocking=True, findings=(LEAVES_OUT,)), True, EXIT_BLOCKED),
        (_plan(RUNS, findings=(LEAVES_OUT,), unknown=True), True, EXIT_UNKNOWN),
        (_plan(RUNS, findings=(FIXED, WARNS)), True, EXIT_CHANGES),
        (_plan(RUNS, findings=(FIXED, WARNS)), False, EXIT_OK),
    ],
)
def test_exit_code(plan: Plan, detailed: bool, code: int) -> None:
    assert plan.exit_code(detailed=detailed) == code


def test_runnable_is_every_action_no_check_blocks_in_plan_order() -> None:
    actions = (_action("a"), _action("b", ("T2T-E301",)), _action("c"))
    assert _plan(actions).runnable == (actions[0], actions[2])


def test_the_spec_fingerprint_follows_the_content_not_the_file(tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.yaml"
    shutil.copy(SPEC, moved)
    here, there = load_spec(SPEC), load_spec(moved)
    assert here.spec_path != there.spec_path
    assert spec_fingerprint(here) == spec_fingerprint(there)
    changed = tmp_path / "changed.yaml"
    changed.write_text(SPEC.read_text().replace("usageLocation: NL", "usageLocation: BE"))
    assert "usageLocation: BE" in changed.read_text()
    assert spec_fingerprint(load_spec(changed)) != spec_fingerprint(here)


def test_a_plan_carries_its_specs_fingerprint() -> None:
    """What `t2t apply plan.json` compares the spec with (t2t/apply/saved.py check_spec)."""
    case = Case(ROOT / "mailboxes" / "fresh-target-plans-the-whole-chain")
    desired = case.spec()
    plan = build_plan(desired, whole(case.snapshot()))
    assert plan.spec_fingerprint == spec_fingerprint(desired)
    assert plan.spec_fingerprint.startswith("sha256:")


def test_the_batch_waits_for_the_mailbox_chains_planned_before_it() -> None:
    case = Case(ROOT / "mailboxes" / "fresh-target-plans-the-whole-chain")
    plan = build_plan(case.spec(), whole(case.snapshot()))
    batch = next(a for a in plan.actions if a.kind == "batch.create")
    chain_ends = [a.id for a in plan.actions if a.kind == "license.assign"]
    assert len(chain_ends) == len(case.spec().batches[0].mailboxes)
    assert set(chain_ends) <= set(batch.depends_on)
    assert set(batch.depends_on) <= {a.id for a in plan.actions}
