"""The checked-in JSON Schema matches the models, and the worked examples satisfy it.

The examples are checked with ``jsonschema`` (draft 2020-12), as an editor would.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from t2t.spec import spec_json_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "t2t-spec.schema.json"
EXAMPLES = sorted((REPO / "specs").glob("*.yaml"))


def test_checked_in_schema_matches_models() -> None:
    expected = json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, (
        "schemas/t2t-spec.schema.json is stale; regenerate it with\n"
        "    .venv/bin/python -m t2t.spec.schema > schemas/t2t-spec.schema.json"
    )


def test_schema_has_identity() -> None:
    schema = spec_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("t2t-spec.schema.json")
    assert schema["title"] == "t2t migration spec"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"version", "name", "source", "target", "relationship"}


def violations(value: Any, schema: dict[str, Any]) -> list[str]:
    """Problems of ``value`` against the draft 2020-12 ``schema``, as `$.path: message`."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return sorted(f"{error.json_path}: {error.message}" for error in validator.iter_errors(value))


def _plain(value: Any) -> Any:
    """YAML timestamps are strings to an editor."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_satisfy_the_schema(example: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    assert violations(_plain(data), schema) == []


def test_schema_rejects_bad_documents() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    data["source"]["tenantId"] = "not-a-guid"
    data["relationship"]["credential"] = "password"
    data["batches"][0]["phase"] = "go"
    data["extra"] = 1
    del data["name"]
    problems = violations(_plain(data), schema)
    assert "$: 'name' is a required property" in problems
    assert any(p.startswith("$: Additional properties are not allowed ('extra'") for p in problems)
    assert any(p.startswith("$.source.tenantId: 'not-a-guid' does not match") for p in problems)
    assert any(p.startswith("$.relationship.credential") for p in problems)
    assert any(p.startswith("$.batches[0].phase") for p in problems)
