"""A sequence of JSON records rendered only when read.

A Get- cmdlet or a Graph list over 50,000 objects then builds just the page it returns, not
every object on every page (sandbox-only detail; the answer is the same as a list's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

Record = dict[str, Any]
T = TypeVar("T")


class LazyRecords(Sequence[Record]):
    """Records rendered on access; slicing stays lazy."""

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
