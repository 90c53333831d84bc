"""Every size limit on what t2t reads, in one place, and how an oversized value is shown.

Specs and CSV files come from pull requests and spreadsheet exports, saved plans from disk:
each is untrusted input, so each is refused past a size that no real migration reaches,
before it can exhaust memory or time. The limits are generous for a 50,000-mailbox merger
(tests/bench/bench_spec_load.py loads 50,000 CSV rows in under 2 s and 150 MiB); a value
that breaks one is quoted cut short, never echoed whole.
"""

from __future__ import annotations

MIB = 1024 * 1024

#: A spec file: reviewed text. A 50,000-mailbox spec that lists every mailbox inline, as a
#: ``{source: …, target: …}`` pair and again in its batch, is 4.7 MiB; long lists belong in
#: CSV files anyway.
SPEC_MAX_BYTES = 8 * MIB
#: YAML nodes written in a spec (keys, values, lists and mappings), counted while parsing so
#: that a huge document is refused before it is built (PyYAML builds about 1 KiB per node).
#: That 50,000-mailbox spec has 300,000.
SPEC_MAX_NODES = 500_000
#: Values reached again through an alias (``*name``): the "billion laughs" attack.
SPEC_MAX_ALIASED = 50_000
#: Lists and mappings inside each other. A spec is five levels deep.
SPEC_MAX_DEPTH = 64

#: One CSV file. 200,000 rows of two addresses take about 12 MiB.
CSV_MAX_BYTES = 32 * MIB
#: Rows of one CSV file (the header and blank lines not counted): four times a 50,000-mailbox
#: merger, which Microsoft moves in batches of at most 2,000 anyway.
CSV_MAX_ROWS = 200_000
#: One CSV row: a few cells of at most VALUE_MAX_CHARS each.
CSV_MAX_ROW_CHARS = 16 * 1024
#: Rows of all the CSV files one spec names, together (each mailbox is usually read twice: in
#: identities and in its batch).
SPEC_MAX_CSV_ROWS = 400_000

#: One value: a YAML key or scalar, or a CSV cell. An SMTP address has at most 254 characters
#: (RFC 5321 §4.5.3.1.3: a path of 256 with its angle brackets; RFC 3696's 320 was corrected by
#: its erratum 1690); no spec value needs more.
VALUE_MAX_CHARS = 1024

#: A saved plan (`t2t plan --out`). A 50,000-mailbox plan (137,500 actions, the world of
#: tests/bench/bench_plan.py) is 281 MB and reads back in about 1 GB of memory.
SAVED_PLAN_MAX_BYTES = 1024 * MIB

#: How much of a value a message quotes: an address in full, a few dozen characters of
#: anything longer (then its length).
SHOWN_CHARS = 80
#: A path a message quotes whole, up to Linux's PATH_MAX (limits.h), so that it can be pasted
#: back; longer only when read from an edited file, and cut short then.
PATH_SHOWN_CHARS = 4096


def printable(text: str) -> str:
    """``text`` with control and formatting characters escaped (``\\x1b``, ``\\u202e``), so
    that a value quoted in a message cannot drive the terminal or reorder what it shows."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clip(value: str, shown: int = SHOWN_CHARS) -> str:
    """``value`` quoted for a message, cut short after ``shown`` characters (saying how long
    it is), so that a message never echoes megabytes."""
    if len(value) <= shown:
        return f"'{printable(value)}'"
    return f"'{printable(value[:shown])}…' ({len(value):,} characters)"
