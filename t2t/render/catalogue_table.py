"""The check catalogue as the README's Markdown table, written from the registry.

Every registered check (t2t/planner/checks.py `CATALOGUE`) is one row: its code, severity,
scope, title, what it prevents and its fix — the registry's own words, so the README never
restates them by hand. `python -m t2t.render.catalogue_table README.md` rewrites the rows
between the two markers below; tests/planner/test_readme_failures_table.py fails when the
committed README differs from what this writes. Each row carries an anchor (`#t2t-e304`) that
the README's table of Microsoft's failures links to.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from t2t.planner import CATALOGUE, CheckDef

START = (
    "<!-- checks-table:start — written by `python -m t2t.render.catalogue_table README.md` "
    "from t2t/planner's check registry; edit the checks, not these rows -->"
)
END = "<!-- checks-table:end -->"
HEADER = ("code", "severity", "scope", "check", "prevents", "fix")

#: What Markdown would read as a table border, a tag, an entity, emphasis or code. The texts are
#: t2t's own (no tenant's value reaches them), so this keeps them literal without the plan
#: renderer's cutting and mention guards.
_INLINE = re.compile(r"([\\`*|])")


def anchor(code: str) -> str:
    """The anchor a check's row carries (`T2T-E304` → `t2t-e304`)."""
    return code.lower()


def cell(text: str) -> str:
    """A catalogue text as one literal table cell."""
    escaped = _INLINE.sub(r"\\\1", " ".join(text.split()))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def prevents_text(check: CheckDef) -> str:
    """What the check prevents; a text per tenant role as `target: …; source: …`."""
    if isinstance(check.prevents, str):
        return check.prevents
    return "; ".join(f"{role}: {text}" for role, text in check.prevents.items())


def check_row(check: CheckDef) -> str:
    cells = (
        check.code,
        check.severity,
        check.scope or "",
        f'<a name="{anchor(check.code)}"></a>{cell(check.title)}',
        cell(prevents_text(check)),
        cell(check.fix),
    )
    return "| " + " | ".join(cells) + " |"


def render_checks_table(catalogue: Mapping[str, CheckDef] = CATALOGUE) -> str:
    """The table between its markers, one row per check in code order."""
    lines = [
        START,
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *(check_row(catalogue[code]) for code in sorted(catalogue)),
        END,
    ]
    return "\n".join(lines)


class MarkersError(ValueError):
    """The document does not hold the table's two markers exactly once, in order."""


def table_span(document: str) -> tuple[int, int]:
    """Where the generated table (markers included) sits in the document."""
    start_marker = START.split(" — ", 1)[0]
    starts = [m.start() for m in re.finditer(re.escape(start_marker), document)]
    ends = [m.end() for m in re.finditer(re.escape(END), document)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise MarkersError(
            f"expected one '{start_marker}' and one '{END}' after it; found "
            f"{len(starts)} and {len(ends)}"
        )
    return starts[0], ends[0]


def replace_table(document: str, table: str) -> str:
    """The document with its generated table replaced by `table`."""
    start, end = table_span(document)
    return document[:start] + table + document[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the table in the Markdown file given (the README)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m t2t.render.catalogue_table README.md", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        document = path.read_text(encoding="utf-8")
        path.write_text(replace_table(document, render_checks_table()), encoding="utf-8")
    except (OSError, MarkersError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
