"""Mailbox CSVs as admins have them (issue 15): what spreadsheets and other tools add is read
(a BOM, CRLF, quoted cells with commas, quotes and line breaks, columns t2t does not use, noted
by name), and what is not a mailbox CSV is a positioned error. The corpus cases
csv_as_admins_have_them (valid) and csv_not_what_admins_meant (invalid) hold whole files."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.spec import load_spec
from t2t.spec.csvfile import CsvRow, read_mailbox_csv
from t2t.spec.errors import ErrorSink
from t2t.spec.limits import CSV_MAX_ROW_CHARS

CASE = Path(__file__).resolve().parents[1] / "data" / "specs" / "valid" / "csv_as_admins_have_them"


def read(tmp_path: Path, data: bytes) -> tuple[list[CsvRow] | None, list[str], list[str]]:
    """Rows, errors and notes of one CSV file holding ``data``."""
    path = tmp_path / "w.csv"
    path.write_bytes(data)
    sink = ErrorSink()
    table = read_mailbox_csv(path, "w.csv", sink)
    rows = None if table is None else list(table.rows)
    return rows, [str(e) for e in sink.errors], [str(n) for n in sink.notes]


def test_the_case_notes_each_ignored_column_and_where_the_per_mailbox_ones_come_from() -> None:
    desired = load_spec(CASE / "spec.yaml", check_git=False)
    notes = [n.as_note().replace(f"{CASE}/", "") for n in desired.notes]
    assert notes == [
        "waves/batch.csv:1:14: note: t2t reads only EmailAddress; it ignores 'DisplayName', "
        "'UsageLocation', 'Licenses', 'Notes'; a usage location and licences are not read per "
        "mailbox: every mailbox gets identities.usageLocation and identities.licenses from "
        "the spec",
        "waves/pairs.csv:1:1: note: t2t reads only SourceEmail and TargetEmail; it ignores "
        "'Department'",
    ]
    # a note is no part of what the spec resolves to: not dumped, so no fingerprint sees it
    assert "notes" not in desired.model_dump()
    assert desired.usage_location == "NL" and desired.licenses == ("EXCHANGESTANDARD",)


def test_crlf_bom_and_a_quoted_line_break_keep_every_position_exact(tmp_path: Path) -> None:
    data = (
        b'\xef\xbb\xbfNotes,SourceEmail,TargetEmail\r\n"a\r\nb, ""c""",x@contoso.com,'
        b'"y@fabrikam.com"\r\n\r\n  ,z@contoso.com , z@fabrikam.com\r\n'
    )
    rows, errors, notes = read(tmp_path, data)
    assert errors == []
    assert notes == ["w.csv:1:1: t2t reads only SourceEmail and TargetEmail; it ignores 'Notes'"]
    assert rows == [
        CsvRow(2, "x@contoso.com", 3, 11, "y@fabrikam.com", 3, 25),
        CsvRow(5, "z@contoso.com", 5, 4, "z@fabrikam.com", 5, 20),
    ]


@pytest.mark.parametrize(
    ("csv", "note"),
    [
        # a near miss of a column the header already has is just another column
        (
            "EmailAddress,TargetAddress\na@fabrikam.com,x\n",
            "w.csv:1:14: t2t reads only EmailAddress; it ignores 'TargetAddress'",
        ),
        (
            "SourceEmail,TargetEmail,Target\na@contoso.com,a@fabrikam.com,x\n",
            "w.csv:1:25: t2t reads only SourceEmail and TargetEmail; it ignores 'Target'",
        ),
        (
            "EmailAddress,,Notes\na@fabrikam.com,,x\n",
            "w.csv:1:14: t2t reads only EmailAddress; it ignores column 2 (no name), 'Notes'",
        ),
        ("EmailAddress,\na@fabrikam.com,\n", None),  # a trailing comma is no column
    ],
)
def test_columns_t2t_does_not_read_are_noted_not_refused(
    tmp_path: Path, csv: str, note: str | None
) -> None:
    rows, errors, notes = read(tmp_path, csv.encode())
    assert errors == []
    assert [r.target for r in rows or []] == ["a@fabrikam.com"]
    assert notes == ([] if note is None else [note])


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"d@fabrikam.com\n", "w.csv:1:1: the first row holds an address, not a header"),
        (
            b"Name,Department\nDebra,Sales\n",
            "w.csv:1:1: the header has no address column (it has 'Name', 'Department'); it "
            "needs SourceEmail,TargetEmail or EmailAddress (Microsoft's batch CSV)",
        ),
        (
            b"Email\nd@fabrikam.com\n",
            "w.csv:1:1: unknown column 'Email'; did you mean 'EmailAddress'?",
        ),
        (
            b"SourceEmail,Target Email\nd@contoso.com,d@fabrikam.com\n",
            "w.csv:1:13: unknown column 'Target Email'; did you mean 'TargetEmail'?",
        ),
        (b'EmailAddress\n""\n', "w.csv:2:1: EmailAddress is empty"),
        (
            b"EmailAddress,Notes\na@fabrikam.com,x,y\n",
            "w.csv:2:18: this row has 3 cells but the header has 2 columns",
        ),
        (
            b'EmailAddress\r\n"a@fabrikam.com\r\n',
            'w.csv:2:1: this quoted cell is never closed (missing ")',
        ),
        (
            b"EmailAddress\n" + "Zoë@fabrikam.com\n".encode("cp1252"),
            "w.csv:2:3: the CSV file is not UTF-8 text (byte 0xeb); save it as UTF-8",
        ),
        (
            "EmailAddress\nd@fabrikam.com\n".encode("utf-16-le"),  # UTF-16 without its BOM
            "w.csv:1:1: the CSV file is UTF-16 or UTF-32 text (Excel's 'Unicode Text'), not UTF-8",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
            "w.csv:1:1: the CSV file is an Excel 97-2003 workbook (.xls); in Excel: Save As > "
            "CSV UTF-8 (Comma delimited)",
        ),
    ],
)
def test_what_is_not_a_mailbox_csv_is_a_positioned_error(
    tmp_path: Path, data: bytes, error: str
) -> None:
    _, errors, _ = read(tmp_path, data)
    assert errors and errors[0].startswith(error), errors


def test_a_quoted_cell_that_runs_past_a_row_is_refused_and_reading_goes_on(tmp_path: Path) -> None:
    filler = b"x" * 100 + b"\n"
    data = (
        b"EmailAddress,Notes\n"
        + b'a@fabrikam.com,"' + filler * (CSV_MAX_ROW_CHARS // len(filler) + 1) + b'"\n'
        + b"b@fabrikam.com,\n"
    )  # fmt: skip
    rows, errors, _ = read(tmp_path, data)
    assert errors[0] == (
        f"w.csv:2:16: this quoted cell is never closed within the {CSV_MAX_ROW_CHARS:,} "
        'characters of a row (missing ")'
    )
    assert rows is not None and [r.target for r in rows] == ["b@fabrikam.com"]
