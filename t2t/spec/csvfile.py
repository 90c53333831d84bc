"""Mailbox lists kept as CSV files beside the spec, in either of two forms, as admins have them.

* ``SourceEmail,TargetEmail``: one mailbox per row, both addresses given.
* ``EmailAddress``: Microsoft's own migration-batch CSV. Its single column holds the
  **target** addresses (microsoft-t2t.md §6: "header EmailAddress, one row per user with the
  target address"), so the source is derived later by undoing the rewrite rules.

Files come from spreadsheets and from other tools, so what they add is accepted: a UTF-8
byte-order mark (Excel's "CSV UTF-8"), CRLF line ends, quoted cells (RFC 4180: a comma, a
doubled quote or a line break inside quotes), blank lines, empty trailing cells, header names
in any case, and columns t2t does not read — a batch CSV exported with DisplayName or
UsageLocation beside EmailAddress (Learn, "CSV files for mailbox migration": a batch CSV holds
EmailAddress and optional attributes). Those are ignored with a note naming them: the spec has
no per-mailbox usage location or licences (``identities.usageLocation`` and
``identities.licenses`` apply to every mailbox), so a ``UsageLocation`` or ``Licenses`` column
is not mapped, and the note says where those values come from instead. A column whose name is
a near miss of one the header still lacks (``TargetEmial``) is an error, not a note.

Anything else is a positioned error: a header with no address column, an empty or malformed
address, a row with more cells than the header, a quote never closed, and a file that is not
UTF-8 text — an Excel workbook saved under a .csv name, UTF-16 ("Unicode Text"), another
encoding, binary bytes.

Parsed by hand rather than with :mod:`csv` so that every error can name the line and the
column where its cell starts, and so 50,000 rows cost no per-row validation framework: a line
without a quote is split at its commas; only a line with a quote goes through the quote-aware
reader.
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from t2t.spec.errors import ErrorSink, Mark
from t2t.spec.limits import CSV_MAX_BYTES, CSV_MAX_ROW_CHARS, CSV_MAX_ROWS, VALUE_MAX_CHARS, clip
from t2t.spec.textfile import ReadProblem, decode_text, read_bounded
from t2t.spec.values import address_problem

SOURCE, TARGET, EMAIL = "SourceEmail", "TargetEmail", "EmailAddress"
_KNOWN = {c.lower(): c for c in (SOURCE, TARGET, EMAIL)}
_FORMS = "SourceEmail,TargetEmail or EmailAddress (Microsoft's batch CSV)"
#: Columns an admin may expect t2t to read per mailbox: what they hold, and where t2t takes
#: that from instead (for every mailbox alike).
_PER_SPEC = {
    "usagelocation": ("a usage location", "identities.usageLocation"),
    "licenses": ("licences", "identities.licenses"),
}
_WHAT_EXCEL_WRITES = "in Excel: Save As > CSV UTF-8 (Comma delimited)"


class Cell(NamedTuple):
    """One cell's text and where it starts (1-based; a quoted cell: at its quote). A tuple:
    50,000 rows make 100,000 of them."""

    value: str
    line: int
    col: int


@dataclass(frozen=True)
class CsvRow:
    """One mailbox row; ``source`` is None in the EmailAddress form. Lines and columns are
    1-based: a row's cells may sit on different lines when a quoted cell holds a line break."""

    line: int
    source: str | None
    source_line: int
    source_col: int
    target: str
    target_line: int
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
    parsed = _read_record(line, 0, 1, len(line))
    quote = parsed.open_quote
    return [(c.value, c.col) for c in parsed.cells], (quote.col if quote else 0)


def _split_plain(line: str, number: int) -> list[Cell]:
    """A line without a quote: its cells, split at the commas, with their columns."""
    cells: list[Cell] = []
    col = 1
    for raw in line.split(","):
        stripped = raw.strip()
        lead = 0 if len(stripped) == len(raw) else len(raw) - len(raw.lstrip())
        cells.append(Cell(stripped, number, col + lead))
        col += len(raw) + 1
    return cells


@dataclass(frozen=True)
class _Parsed:
    cells: list[Cell]
    next: int
    """Where the next record starts: after this one, or after its first line when it is
    unusable (a quote not closed, a row cut at the limit), so the rows after it are read."""
    open_quote: Cell | None = None
    cut: bool = False
    """The row reached the limit without ending."""


def _read_record(text: str, start: int, number: int, limit: int) -> _Parsed:
    """The record starting at ``text[start]`` (line ``number``, column 1), read up to offset
    ``limit`` at most.

    A quoted cell runs to its closing quote, across line breaks (RFC 4180 §2.6); ``""``
    inside it is one quote; text after the closing quote is kept (as spreadsheets do).
    """
    cells: list[Cell] = []
    i, line, line_start = start, number, start
    first_end = text.find("\n", start)
    after_first = len(text) if first_end < 0 else first_end + 1
    while True:
        while i < limit and text[i] in " \t":
            i += 1
        cell_line, cell_col = line, i - line_start + 1
        value: list[str] = []
        if i < limit and text[i] == '"':
            i += 1
            while True:
                close = text.find('"', i, limit)
                if close < 0:
                    quote = Cell("", cell_line, cell_col)
                    return _Parsed(cells, after_first, quote, cut=limit < len(text))
                piece = text[i:close]
                breaks = piece.count("\n")
                if breaks:
                    line += breaks
                    line_start = i + piece.rfind("\n") + 1
                value.append(piece)
                if close + 1 < limit and text[close + 1] == '"':
                    value.append('"')
                    i = close + 2
                    continue
                i = close + 1
                break
        end = i
        while end < limit and text[end] not in ",\n":
            end += 1
        value.append(text[i:end])
        cells.append(Cell("".join(value).strip(), cell_line, cell_col))
        i = end
        if i >= limit and limit < len(text):
            return _Parsed(cells, after_first, cut=True)
        if i >= limit or text[i] == "\n":
            return _Parsed(cells, i + 1)
        i += 1  # the comma


class _Record(NamedTuple):
    number: int
    text: str
    """The row as written, for a message (a row spanning lines: up to where it was cut)."""
    cells: list[Cell]
    open_quote: Cell | None = None
    too_long: bool = False


def _records(text: str) -> Iterator[_Record]:
    """Every non-blank record, one at a time: a file of millions of empty lines must not
    become a list of millions of strings."""
    start, number, size = 0, 1, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end
        line = text[start:end].rstrip("\r")
        if not line.strip():
            start, number = end + 1, number + 1
            continue
        if len(line) > CSV_MAX_ROW_CHARS:
            yield _Record(number, line, [], too_long=True)
        elif '"' not in line:
            yield _Record(number, line, _split_plain(line, number))
        else:
            limit = min(size, start + CSV_MAX_ROW_CHARS + 1)
            parsed = _read_record(text, start, number, limit)
            spanned = text[start : parsed.next]
            yield _Record(number, spanned, parsed.cells, parsed.open_quote, parsed.cut)
            start, number = parsed.next, number + spanned.count("\n")
            continue
        start, number = end + 1, number + 1


@dataclass(frozen=True)
class _Header:
    columns: dict[str, int]  # known column -> its index
    width: int  # every column of the header, ignored ones included


def _near_miss(name: str, present: set[str]) -> str | None:
    """The column ``name`` was probably meant to be: one the header still lacks for the form
    it heads toward (none once EmailAddress is there: that form is whole)."""
    if EMAIL in present:
        return None
    if present:
        candidates = [c for c in (SOURCE, TARGET) if c not in present]
    else:
        email = difflib.get_close_matches(name, [EMAIL], n=1, cutoff=0.55)
        if email:
            return email[0]
        candidates = [SOURCE, TARGET]
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def _ignored_note(ignored: list[tuple[str, Cell, int]], form: str) -> str:
    """The note for the columns t2t leaves out (each named as it is written, or by its place
    when it has no name), and where a usage location and licences come from instead."""
    names = ", ".join(clip(n) if n else f"column {i} (no name)" for n, _, i in ignored)
    text = f"t2t reads only {form}; it ignores {names}"
    instead = list(
        dict.fromkeys(_PER_SPEC[n.lower()] for n, _, _ in ignored if n.lower() in _PER_SPEC)
    )
    if instead:
        what = " and ".join(w for w, _ in instead)
        verb = "is" if what == "a usage location" else "are"
        where = " and ".join(k for _, k in instead)
        text += f"; {what} {verb} not read per mailbox: every mailbox gets {where} from the spec"
    return text


def _header(cells: list[Cell], display: str, sink: ErrorSink) -> _Header | None:
    """Map each known column to its index, note the ignored ones, or report why the header
    is unusable."""
    first = cells[0]
    start = Mark(display, first.line, 1)
    if len(cells) == 1 and ";" in first.value:
        sink.add(
            start,
            f"the header is separated by ';'; save the CSV comma-separated with columns {_FORMS}",
        )
        return None
    if any("@" in c.value for c in cells):
        sink.add(
            start,
            "the first row holds an address, not a header; start the file with a header"
            f" row: {_FORMS}",
        )
        return None
    columns: dict[str, int] = {}
    unknown: list[tuple[Cell, int]] = []
    ok = True
    for index, cell in enumerate(cells):
        known = _KNOWN.get(cell.value.lower())
        if known is None:
            if cell.value or index < len(cells) - 1 or index == 0:
                unknown.append((cell, index + 1))  # an empty last name: a trailing comma
        elif known in columns:
            mark = Mark(display, cell.line, cell.col)
            sink.add(mark, f"column '{known}' appears twice in the header")
            ok = False
        else:
            columns[known] = index
    present = set(columns)
    ignored: list[tuple[str, Cell, int]] = []
    for cell, number in unknown:
        guess = _near_miss(cell.value, present) if cell.value else None
        if guess is not None:
            sink.add(
                Mark(display, cell.line, cell.col),
                f"unknown column {clip(cell.value)}; did you mean '{guess}'?",
            )
            ok = False
        else:
            ignored.append((cell.value, cell, number))
    if not ok:
        return None
    if EMAIL in present and present & {SOURCE, TARGET}:
        sink.add(start, f"the header mixes the two CSV forms; use either {_FORMS}")
        return None
    if not present:
        has = ", ".join(clip(n) if n else f"column {i} (no name)" for n, _, i in ignored)
        sink.add(start, f"the header has no address column (it has {has}); it needs {_FORMS}")
        return None
    if present not in ({SOURCE, TARGET}, {EMAIL}):
        missing = TARGET if SOURCE in present else SOURCE
        sink.add(start, f"the header has no {missing} column; the header must be {_FORMS}")
        return None
    if ignored:
        form = EMAIL if EMAIL in present else f"{SOURCE} and {TARGET}"
        where = ignored[0][1]
        sink.note(Mark(display, where.line, where.col), _ignored_note(ignored, form))
    return _Header(columns, len(cells))


def _not_text(data: bytes) -> tuple[int, str] | None:
    """Where and why bytes are not a CSV a spreadsheet saved as text: a workbook, UTF-16 or
    UTF-32, binary. None for anything else (its encoding is judged when it is decoded)."""
    if data.startswith(b"PK\x03\x04"):
        return 0, (
            f"the CSV file is a ZIP archive, likely an Excel workbook (.xlsx); {_WHAT_EXCEL_WRITES}"
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return 0, f"the CSV file is an Excel 97-2003 workbook (.xls); {_WHAT_EXCEL_WRITES}"
    head = data[:512]
    bom16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if bom16 or (len(head) >= 4 and head.count(0) * 3 >= len(head)):
        return 0, (
            "the CSV file is UTF-16 or UTF-32 text (Excel's 'Unicode Text'), not UTF-8; "
            f"{_WHAT_EXCEL_WRITES}"
        )
    nul = data.find(b"\x00")
    if nul < 0:
        return None
    try:
        data[:nul].decode("utf-8")
    except UnicodeDecodeError:
        return None  # an earlier byte is not UTF-8: decoding reports that one, the first
    return nul, "the CSV file holds a NUL byte: it is binary, not text; save it as CSV UTF-8"


def _read_csv_text(path: Path, display: str, sink: ErrorSink) -> str | None:
    try:
        data = read_bounded(path, CSV_MAX_BYTES, "CSV file")
    except ReadProblem as exc:
        sink.add(Mark(display, 1, 1), str(exc))
        return None
    binary = _not_text(data)
    if binary is not None:
        offset, message = binary
        before = data[:offset]
        line, col = before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1
        sink.add(Mark(display, line, col), message)
        return None
    return decode_text(data, display, sink, "CSV file")


def _too_long(record: _Record, display: str, sink: ErrorSink) -> bool:
    """True, after reporting it, for a row too long to be one of a mailbox CSV's rows."""
    if not record.too_long or record.open_quote is not None:
        return False
    sink.add(
        Mark(display, record.number, 1),
        f"this row is too long: {clip(record.text)}; t2t reads at most {CSV_MAX_ROW_CHARS:,}"
        " characters in one row",
    )
    return True


def _overlong_cell(cells: list[Cell], display: str, sink: ErrorSink) -> bool:
    """True, after reporting it, when a cell is longer than any address."""
    for cell in cells:
        if len(cell.value) > VALUE_MAX_CHARS:
            sink.add(
                Mark(display, cell.line, cell.col),
                f"this cell is too long: {clip(cell.value)}; t2t reads at most"
                f" {VALUE_MAX_CHARS:,} characters in one cell",
            )
            return True
    return False


def read_mailbox_csv(path: Path, display: str, sink: ErrorSink) -> CsvTable | None:
    """Parse one mailbox CSV; errors (and notes) go to ``sink``, good rows are returned
    regardless."""
    text = _read_csv_text(path, display, sink)
    if text is None:
        return None
    header: _Header | None = None
    dropped = 0
    rows: list[CsvRow] = []
    for record in _records(text):
        if header is not None and len(rows) + dropped >= CSV_MAX_ROWS:
            sink.add(
                Mark(display, record.number, 1),
                f"the CSV file has more than {CSV_MAX_ROWS:,} rows, the most t2t reads from one"
                " file; split it into several (one per wave)",
            )
            return None
        unusable = record.too_long or record.open_quote is not None
        if (unusable and _reported(record, display, sink)) or _overlong_cell(
            record.cells, display, sink
        ):
            if header is None:
                return None
            dropped += 1
            continue
        if header is None:
            header = _header(record.cells, display, sink)
            if header is None:
                return None
            continue
        row = _row(record, header, display, sink)
        if row is None:
            dropped += 1
        else:
            rows.append(row)
    if header is None:
        sink.add(Mark(display, 1, 1), f"the CSV file is empty; it needs a header row: {_FORMS}")
        return None
    return CsvTable("pairs" if SOURCE in header.columns else "targets", tuple(rows), dropped)


def _reported(record: _Record, display: str, sink: ErrorSink) -> bool:
    """Report a row too long or a quote never closed; True (the row is left out)."""
    return _too_long(record, display, sink) or _unclosed(record, display, sink)


def _unclosed(record: _Record, display: str, sink: ErrorSink) -> bool:
    quote = record.open_quote
    if quote is None:
        return False
    where = f" within the {CSV_MAX_ROW_CHARS:,} characters of a row" if record.too_long else ""
    mark = Mark(display, quote.line, quote.col)
    sink.add(mark, f'this quoted cell is never closed{where} (missing ")')
    return True


def _row(record: _Record, header: _Header, display: str, sink: ErrorSink) -> CsvRow | None:
    cells = record.cells
    extra = [c for c in cells[header.width :] if c.value]
    if extra:
        sink.add(
            Mark(display, extra[0].line, extra[0].col),
            f"this row has {len(cells)} cells but the header has {header.width} columns",
        )
        return None
    values: dict[str, Cell] = {}
    ok = True
    last = cells[-1]
    for name, index in header.columns.items():
        if index >= len(cells):
            end = Mark(display, last.line, last.col + len(last.value))
            sink.add(end, f"this row has no {name} cell")
            ok = False
            continue
        cell = cells[index]
        problem = "is empty" if not cell.value else address_problem(cell.value)
        if problem is not None:
            text = f"{name} is empty" if not cell.value else f"{name}: {problem}"
            sink.add(Mark(display, cell.line, cell.col), text)
            ok = False
            continue
        values[name] = cell
    if not ok:
        return None
    if EMAIL in values:
        target = values[EMAIL]
        return CsvRow(record.number, None, 0, 0, target.value, target.line, target.col)
    source, target = values[SOURCE], values[TARGET]
    return CsvRow(
        record.number,
        source.value,
        source.line,
        source.col,
        target.value,
        target.line,
        target.col,
    )
