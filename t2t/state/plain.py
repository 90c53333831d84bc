"""Observed objects as plain JSON-ready data (for `t2t show --format json` and fixtures)."""

from __future__ import annotations

import dataclasses
from typing import Any


def as_plain(value: Any) -> Any:
    """Dataclasses to dicts (without `raw`), tuples to lists, sets to sorted lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: as_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "raw"
        }
    if isinstance(value, tuple | list):
        return [as_plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(as_plain(v) for v in value)
    return value
