"""Text plan lines that fit: none longer than `MAX_LINE`, however large the plan.

A scope group's new members can be 20,000 addresses and one MailUser's proxies several X500s
of 130 characters; a finding's fix or a permission list can run to a paragraph. Written as one
line each they made lines of 500,000 characters, which no pager, CI log or terminal shows.

- A change whose value would make its line too long is summarised: the value's count on the
  change's own line, then its first `FIRST_FEW` items one per line, then how many more there
  are. `t2t plan --format json` keeps every item (the text plan says so).
- Prose (a finding's message, prevents and fix, a note, a permission list) is wrapped between
  words, each continuation indented under the text it continues.
- A single item or word longer than a line (a long X500, a URL) is cut in the middle with `…`
  when it is a value, never when it is prose (a URL must stay whole to be clicked; the terminal
  wraps it).

Lines that fit are left exactly as they were.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

#: The longest line the text plan writes. A CI log or a pager shows it whole; on a terminal
#: the CLI wraps again to the terminal's width (t2t/cli/output.py).
MAX_LINE = 200
#: Items of a long list shown one per line before "… and N more".
FIRST_FEW = 5
JSON_HINT = "every one: t2t plan --format json"


def json_value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def clip(text: str, width: int) -> str:
    """`text`, cut in its middle to at most `width` characters when longer (`…` marks it)."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def _count(n: int, what: str = "item") -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def short(v: Any) -> str:
    """A value in a few characters: a list as its count, a mapping as its keys' counts."""
    if isinstance(v, list | tuple):
        return f"[{_count(len(v))}]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {short(x)}" for k, x in v.items()) + "}"
    return json_value(v)


def detail(v: Any, indent: str) -> list[str]:
    """The lines under a summarised value: a list's first items and how many more; a
    mapping's keys, each with its own; a scalar too long for its line, cut."""
    width = MAX_LINE - len(indent)
    if isinstance(v, dict):
        out: list[str] = []
        for key, item in v.items():
            out.append(
                clip(
                    f"{indent}{key}:"
                    + ("" if isinstance(item, list | tuple | dict) else f" {json_value(item)}"),
                    MAX_LINE,
                )
            )
            out += detail(item, indent + "  ") if isinstance(item, list | tuple | dict) else []
        return out
    if isinstance(v, list | tuple):
        out = [indent + clip(json_value(item), width) for item in v[:FIRST_FEW]]
        if len(v) > FIRST_FEW:
            out.append(f"{indent}… and {len(v) - FIRST_FEW:,} more ({JSON_HINT})")
        return out
    return [indent + clip(json_value(v), width)]


def change_lines(head: str, before: Any, after: Any, *, create: bool) -> list[str]:
    """`head` (`      + Field = ` or `      ~ Field = `) with the values, on one line when it
    fits; else with each value in short (`short`) and, under it, the detail of each list or
    mapping (`detail`; `before:` and `after:` when both are)."""
    shown = json_value(after) if create else f"{json_value(before)} -> {json_value(after)}"
    if len(head) + len(shown) <= MAX_LINE:
        return [head + shown]
    line = head + (short(after) if create else f"{short(before)} -> {short(after)}")
    indent = " " * (len(head) - len(head.lstrip()) + 4)
    sides = [("after", after)] if create else [("before", before), ("after", after)]
    containers = [(name, v) for name, v in sides if isinstance(v, list | tuple | dict) and v]
    out = [clip(line, MAX_LINE)]
    for name, value in containers:
        if len(containers) == 1:
            out += detail(value, indent)
        else:
            out += [f"{indent}{name}:", *detail(value, indent + "  ")]
    return out


def wrapped(line: str, hanging: int | None = None) -> list[str]:
    """A prose line within `MAX_LINE`, cut between words; continuations are indented by
    `hanging` (default: under the line's text, past its indentation)."""
    if len(line) <= MAX_LINE:
        return [line]
    indent = len(line) - len(line.lstrip(" ")) if hanging is None else hanging
    return textwrap.wrap(
        line,
        width=MAX_LINE,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
