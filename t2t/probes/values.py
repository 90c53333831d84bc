"""Parsers for PowerShell-serialised values in InvokeCommand output (wire-protocols.md §1.3)."""

from __future__ import annotations

import re
from typing import Any


def as_list(value: Any) -> tuple[str, ...]:
    """A multi-valued property: a JSON array, one string, or null."""
    if value is None or value == "":
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v not in (None, ""))
    return (str(value),)


def as_bool(value: Any) -> bool:
    """Booleans arrive as JSON booleans or as "True"/"False" strings."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


_BYTES = re.compile(r"\(([\d,.\s]+)\s*bytes\)")


def as_bytes(value: Any) -> int | None:
    """A ByteQuantifiedSize: "1.5 GB (1,610,612,736 bytes)" → 1610612736; a number as is."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _BYTES.search(str(value))
    if not match:
        return None
    return int(re.sub(r"[^\d]", "", match.group(1)))


def as_int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(str(value).replace(",", ""))
    except ValueError:
        return None


def as_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def lower_guid(value: Any) -> str:
    return str(value or "").lower()
