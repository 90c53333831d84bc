"""Relationship cases a spec cannot express, run on `plan_side` directly.

Every other planner case is a folder under cases/ (tests/planner/test_cases.py). These stay as
one-side desires because no spec resolves to them: a source relationship without an appId
(T2T-E109) needs a `relationship.app` that neither names an appId nor resolves to one — a spec's
app is an appId, or a displayName t2t finds or registers (known after apply).

Each JSON file under relationships/ holds a desire, the observed relationships and the expected
outcome (action kind and exact parameters, or null; finding codes; blocking codes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from t2t.planner import SideDesire, plan_side
from t2t.probes import parse_relationship

CASES = sorted((Path(__file__).parent / "relationships").glob("*.json"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_relationship_case(case: Path) -> None:
    data = json.loads(case.read_text(encoding="utf-8"))
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
    assert CASES
