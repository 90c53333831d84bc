"""The size limits of t2t/spec/limits.py: generous for a 50,000-mailbox merger, exact at
their edges, and each refusal positioned with the offending value cut short.

Limits that take seconds to reach for real (500,000 YAML nodes, 400,000 CSV rows in one spec)
are tested with the limit lowered, so the mechanism is what is shown; the others at full size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.spec import SpecInvalid, load_spec
from t2t.spec.csvfile import read_mailbox_csv
from t2t.spec.errors import ErrorSink, SpecError
from t2t.spec.limits import (
    CSV_MAX_BYTES,
    CSV_MAX_ROW_CHARS,
    SHOWN_CHARS,
    SPEC_MAX_BYTES,
    VALUE_MAX_CHARS,
    clip,
)
from tests.bench.bench_spec_load import _write as write_bench_spec

VALID = Path(__file__).resolve().parents[1] / "data" / "specs" / "valid" / "minimal" / "spec.yaml"
#: The minimal valid spec with one mailbox, so that CSV files can be named after it.
BASE = VALID.read_text() + (
    "identities:\n  rewrite: [{from: contoso.com, to: fabrikam.com}]\n"
    "  mailboxes:\n    - debra@contoso.com\n"
)
HEADER = "SourceEmail,TargetEmail\n"


def _errors(spec: Path) -> list[str]:
    with pytest.raises(SpecInvalid) as caught:
        load_spec(spec, check_git=False)
    return [str(e).removeprefix(f"{spec.parent}/") for e in caught.value.errors]


def _spec(tmp_path: Path, text: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def _csv(tmp_path: Path, text: str) -> list[SpecError]:
    path = tmp_path / "wave.csv"
    path.write_text(text, encoding="utf-8")
    sink = ErrorSink()
    read_mailbox_csv(path, "wave.csv", sink)
    return sink.errors


@pytest.mark.parametrize("form", ["pairs", "emailaddress"])
def test_a_50000_mailbox_merger_from_csv_loads(tmp_path: Path, form: str) -> None:
    desired = load_spec(write_bench_spec(tmp_path, 50_000, form), check_git=False)
    assert len(desired.mailboxes) == 50_000
    assert len(desired.batches[0].mailboxes) == 50_000


def test_clip_shows_a_few_dozen_characters_and_the_length() -> None:
    assert clip("debra@contoso.com") == "'debra@contoso.com'"
    assert clip("x" * SHOWN_CHARS) == f"'{'x' * SHOWN_CHARS}'"
    assert clip("x" * 10_000_000) == f"'{'x' * SHOWN_CHARS}…' (10,000,000 characters)"
    assert clip("evil\x1b[2J\u202e\t") == "'evil\\x1b[2J\\u202e\\t'"


# -- the spec --------------------------------------------------------------------------


def test_a_spec_of_the_largest_size_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    with spec.open("wb") as sparse:
        sparse.truncate(SPEC_MAX_BYTES)  # NUL bytes: read, then refused by YAML's reader
    assert _errors(spec) == [
        "spec.yaml:1:1: YAML syntax error: character U+0000 is not allowed in YAML"
    ]
    with spec.open("ab") as sparse:
        sparse.truncate(SPEC_MAX_BYTES + 1)
    assert _errors(spec) == [
        f"spec.yaml:1:1: the spec is {SPEC_MAX_BYTES + 1:,} bytes; t2t reads at most 8 MiB"
    ]


def test_a_device_is_not_read_as_a_spec() -> None:
    with pytest.raises(SpecInvalid) as caught:
        load_spec(Path("/dev/zero"), check_git=False)  # it never ends: reading it would
    assert [str(e) for e in caught.value.errors] == [
        "/dev/zero:1:1: cannot read the spec: it is not a regular file (a device, pipe or socket)"
    ]


def test_a_spec_at_the_limits_loads(tmp_path: Path) -> None:
    assert load_spec(_spec(tmp_path, BASE), check_git=False).mailboxes[0].target == (
        "debra@fabrikam.com"
    )


def test_a_value_and_a_key_of_the_largest_size_pass_the_length_check(tmp_path: Path) -> None:
    fits = BASE.replace("name: case", "name: " + "n" * VALUE_MAX_CHARS)
    fits += "k" * VALUE_MAX_CHARS + ": 1\n"
    assert _errors(_spec(tmp_path, fits)) == [
        f"spec.yaml:2:7: name: '{'n' * SHOWN_CHARS}…' (1,024 characters) is not a usable name"
        " (1-64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit)",
        f"spec.yaml:19:1: unknown key '{'k' * SHOWN_CHARS}…' (1,024 characters) (expected one of:"
        " version, name, source, target, relationship, identities, batches, delegates)",
    ]


def test_one_character_more_refuses_the_whole_spec(tmp_path: Path) -> None:
    text = BASE.replace("name: case", "name: " + "n" * (VALUE_MAX_CHARS + 1))
    assert _errors(_spec(tmp_path, text)) == [
        f"spec.yaml:2:7: this value is too long: '{'n' * SHOWN_CHARS}…' (1,025 characters);"
        " t2t reads at most 1,024 characters in one value"
    ]


def test_nesting_is_refused_past_64_levels_and_not_at_64(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nx: " + "[" * 64 + "]" * 64 + "\n")
    assert not [e for e in _errors(spec) if "deeper" in e]
    spec.write_text("version: 1\nx: " + "[" * 65 + "]" * 65 + "\n")
    assert _errors(spec) == ["spec.yaml:2:68: the spec nests deeper than 64 levels"]


def test_nesting_through_aliases_is_refused_too(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 70)]
    spec = _spec(tmp_path, "version: 1\n" + "\n".join(lines) + "\n")
    assert _errors(spec) == ["spec.yaml:2:10: the spec nests deeper than 64 levels"]


def test_nodes_are_counted_while_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("t2t.spec.positions.SPEC_MAX_NODES", 100)
    spec = _spec(tmp_path, "version: 1\nx: [" + ", ".join(["a"] * 200) + "]\n")
    assert _errors(spec) == [
        "spec.yaml:2:290: the spec holds more than 100 values; put long lists in CSV files"
    ]


# -- CSV files -------------------------------------------------------------------------


def test_a_csv_of_the_largest_size_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    path = tmp_path / "wave.csv"
    with path.open("wb") as sparse:
        sparse.truncate(CSV_MAX_BYTES + 1)
    sink = ErrorSink()
    assert read_mailbox_csv(path, "wave.csv", sink) is None
    assert [str(e) for e in sink.errors] == [
        f"wave.csv:1:1: the CSV file is {CSV_MAX_BYTES + 1:,} bytes; t2t reads at most 32 MiB"
    ]


def test_a_cell_and_a_row_at_their_limits_are_read(tmp_path: Path) -> None:
    local = "a" * (VALUE_MAX_CHARS - len("@contoso.com"))
    row = f"{local}@contoso.com,b@fabrikam.com"
    spaced = "b@contoso.com," + " " * (CSV_MAX_ROW_CHARS - len("b@contoso.com,c@fabrikam.com"))
    errors = _csv(tmp_path, HEADER + row + "\n" + spaced + "c@fabrikam.com\n")
    assert [str(e) for e in errors] == [
        f"wave.csv:2:1: SourceEmail: '{local[:SHOWN_CHARS]}…' (1,024 characters) is not an email"
        " address (the part before @ is not valid)"
    ]


def test_a_cell_or_a_row_one_character_longer_is_refused(tmp_path: Path) -> None:
    local = "a" * (VALUE_MAX_CHARS + 1 - len("@contoso.com"))
    spaced = "b@contoso.com," + " " * (CSV_MAX_ROW_CHARS + 1 - len("b@contoso.com,c@fabrikam.com"))
    errors = _csv(
        tmp_path, HEADER + f"{local}@contoso.com,b@fabrikam.com\n{spaced}c@fabrikam.com\n"
    )
    assert [str(e) for e in errors] == [
        f"wave.csv:2:1: this cell is too long: '{'a' * SHOWN_CHARS}…' (1,025 characters); t2t"
        " reads at most 1,024 characters in one cell",
        "wave.csv:3:1: this row is too long: 'b@contoso.com,"
        + " " * (SHOWN_CHARS - len("b@contoso.com,"))
        + "…' (16,385 characters); t2t reads at most 16,384 characters in one row",
    ]


def test_rows_past_the_limit_refuse_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("t2t.spec.csvfile.CSV_MAX_ROWS", 3)
    rows = "".join(f"u{i}@contoso.com,u{i}@fabrikam.com\n\n" for i in range(3))
    assert _csv(tmp_path, HEADER + rows) == []
    errors = _csv(tmp_path, HEADER + rows + "u3@contoso.com,u3@fabrikam.com\n")
    assert [str(e) for e in errors] == [
        "wave.csv:8:1: the CSV file has more than 3 rows, the most t2t reads from one file; split"
        " it into several (one per wave)"
    ]


def test_rows_of_all_csv_files_together_are_limited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("t2t.spec.context.SPEC_MAX_CSV_ROWS", 5)
    for name, first in (("a.csv", 0), ("b.csv", 3), ("c.csv", 6)):
        rows = "".join(f"u{i}@contoso.com,u{i}@fabrikam.com\n" for i in range(first, first + 3))
        (tmp_path / name).write_text(HEADER + rows)
    text = BASE + "    - {csv: a.csv}\n    - {csv: b.csv}\n    - {csv: c.csv}\n"
    errors = _errors(_spec(tmp_path, text))
    assert [e for e in errors if "rows" in e] == [
        "spec.yaml:20:13: identities.mailboxes[2].csv: with this file the spec's CSV files hold 6"
        " rows, more than the 5 t2t reads for one spec"
    ]
