"""Probe parsers as data (pyinfra's fact fixtures): recorded API JSON → the observed model.

Each file under fixtures/ names a parser, holds one record as Microsoft returns it, and the
expected parsed object (as plain JSON). Adding a case means adding a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.probes.relationships import parse_relationship
from t2t.state.plain import as_plain

PARSERS = {
    "recipient": x.parse_recipient,
    "statistics": x.parse_statistics,
    "endpoint": x.parse_endpoint,
    "group": x.parse_group,
    "batch": x.parse_batch,
    "migration_user": x.parse_migration_user,
    "accepted_domain": x.parse_accepted_domain,
    "relationship": parse_relationship,
    "domain": d.parse_domain,
    "sku": d.parse_sku,
    "application": d.parse_application,
    "service_principal": d.parse_service_principal,
    "assignment": d.parse_assignment,
    "user": d.parse_user,
}
CASES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_parser_fixture(case: Path) -> None:
    data = json.loads(case.read_text(encoding="utf-8"))
    parsed = PARSERS[data["parser"]](data["record"])
    assert as_plain(parsed) == data["expected"]


def test_every_parser_has_a_fixture() -> None:
    used = {json.loads(c.read_text(encoding="utf-8"))["parser"] for c in CASES}
    assert used == set(PARSERS)
