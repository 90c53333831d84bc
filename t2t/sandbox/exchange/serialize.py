"""PowerShell-style property values with InvokeCommand's type companion keys (§1.3).

Cmdlets build records of ``Typed`` values; ``to_json`` renders them the way the
service does: GUIDs with ``X@data.type: System.Guid`` and ``X@odata.type: #Guid``,
collections with ``X@odata.type: #Collection(String)`` (both seen in §1.3's capture).
Dates and enums companions are assumptions (README.md, "Open questions").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload


@dataclass(frozen=True)
class Typed:
    value: Any
    odata_type: str | None = None
    data_type: str | None = None


Record = dict[str, Any]
"""Property name → plain JSON value or ``Typed``."""

T = TypeVar("T")


class LazyRecords(Sequence[Record]):
    """Records rendered only when read: a Get- cmdlet over 50,000 mailboxes builds just the
    1,000 of the page it returns, not all of them on every page (sandbox-only detail; the
    answer is the same as a list's)."""

    def __init__(self, items: Sequence[T], render: Callable[[T], Record]) -> None:
        self._items: Sequence[Any] = items
        self._render: Callable[[Any], Record] = render

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> LazyRecords: ...

    def __getitem__(self, index: int | slice) -> Record | LazyRecords:
        if isinstance(index, slice):
            return LazyRecords(self._items[index], self._render)
        record: Record = self._render(self._items[index])
        return record


def guid(value: str) -> Typed:
    return Typed(value, "#Guid", "System.Guid")


def strings(values: Iterable[str]) -> Typed:
    return Typed(list(values), "#Collection(String)")


def date(value: dt.datetime) -> Typed:
    text = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    return Typed(text, "#DateTimeOffset", "System.DateTime")


def enum_value(value: str | None, dotnet_type: str) -> Typed:
    return Typed(value, None, dotnet_type)


def select(record: Record, names: list[str] | None) -> Record:
    """``$select=A,B`` keeps only those properties (case-insensitive), §1.2."""
    if not names:
        return record
    wanted = {n.strip().lower() for n in names if n.strip()}
    return {k: v for k, v in record.items() if k.lower() in wanted}


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
