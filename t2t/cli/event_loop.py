"""``asyncio.run`` for the CLI's commands, without formatting their result.

Why: in CPython 3.11 ``asyncio.Runner.run`` installs its Ctrl-C handler as a partial holding
the main task and, when done, asks ``signal.getsignal`` for it; that call tries the handler
as a ``signal.Handlers`` value, and the enum's ValueError text is built with ``repr`` of the
partial — the finished task with its result. A `Snapshot` of 10,000 mailboxes is a repr of
tens of megabytes, built twice (measured: 0.9 s for a dataclass holding 100,000 records).
The result therefore leaves the task in a box whose repr is a constant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Box(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


async def _boxed(coro: Coroutine[Any, Any, T]) -> _Box[T]:
    return _Box(await coro)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``'s result."""
    return asyncio.run(_boxed(coro)).value
