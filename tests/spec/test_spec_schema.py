"""The checked-in JSON Schema matches the models, and the worked examples satisfy it.

``jsonschema`` is not a dependency, so the examples are checked with the small subset
validator below (the keywords pydantic emits); it is itself tested to reject bad input.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

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


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def violations(
    value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "$"
) -> list[str]:
    """Problems of ``value`` against ``schema`` (subset of draft 2020-12 pydantic uses)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return violations(value, root["$defs"][name], root, at)
    if isinstance(value, date):  # YAML timestamps are strings to an editor
        value = value.isoformat()
    out: list[str] = []
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema["oneOf"]
        passing = [o for o in options if not violations(value, o, root, at)]
        if not passing or ("oneOf" in schema and len(passing) > 1):
            out.append(f"{at}: matches {len(passing)} of the alternatives")
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, _TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(value, bool)
        )
        if not ok:
            return [*out, f"{at}: expected {kind}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{at}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{at}: not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{at}: does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            out.append(f"{at}: too short")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        out.append(f"{at}: below minimum")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append(f"{at}: too few items")
        for i, item in enumerate(value):
            out += violations(item, schema.get("items", {}), root, f"{at}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{at}: missing {key}")
        for key, item in value.items():
            if key in props:
                out += violations(item, props[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{at}: unexpected {key}")
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_satisfy_the_schema(example: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    assert violations(data, schema, schema) == []


def test_subset_validator_rejects_bad_documents() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    data["source"]["tenantId"] = "not-a-guid"
    data["relationship"]["credential"] = "password"
    data["batches"][0]["phase"] = "go"
    data["extra"] = 1
    del data["name"]
    problems = violations(data, schema, schema)
    assert "$: missing name" in problems
    assert "$: unexpected extra" in problems
    assert any(p.startswith("$.source.tenantId: does not match") for p in problems)
    assert any(p.startswith("$.relationship.credential") for p in problems)
    assert any(p.startswith("$.batches[0].phase") for p in problems)
