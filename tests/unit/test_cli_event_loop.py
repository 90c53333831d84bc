"""t2t.cli.event_loop.run: asyncio.run's result and errors, and the result never formatted
(CPython 3.11's Runner formats the finished task when it restores the Ctrl-C handler; for a
snapshot of 10,000 mailboxes that was seconds)."""

from __future__ import annotations

import asyncio

import pytest

from t2t.cli.event_loop import run


class Loud:
    """A result that counts the times it is formatted."""

    formatted = 0

    def __repr__(self) -> str:
        Loud.formatted += 1
        return "Loud()"


async def _give(value: object) -> object:
    await asyncio.sleep(0)
    return value


async def _fail() -> None:
    raise LookupError("gone")


def test_the_result_comes_back_unformatted() -> None:
    Loud.formatted = 0
    value = Loud()
    assert run(_give(value)) is value
    assert Loud.formatted == 0


def test_errors_propagate_as_asyncio_run_raises_them() -> None:
    with pytest.raises(LookupError, match="gone"):
        run(_fail())
