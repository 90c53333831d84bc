"""The README documents what the code does: every check code and every plan exit code."""

from __future__ import annotations

import re
from pathlib import Path

from t2t.planner import (
    CATALOGUE,
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_UNKNOWN,
)

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_check_code_is_documented() -> None:
    documented = set(re.findall(r"^\| (T2T-[EW]\d{3}) \|", README, flags=re.MULTILINE))
    assert documented == set(CATALOGUE)


def test_exit_codes_table_matches() -> None:
    rows = dict(re.findall(r"^\| (\d) \| (.+?) \|$", README, flags=re.MULTILINE))
    assert rows[str(EXIT_OK)].startswith("nothing to do")
    assert rows[str(EXIT_ERROR)].startswith("error")
    assert rows[str(EXIT_CHANGES)].startswith("changes pending")
    assert rows[str(EXIT_BLOCKED)].startswith("a check blocks")
    assert rows[str(EXIT_UNKNOWN)].startswith("some state could not be read")


def test_the_two_commands_are_in_the_makefile() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in README and "make test" in README
    assert re.search(r"^demo:", makefile, flags=re.MULTILINE)
    assert re.search(r"^test:", makefile, flags=re.MULTILINE)
