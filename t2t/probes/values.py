"""Parsers for PowerShell-serialised values in InvokeCommand output (wire-protocols.md §1.3)."""

from __future__ import annotations

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
