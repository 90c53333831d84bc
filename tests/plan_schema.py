"""The committed JSON plan schema (schemas/t2t-plan.schema.json) as the suite's check: every
JSON plan a test makes — from the planner cases to each `t2t plan --format json` an end-to-end
test runs (tests/e2e/helpers.py checks its output) — satisfies it, as a CI job consuming the
plan would check it with ``jsonschema`` (draft 2020-12)."""

from __future__ import annotations

import functools
import itertools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "t2t-plan.schema.json"


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def violations(value: Any) -> list[str]:
    """Problems of ``value`` against the committed schema, as `$.path: message`."""
    return sorted(f"{e.json_path}: {e.message}" for e in _validator().iter_errors(value))


def makes_json_plan(args: tuple[str, ...] | list[str]) -> bool:
    """Whether a t2t command line prints a JSON plan: `plan … --format json` (or
    `--format=json`), global options before the subcommand allowed."""
    words = list(args)
    if "plan" not in words:
        return False
    pairs = itertools.pairwise(words)
    return "--format=json" in words or any(a == "--format" and b == "json" for a, b in pairs)


def check_json_plan(args: tuple[str, ...] | list[str], stdout: str) -> None:
    """If the command printed a JSON plan, it satisfies the schema (an error exit prints none)."""
    if not makes_json_plan(args) or not stdout.lstrip().startswith("{"):
        return
    problems = violations(json.loads(stdout))
    assert problems == [], f"t2t {' '.join(args)}: the JSON plan breaks the schema: {problems}"
