"""Staleness of a saved plan beyond fingerprints: an action that became blocked, or a new
blocking check, refuses the saved plan (found in review)."""

from __future__ import annotations

import json

from t2t.apply.saved import staleness
from t2t.planner import Action, Plan
from t2t.planner.checks import finding


def _plan(*actions: Action, findings: tuple = ()) -> Plan:  # type: ignore[type-arg]
    return Plan(
        spec_name="t",
        spec_path="t.yaml",
        source_tenant="s",
        target_tenant="t",
        actions=actions,
        findings=findings,
        unknowns=(),
        spec_fingerprint="f",
    )


def _batch(blocked: tuple[str, ...] = ()) -> Action:
    return Action(
        id="target:batch.create:wave-1",
        tenant="target",
        kind="batch.create",
        key="wave-1",
        operation="create",
        cmdlet="New-MigrationBatch",
        parameters={"Name": "wave-1"},
        fingerprint="x",
        desired={"mailboxes": ["a@fabrikam.com"]},
        blocked_by=blocked,
    )


def test_unchanged_plan_is_not_stale_even_after_a_json_round_trip() -> None:
    saved = Plan.model_validate(json.loads(json.dumps(_plan(_batch()).model_dump(mode="json"))))
    assert staleness(saved, _plan(_batch())) == []


def test_an_action_that_became_blocked_is_stale() -> None:
    problems = staleness(_plan(_batch()), _plan(_batch(blocked=("T2T-E402",))))
    assert problems == ["target:batch.create:wave-1: now blocked by T2T-E402"]


def test_a_new_blocking_check_is_stale() -> None:
    hold = finding("T2T-E110", "target", "fabrikam", "IsDehydrated is $true", fixed_by_plan=False)
    problems = staleness(_plan(_batch()), _plan(_batch(), findings=(hold,)))
    assert problems and problems[0].startswith("T2T-E110 now blocks target fabrikam")
