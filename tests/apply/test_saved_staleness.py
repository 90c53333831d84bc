"""Staleness of a saved plan beyond fingerprints: an action that became blocked, or a new
blocking check, refuses the saved plan (found in review); and each problem named as apply shows
it — the object as it was and is, the intent compared whatever its key order, what is gone,
new or cannot be read now."""

from __future__ import annotations

import json

import pytest

from t2t.apply.saved import staleness
from t2t.planner import Action, Plan
from t2t.planner.checks import finding
from t2t.planner.plan import Unknown


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


ID = "target:batch.create:wave-1"


def _changed(**update: object) -> Action:
    return _batch().model_copy(update=update)


@pytest.mark.parametrize(
    ("fresh", "problem"),
    [
        (
            _changed(fingerprint="y", observed={"b": 2, "a": 1}),
            f'{ID}: the object changed since the plan: null → {{"a": 1, "b": 2}}',
        ),
        (_changed(parameters={"Name": "wave-2"}), f"{ID}: would now send different parameters"),
        (_changed(risk="disruptive"), f"{ID}: its risk, dependencies or intent changed"),
        (_changed(depends_on=("target:x:y",)), f"{ID}: its risk, dependencies or intent changed"),
        (_changed(desired={"mailboxes": []}), f"{ID}: its risk, dependencies or intent changed"),
        (
            _changed(summary="s", unverified=("E1",)),
            f"{ID}: its summary, unverified differ from a fresh plan's",
        ),
    ],
)
def test_each_way_an_action_differs_is_named(fresh: Action, problem: str) -> None:
    assert staleness(_plan(_batch()), _plan(fresh)) == [problem]


def test_the_object_as_it_was_and_as_it_is_in_sorted_json() -> None:
    saved = _changed(observed={"y": [1], "x": "a"})
    fresh = _changed(fingerprint="y", observed={"z": None, "x": "b"})
    assert staleness(_plan(saved), _plan(fresh)) == [
        f'{ID}: the object changed since the plan: {{"x": "a", "y": [1]}} → {{"x": "b", "z": null}}'
    ]


def test_the_same_intent_in_another_key_order_is_not_stale() -> None:
    saved = _changed(desired={"a": 1, "b": {"d": 2, "c": 3}})
    fresh = _changed(desired={"b": {"c": 3, "d": 2}, "a": 1})
    assert staleness(_plan(saved), _plan(fresh)) == []


def test_an_action_no_longer_blocked_and_several_blockers_are_named() -> None:
    blocked = _batch(blocked=("T2T-E402", "T2T-E110"))
    assert staleness(_plan(blocked), _plan(_batch())) == [f"{ID}: now blocked by nothing"]
    assert staleness(_plan(_batch()), _plan(blocked)) == [
        f"{ID}: now blocked by T2T-E402, T2T-E110"
    ]


def test_an_action_gone_or_new_and_a_spec_changed_are_named() -> None:
    other = _changed(id="target:batch.create:wave-2", key="wave-2")
    changed = _plan(other).model_copy(update={"spec_fingerprint": "g"})
    assert staleness(_plan(_batch()), changed) == [
        "the spec (or a CSV it reads) changed since the plan was made",
        f"{ID}: no longer needed (someone changed it meanwhile)",
        "target:batch.create:wave-2: a new change appeared that the saved plan does not hold",
    ]


def test_state_that_cannot_be_read_now_is_named() -> None:
    unread = (
        Unknown(tenant="target", what="mailboxes", reason="throttled"),
        Unknown(tenant="source", what="organization", reason="timed out"),
    )
    fresh = _plan(_batch()).model_copy(update={"unknowns": unread})
    assert staleness(_plan(_batch()), fresh) == [
        "some state could not be read now: target mailboxes, source organization"
    ]
