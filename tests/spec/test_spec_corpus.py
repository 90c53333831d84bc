"""Data-driven spec cases: every folder under tests/data/specs/{invalid,valid}/ is one case.

invalid/<case>/spec.yaml (+ CSVs) must fail with exactly the lines of expected.txt
(``PATH:LINE:COL: message``, paths relative to the case folder, sorted).
valid/<case>/spec.yaml must load to exactly expected.json (paths relative to the folder).
To add a case, add a folder; the expected file is the review artefact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from t2t.spec import SpecInvalid, load_spec

DATA = Path(__file__).resolve().parents[1] / "data" / "specs"
INVALID = sorted(p for p in (DATA / "invalid").iterdir() if p.is_dir())
VALID = sorted(p for p in (DATA / "valid").iterdir() if p.is_dir())


def _relative(value: Any, base: str) -> Any:
    if isinstance(value, dict):
        return {k: _relative(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, base) for v in value]
    if isinstance(value, str) and value.startswith(base + "/"):
        return value[len(base) + 1 :]
    return value


def test_corpus_is_big_enough() -> None:
    assert len(INVALID) >= 25
    assert len(VALID) >= 3


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_spec_reports_exact_errors(case: Path) -> None:
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    with pytest.raises(SpecInvalid) as caught:
        load_spec(case / "spec.yaml", check_git=False)
    got = [
        f"{Path(e.path).relative_to(case)}:{e.line}:{e.col}: {e.message}"
        for e in caught.value.errors
    ]
    assert got == expected


@pytest.mark.parametrize("case", VALID, ids=[p.name for p in VALID])
def test_valid_spec_resolves_exactly(case: Path) -> None:
    desired = load_spec(case / "spec.yaml", check_git=False)
    got = _relative(json.loads(desired.model_dump_json()), str(case))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert got == expected
