"""`t2t status` output: a table per batch (rich), JSON for dashboards, CSV for the help desk.

The JSON document is `StatusReport.to_dict()` (kind `t2t-status/1`, its shape in the README);
the CSV has one row per mailbox, the same fields flattened. The text form is the rich
renderable `--watch` redraws in place, printed once without it.
"""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

from t2t.render.status_report import BatchStatus, MailboxStatus, StatusReport, WaveStatus

#: CSV columns, one row per mailbox (README "t2t status").
CSV_COLUMNS = (
    "wave",
    "batch",
    "mailbox",
    "source",
    "status",
    "percent_complete",
    "bytes_transferred",
    "bytes_total",
    "items_synced",
    "items_skipped",
    "last_successful_sync",
    "error",
    "checks",
    "fix",
    "unreadable",
)
#: A cell a spreadsheet would run as a formula (OWASP "CSV injection"): such text cells get a
#: leading apostrophe. Numbers are never text cells.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_status_json(report: StatusReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_status_csv(report: StatusReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in report.mailboxes():
        row = (
            m.wave,
            m.batch,
            m.mailbox,
            m.source,
            m.status,
            m.percent_complete,
            m.bytes_transferred,
            m.bytes_total,
            m.items_synced,
            m.items_skipped,
            m.last_successful_sync,
            m.error,
            " ".join(c.code for c in m.checks) or None,
            " / ".join(c.fix for c in m.checks) or None,
            m.unreadable,
        )
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def size(n: int | None) -> str:
    """Bytes as an administrator reads them (binary units, as Exchange shows sizes)."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def _number(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _status(m: MailboxStatus) -> Text:
    if m.unreadable and m.status is None:
        return Text("? could not read", style="yellow")
    if m.status is None:
        return Text("not in a batch", style="dim")
    style = "red" if m.error else "green" if m.status.lower().startswith("complete") else ""
    return Text(m.status + ("  (figures: ?)" if m.unreadable else ""), style=style)


_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("Mailbox", "left"),
    ("Status", "left"),
    ("%", "right"),
    ("Transferred", "right"),
    ("Items", "right"),
    ("Skipped", "right"),
    ("Last sync (UTC)", "left"),
    ("Check", "left"),
)


def _table(rows: tuple[MailboxStatus, ...]) -> Table:
    table = Table(box=None, pad_edge=False, expand=False, show_edge=False)
    for name, justify in _COLUMNS:
        table.add_column(name, justify=justify, no_wrap=name != "Mailbox")
    for m in rows:
        transferred = (
            "—"
            if m.bytes_transferred is None
            else f"{size(m.bytes_transferred)} of {size(m.bytes_total)}"
        )
        table.add_row(
            m.mailbox,
            _status(m),
            "—" if m.percent_complete is None else f"{m.percent_complete}",
            transferred,
            _number(m.items_synced),
            _number(m.items_skipped),
            (m.last_successful_sync or "—").replace("T", " ").rstrip("Z"),
            " ".join(c.code for c in m.checks) or ("error" if m.error else ""),
        )
    return table


def _failures(rows: tuple[MailboxStatus, ...]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for m in rows:
        if m.waiting and not m.error:
            out.append(Text.assemble(("  ! ", "yellow"), (m.mailbox, "bold"), f": {m.waiting}"))
        if not m.error:
            out += [Text(f"      {c.code} {c.title}. Fix: {c.fix}") for c in m.checks]
            continue
        out.append(Text.assemble(("  ✗ ", "red"), (m.mailbox, "bold"), f": {m.error}"))
        for c in m.checks:
            out.append(Text(f"      {c.code} {c.title}. Fix: {c.fix}"))
        if not m.checks:
            out.append(Text("      no t2t check names this failure; see Microsoft's text above"))
    return out


def _batch(b: BatchStatus) -> list[RenderableType]:
    head = Text.assemble(
        ("Batch ", "bold"),
        (b.name, "bold"),
        f": {b.status} — {b.total} mailboxes, {b.synced} synced, {b.completed} completed, "
        f"{b.failed} failed",
        f"; last synced {b.last_synced}" if b.last_synced else "",
        f"; completes after {b.complete_after}" if b.complete_after else "",
    )
    out: list[RenderableType] = [head]
    if b.unreadable:
        out.append(Text(f"  ? its mailboxes could not be read: {b.unreadable}", style="yellow"))
    if b.mailboxes:
        out.append(_table(b.mailboxes))
    return out + _failures(b.mailboxes)


def _wave(w: WaveStatus) -> list[RenderableType]:
    out: list[RenderableType] = [Text(f"Wave {w.name} (phase {w.phase})", style="bold underline")]
    if not w.batches and not w.not_batched:
        out.append(Text("  no mailboxes", style="dim"))
    for b in w.batches:
        out += _batch(b)
    if w.not_batched:
        why = "phase prepare: no batch" if w.phase == "prepare" else "in none of its batches yet"
        out.append(Text(f"Not batched ({why}): {len(w.not_batched)}", style="bold"))
        out.append(_table(w.not_batched))
    return [*out, Text("")]


def status_renderable(report: StatusReport, *, footer: str = "") -> RenderableType:
    """The whole status as one rich renderable (what `--watch` redraws)."""
    parts: list[RenderableType] = [
        Text(f"t2t status: {report.spec} — read {report.read_at}", style="bold"),
        Text(""),
    ]
    if report.unreadable:
        parts.append(Text(f"? the batches could not be read: {report.unreadable}", style="yellow"))
    for w in report.waves:
        parts += _wave(w)
    s = report.summary()
    counts = ", ".join(f"{n} {status}" for status, n in s["byStatus"].items())
    parts.append(Text(f"{s['mailboxes']} mailboxes: {counts or 'none'}; {s['failed']} failed"))
    for reason in report.unreadables():
        parts.append(Text(f"? {reason}", style="yellow"))
    if footer:
        parts.append(Text(footer, style="dim"))
    return Group(*parts)


#: Plain text is written this wide at most: a table is as wide as its columns need (never
#: padded to it), and a file or a pipe has no width to fit, so nothing is cut short.
PLAIN_WIDTH = 250


def render_status_text(report: StatusReport, *, width: int = PLAIN_WIDTH) -> str:
    """The status as plain text (no colour): for a file, a pipe or a log."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(status_renderable(report))
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()
