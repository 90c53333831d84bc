"""PowerShell-style property values with InvokeCommand's type companion keys (§1.3).

Cmdlets build records of ``Typed`` values; ``to_json`` renders them the way the
service does: GUIDs with ``X@data.type: System.Guid`` and ``X@odata.type: #Guid``,
collections with ``X@odata.type: #Collection(String)`` (both seen in §1.3's capture).
Dates and enums companions are assumptions (README.md, "Open questions").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Typed:
    value: Any
    odata_type: str | None = None
    data_type: str | None = None


Record = dict[str, Any]
"""Property name → plain JSON value or ``Typed``."""


def guid(value: str) -> Typed:
    return Typed(value, "#Guid", "System.Guid")


def strings(values: Iterable[str]) -> Typed:
    return Typed(list(values), "#Collection(String)")


def date(value: dt.datetime) -> Typed:
    return Typed(_date_text(value), "#DateTimeOffset", "System.DateTime")


@functools.lru_cache(maxsize=4096)
def _date_text(value: dt.datetime) -> str:
    """Formatted once per instant: most records of a page share their WhenCreated."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def enum_value(value: str | None, dotnet_type: str) -> Typed:
    return Typed(value, None, dotnet_type)


def select(record: Record, names: list[str] | None) -> Record:
    """``$select=A,B`` keeps only those properties (case-insensitive), §1.2."""
    if not names:
        return record
    wanted = _wanted(tuple(names))
    return {k: v for k, v in record.items() if k.lower() in wanted}


@functools.lru_cache(maxsize=64)
def _wanted(names: tuple[str, ...]) -> frozenset[str]:
    """Computed once per $select, not once per record of a 1,000-record page."""
    return frozenset(n.strip().lower() for n in names if n.strip())


def to_json(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Typed):
            if value.data_type:
                out[f"{key}@data.type"] = value.data_type
            if value.odata_type:
                out[f"{key}@odata.type"] = value.odata_type
            out[key] = value.value
        else:
            out[key] = value
    return out
