"""OPATH `-Filter` text built from values, never by pasting raw input into a filter.

Microsoft Learn, "Additional OPATH syntax information"
(https://learn.microsoft.com/powershell/exchange/recipient-filters): text values go in single
quotation marks, and a single quotation mark inside one is doubled (its example:
``'$($User -Replace "'","''")'``); "Include the hyphen before all logical or comparison
operators" (-eq, -or). t2t parenthesizes every comparison, so no reading of -and/-or precedence
matters.

A value holding a typographic quotation mark (U+2018–U+201B, U+201C–U+201E) or a control
character is not put in a filter: PowerShell's tokenizer reads the former as quotation marks
(PowerShell ``CharTraits.cs``, IsSingleQuote/IsDoubleQuote) and no source says whether
Exchange's filter parser does — callers read such a name alone, by -Identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TYPOGRAPHIC_QUOTES = frozenset("\u2018\u2019\u201a\u201b\u201c\u201d\u201e")
_PROPERTY = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def quotable(value: str) -> bool:
    """Whether `quote` can put ``value`` in a filter with a meaning every source agrees on."""
    return not any(c in _TYPOGRAPHIC_QUOTES or ord(c) < 32 or ord(c) == 127 for c in value)


def quote(value: str) -> str:
    """``value`` as an OPATH text value: in single quotation marks, each inner one doubled.
    ValueError when it is not `quotable`."""
    if not quotable(value):
        raise ValueError(f"{value!r} holds a character an OPATH filter cannot quote safely")
    return "'" + value.replace("'", "''") + "'"


def eq(prop: str, value: str) -> str:
    """``(Prop -eq 'value')``: one comparison, parenthesized."""
    if not _PROPERTY.fullmatch(prop):
        raise ValueError(f"{prop!r} is not a property name")
    return f"({prop} -eq {quote(value)})"


def any_of(clauses: Iterable[str]) -> str:
    """The clauses joined by -or (each already parenthesized by `eq`)."""
    joined = " -or ".join(clauses)
    if not joined:
        raise ValueError("an OPATH filter needs at least one clause")
    return joined
