"""schemas/t2t-plan.schema.json: generated from the models `--format json` dumps, and every JSON
plan the suite makes satisfies it (the sandbox's specs: tests/e2e/test_plan_in_pull_request.py).

Checked with ``jsonschema`` (draft 2020-12), as a CI job consuming the plan would.
"""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from t2t.planner import Plan, build_plan
from t2t.render import render_plan_json
from t2t.render.plan_schema import plan_json_schema, render
from tests.plan_schema import SCHEMA_FILE, makes_json_plan, violations
from tests.planner.cases import Case, all_cases, whole
from tests.render.test_markdown_plan import SMALL, hostile_plan, huge_plan

CASES = all_cases()


def test_checked_in_schema_matches_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "schemas/t2t-plan.schema.json is stale; regenerate it with\n"
        "    .venv/bin/python -m t2t.render.plan_schema > schemas/t2t-plan.schema.json"
    )


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("t2t-plan.schema.json")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_field_is_described_and_every_model_closed() -> None:
    schema = plan_json_schema()
    models = {"Plan": schema, **schema["$defs"]}
    assert set(models) == {"Plan", "Action", "Change", "Finding", "Unknown", "PlanSummary"}
    for name, model in models.items():
        assert model["additionalProperties"] is False, name
        assert model["required"] == list(model["properties"]), name
        for field, prop in model["properties"].items():
            assert prop.get("description"), f"{name}.{field}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_plan_of_every_planner_case_satisfies_the_schema(case: Case) -> None:
    plan = build_plan(case.spec(), whole(case.snapshot()))
    assert violations(json.loads(render_plan_json(plan))) == []


@pytest.mark.parametrize(
    "plan", [SMALL, hostile_plan(), huge_plan(20)], ids=["small", "hostile", "huge"]
)
def test_the_markdown_tests_plans_satisfy_the_schema(plan: Plan) -> None:
    assert violations(json.loads(render_plan_json(plan))) == []


def test_the_schema_refuses_what_t2t_never_writes() -> None:
    data = json.loads(render_plan_json(SMALL))
    data["extra"] = 1
    data["actions"][0]["note"] = "x"
    del data["actions"][1]["fingerprint"]
    data["actions"][2]["operation"] = "replace"
    data["findings"][0]["severity"] = "info"
    data["summary"]["exitCode"] = "2"
    data["unknowns"][0]["tenant"] = "other"
    data["format"] = 2
    assert violations(data) == [
        "$.actions[0]: Additional properties are not allowed ('note' was unexpected)",
        "$.actions[1]: 'fingerprint' is a required property",
        "$.actions[2].operation: 'replace' is not one of ['create', 'update', 'delete', 'run']",
        "$.findings[0].severity: 'info' is not one of ['error', 'warning']",
        "$.format: 1 was expected",
        "$.summary.exitCode: '2' is not of type 'integer'",
        "$.unknowns[0].tenant: 'other' is not one of ['source', 'target']",
        "$: Additional properties are not allowed ('extra' was unexpected)",
    ]


def test_the_end_to_end_runs_know_a_json_plan_when_they_see_one() -> None:
    """tests/e2e/helpers.py checks what `makes_json_plan` recognises: every spelling counts."""
    assert makes_json_plan(("plan", "s.yaml", "--format", "json"))
    assert makes_json_plan(("--no-color", "plan", "s.yaml", "--wave", "w", "--format=json"))
    assert not makes_json_plan(("plan", "s.yaml", "--format", "markdown"))
    assert not makes_json_plan(("status", "s.yaml", "--format", "json"))
    assert not makes_json_plan(("plan", "s.yaml", "--out", "json"))
