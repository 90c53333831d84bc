"""The README documents what the code does: every check code and every plan exit code."""

from __future__ import annotations

import re
from pathlib import Path

from t2t.cli.app import EXIT_INTERRUPTED, EXIT_RUN_AGAIN, EXIT_USAGE
from t2t.planner import (
    CATALOGUE,
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_LEFT_OUT,
    EXIT_OK,
    EXIT_UNKNOWN,
)

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_check_code_is_documented() -> None:
    documented = set(re.findall(r"^\| (T2T-[EW]\d{3}) \|", README, flags=re.MULTILINE))
    assert documented == set(CATALOGUE)


#: Each exit code of the README's table → the test that makes t2t exit with it (a CLI run
#: asserting the code), so a code nobody produces, or a row nobody documents, fails here.
PRODUCED_BY = {
    EXIT_OK: ("e2e/test_cli_conventions.py", "test_global_options_after_the_command_and_from_"),
    EXIT_ERROR: ("e2e/test_cli.py", "test_validate_examples_and_a_bad_spec"),
    EXIT_CHANGES: ("e2e/test_cli.py", "test_plan_formats_and_show"),
    EXIT_BLOCKED: ("e2e/test_read_only_plan.py", "test_plan_with_read_only_credentials"),
    EXIT_UNKNOWN: ("e2e/test_exchange_role.py", "test_no_exchange_role_at_all_is_warned_before"),
    EXIT_RUN_AGAIN: ("e2e/test_faults_converge.py", "test_a_deadline_leaves_the_action_unknown"),
    EXIT_LEFT_OUT: ("e2e/test_org_setup.py", "test_merger_org_setup_converges_and_stays_conve"),
    EXIT_USAGE: ("e2e/test_cli.py", "test_a_parallelism_below_one_is_refused_before_anything"),
    EXIT_INTERRUPTED: ("e2e/test_apply_lease.py", "test_the_lease_is_removed_after_an_interrupt"),
}
MEANINGS = {
    EXIT_OK: "nothing to do",
    EXIT_ERROR: "error",
    EXIT_CHANGES: "changes pending",
    EXIT_BLOCKED: "a check blocks",
    EXIT_UNKNOWN: "some state could not be read",
    EXIT_RUN_AGAIN: "apply only: some outcome is unknown",
    EXIT_LEFT_OUT: "mailboxes left out",
    EXIT_USAGE: "usage error",
    EXIT_INTERRUPTED: "interrupted",
}


def test_exit_codes_table_matches() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.MULTILINE))
    assert sorted(int(code) for code in rows) == sorted(MEANINGS)
    for code, meaning in MEANINGS.items():
        assert rows[str(code)].startswith(meaning), code


def test_every_exit_code_is_produced_by_a_test() -> None:
    """The named test exists and compares a CLI run's exit code with that code (by the
    constant's name or its number)."""
    tests = Path(__file__).resolve().parents[1]
    names = {v: k for k, v in globals().items() if k.startswith("EXIT_")}
    assert sorted(PRODUCED_BY) == sorted(MEANINGS)
    for code, (path, prefix) in PRODUCED_BY.items():
        source = (tests / path).read_text(encoding="utf-8")
        found = re.search(rf"^def ({prefix}\w*)\(.*?(?=^def |\Z)", source, re.M | re.S)
        assert found, f"{path}: no test named {prefix}…"
        body = found.group(0)
        spelled = [names[code], str(code)]
        if code == EXIT_RUN_AGAIN:  # test_faults_converge calls it RUN_AGAIN (= 5)
            assert re.search(r"^RUN_AGAIN = 5$", source, re.M)
            spelled.append("RUN_AGAIN")
        pattern = rf"returncode == ({'|'.join(spelled)})\b"
        assert re.search(pattern, body), f"{path}::{found.group(1)} does not assert exit {code}"


def test_the_two_commands_are_in_the_makefile() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in README and "make test" in README
    assert re.search(r"^demo:", makefile, flags=re.MULTILINE)
    assert re.search(r"^test:", makefile, flags=re.MULTILINE)
