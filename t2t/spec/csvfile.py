"""Mailbox lists kept as CSV files beside the spec, in either of two forms.

* ``SourceEmail,TargetEmail``: one mailbox per row, both addresses given.
* ``EmailAddress``: Microsoft's own migration-batch CSV. Its single column holds the
  **target** addresses (microsoft-t2t.md §6: "header EmailAddress, one row per user with the
  target address"), so the source is derived later by undoing the rewrite rules.

Parsed by hand rather than with :mod:`csv` so that every error can name the line and the
column where its cell starts, and so 50,000 rows cost no per-row validation framework.
Headers compare case-insensitively; blank lines and empty trailing cells (spreadsheet
exports) are ignored; a UTF-8 byte-order mark is accepted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from t2t.spec.errors import ErrorSink, Mark
from t2t.spec.limits import CSV_MAX_BYTES, CSV_MAX_ROW_CHARS, CSV_MAX_ROWS, VALUE_MAX_CHARS, clip
from t2t.spec.textfile import read_text
from t2t.spec.values import address_problem

SOURCE, TARGET, EMAIL = "SourceEmail", "TargetEmail", "EmailAddress"
_KNOWN = {c.lower(): c for c in (SOURCE, TARGET, EMAIL)}
_FORMS = "SourceEmail,TargetEmail or EmailAddress (Microsoft's batch CSV)"


@dataclass(frozen=True)
class CsvRow:
    """One mailbox row; ``source`` is None in the EmailAddress form. Columns are 1-based."""

    line: int
    source: str | None
    source_col: int
    target: str
    target_col: int


@dataclass(frozen=True)
class CsvTable:
    form: Literal["pairs", "targets"]
    rows: tuple[CsvRow, ...]
    dropped: int  # rows left out because of an error already reported


def split_cells(line: str) -> tuple[list[tuple[str, int]], int]:
    """Cells of one CSV line with the 1-based column where each starts.

    The second value is 0, or the column of a quote that is never closed.
    """
    if '"' not in line:
        cells: list[tuple[str, int]] = []
        col = 1
        for raw in line.split(","):
            stripped = raw.strip()
            lead = len(raw) - len(raw.lstrip())
            cells.append((stripped, col + lead))
            col += len(raw) + 1
        return cells, 0
    cells = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        start = i
        value = ""
        if i < n and line[i] == '"':
            i += 1
            while True:
                if i >= n:
                    return cells, start + 1
                if line[i] == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        value += '"'
                        i += 2
                        continue
                    i += 1
                    break
                value += line[i]
                i += 1
            while i < n and line[i] != ",":
                value += line[i]
                i += 1
        else:
            while i < n and line[i] != ",":
                value += line[i]
                i += 1
        cells.append((value.strip(), start + 1))
        if i >= n:
            return cells, 0
        i += 1  # the comma


def _header(
    cells: list[tuple[str, int]], line: int, display: str, sink: ErrorSink
) -> dict[str, int] | None:
    """Map each known column to its index, or report why the header is unusable."""
    columns: dict[str, int] = {}
    ok = True
    raw_line = ",".join(c for c, _ in cells)
    if len(cells) == 1 and ";" in cells[0][0]:
        sink.add(
            Mark(display, line, 1),
            f"the header is separated by ';'; save the CSV comma-separated with columns {_FORMS}",
        )
        return None
    if "@" in raw_line:
        sink.add(
            Mark(display, line, 1),
            "the first row holds an address, not a header; start the file with a header"
            f" row: {_FORMS}",
        )
        return None
    for index, (name, col) in enumerate(cells):
        mark = Mark(display, line, col)
        if not name:
            if index == len(cells) - 1 and index > 0:
                continue  # trailing comma
            sink.add(mark, f"empty column name; the header must be {_FORMS}")
            ok = False
            continue
        known = _KNOWN.get(name.lower())
        if known is None:
            guess = difflib.get_close_matches(name, list(_KNOWN.values()), n=1, cutoff=0.6)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; the header must be {_FORMS}"
            sink.add(mark, f"unknown column {clip(name)}{hint}")
            ok = False
        elif known in columns:
            sink.add(mark, f"column '{known}' appears twice in the header")
            ok = False
        else:
            columns[known] = index
    if not ok:
        return None
    names = set(columns)
    start = Mark(display, line, 1)
    if EMAIL in names and names & {SOURCE, TARGET}:
        sink.add(start, f"the header mixes the two CSV forms; use either {_FORMS}")
        return None
    if names in ({SOURCE, TARGET}, {EMAIL}):
        return columns
    missing = TARGET if SOURCE in names else SOURCE
    sink.add(start, f"the header has no {missing} column; the header must be {_FORMS}")
    return None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Numbered lines without their line ends, one at a time: a file of millions of empty
    lines must not become a list of millions of strings."""
    start, number = 0, 1
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield number, text[start:].rstrip("\r")
            return
        yield number, text[start:end].rstrip("\r")
        start, number = end + 1, number + 1


def _oversized(line: str, number: int, display: str, sink: ErrorSink) -> bool:
    """True, after reporting it, for a row too long to be one of a mailbox CSV's rows."""
    if len(line) > CSV_MAX_ROW_CHARS:
        sink.add(
            Mark(display, number, 1),
            f"this row is too long: {clip(line)}; t2t reads at most {CSV_MAX_ROW_CHARS:,}"
            " characters in one row",
        )
        return True
    return False


def _overlong_cell(
    cells: list[tuple[str, int]], number: int, display: str, sink: ErrorSink
) -> bool:
    """True, after reporting it, when a cell is longer than any address."""
    for value, col in cells:
        if len(value) > VALUE_MAX_CHARS:
            sink.add(
                Mark(display, number, col),
                f"this cell is too long: {clip(value)}; t2t reads at most {VALUE_MAX_CHARS:,}"
                " characters in one cell",
            )
            return True
    return False


def read_mailbox_csv(path: Path, display: str, sink: ErrorSink) -> CsvTable | None:
    """Parse one mailbox CSV; errors go to ``sink``, good rows are returned regardless."""
    text = read_text(path, display, sink, "CSV file", CSV_MAX_BYTES)
    if text is None:
        return None
    columns: dict[str, int] | None = None
    width = 0
    dropped = 0
    rows: list[CsvRow] = []
    for number, line in _lines(text):
        if not line.strip():
            continue
        if columns is not None and len(rows) + dropped >= CSV_MAX_ROWS:
            sink.add(
                Mark(display, number, 1),
                f"the CSV file has more than {CSV_MAX_ROWS:,} rows, the most t2t reads from one"
                " file; split it into several (one per wave)",
            )
            return None
        if _oversized(line, number, display, sink):
            if columns is None:
                return None
            dropped += 1
            continue
        cells, open_quote = split_cells(line)
        if _overlong_cell(cells, number, display, sink):
            if columns is None:
                return None
            dropped += 1
            continue
        if open_quote:
            sink.add(
                Mark(display, number, open_quote), 'this quoted cell is never closed (missing ")'
            )
            if columns is None:
                return None
            dropped += 1
            continue
        if columns is None:
            columns = _header(cells, number, display, sink)
            if columns is None:
                return None
            width = len(columns)
            continue
        row = _row(cells, columns, width, number, display, sink)
        if row is None:
            dropped += 1
        else:
            rows.append(row)
    if columns is None:
        sink.add(Mark(display, 1, 1), f"the CSV file is empty; it needs a header row: {_FORMS}")
        return None
    return CsvTable("pairs" if SOURCE in columns else "targets", tuple(rows), dropped)


def _row(
    cells: list[tuple[str, int]],
    columns: dict[str, int],
    width: int,
    number: int,
    display: str,
    sink: ErrorSink,
) -> CsvRow | None:
    extra = [c for c in cells[width:] if c[0]]
    if extra:
        sink.add(
            Mark(display, number, extra[0][1]),
            f"this row has {len(cells)} cells but the header has {width} columns",
        )
        return None
    values: dict[str, tuple[str, int]] = {}
    ok = True
    last_value, last_col = cells[-1]
    end_col = last_col + len(last_value)
    for name, index in columns.items():
        if index >= len(cells):
            sink.add(Mark(display, number, end_col), f"this row has no {name} cell")
            ok = False
            continue
        value, col = cells[index]
        problem = "is empty" if not value else address_problem(value)
        if problem is not None:
            text = f"{name} is empty" if not value else f"{name}: {problem}"
            sink.add(Mark(display, number, col), text)
            ok = False
            continue
        values[name] = (value, col)
    if not ok:
        return None
    if EMAIL in values:
        target, target_col = values[EMAIL]
        return CsvRow(number, None, 0, target, target_col)
    (source, source_col), (target, target_col) = values[SOURCE], values[TARGET]
    return CsvRow(number, source, source_col, target, target_col)
