"""Data-driven planner cases for one side's organization relationship.

Each JSON file under relationships/ holds a desire, the observed relationships and the expected
outcome (action kind and exact parameters, or null; finding codes; blocking codes). Adding a case
means adding a file, as pyinfra keeps its operation fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from t2t.planner import SideDesire, plan_side
from t2t.probes import parse_relationship

CASES = sorted((Path(__file__).parent / "relationships").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_relationship_case(case: Path) -> None:
    data = _load(case)
    desire = SideDesire.from_dict(data["desire"])
    observed = tuple(parse_relationship(r) for r in data["observed"])
    outcome = plan_side(desire, observed)
    expected = data["expected"]
    assert [f.code for f in outcome.findings] == expected["findings"]
    assert [f.code for f in outcome.findings if f.blocking] == expected.get("blocking", [])
    if expected["action"] is None:
        assert outcome.action is None
        return
    assert outcome.action is not None
    assert outcome.action.kind == expected["action"]["kind"]
    assert outcome.action.parameters == expected["action"]["parameters"]
    assert list(outcome.action.blocked_by) == expected["action"].get("blocked_by", [])
    assert outcome.action.risk == expected["action"].get("risk", "safe")


def test_there_are_cases() -> None:
    assert len(CASES) >= 10


def test_converged_side_plans_nothing_after_applying_its_own_action() -> None:
    """Applying the planned parameters yields a relationship the planner accepts as is."""
    for case in CASES:
        data = _load(case)
        desire = SideDesire.from_dict(data["desire"])
        observed = [dict(r) for r in data["observed"]]
        outcome = plan_side(desire, tuple(parse_relationship(r) for r in observed))
        action = outcome.action
        if action is None or action.blocked:
            continue
        params = dict(action.parameters)
        if action.operation == "create":
            observed.append({"Identity": params["Name"], **params})
        else:
            target = next(r for r in observed if r["Identity"] == params.pop("Identity"))
            target.update(params)
        again = plan_side(desire, tuple(parse_relationship(r) for r in observed))
        assert again.action is None, case.stem
