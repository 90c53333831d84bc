"""Every check in the catalogue fires in at least one planner case — or says, here, where
else it is shown firing and why it cannot be a case."""

from __future__ import annotations

import json
from pathlib import Path

from t2t.planner import CATALOGUE
from t2t.planner import plan as _plan  # noqa: F401  (imports every domain: all codes register)

CASES = Path(__file__).parent / "cases"

#: Codes no case folder can show, each with the test that does.
ELSEWHERE = {
    # A spec's app is an appId or a displayName t2t resolves: no spec leaves it unknown.
    "T2T-E109": "tests/planner/relationships/source-without-app-id-blocks.json (plan_side)",
    # Whole-plan checks on t2t's own identity, not one domain's.
    "T2T-W120": "tests/planner/test_build_plan.py::test_missing_application_permission_warns_w120",
    "T2T-W121": "tests/planner/test_build_plan.py (three W121 tests)",
    # Needs more than 10,000 scope members.
    "T2T-W223": "tests/planner/test_scope_assignment.py",
}


def fired_in_cases() -> set[str]:
    return {
        f["code"]
        for plan in CASES.rglob("plan.json")
        for f in json.loads(plan.read_text(encoding="utf-8"))["findings"]
    }


def test_every_check_fires_in_a_case_or_says_where() -> None:
    fired = fired_in_cases()
    assert sorted(set(CATALOGUE) - fired - set(ELSEWHERE)) == []
    assert sorted(set(ELSEWHERE) & fired) == []  # a case now shows it: drop it from the list
    assert sorted(set(ELSEWHERE) - set(CATALOGUE)) == []


def test_every_check_has_a_scope() -> None:
    """The batches hold on a finding by its check's scope, never by its code's number."""
    assert sorted(c.code for c in CATALOGUE.values() if c.scope is None) == []
    assert {c.scope for c in CATALOGUE.values()} == {
        "organization",
        "relationship",
        "mailbox",
        "batch",
    }
