"""``--regen-cases``: rewrite every planner case's plan.json from the current planner instead
of comparing with it (tests/planner/test_cases.py); review the result with ``git diff``."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-cases",
        action="store_true",
        default=False,
        help="rewrite tests/planner/cases/*/*/plan.json from the current planner (review the diff)",
    )


@pytest.fixture
def regen_cases(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-cases"))
