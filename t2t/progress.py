"""How far long work has got: the probes, the planner and the applier report here, and whoever
shows it (the CLI's rich bars on stderr, t2t/cli/progress.py) implements `Progress`.

A module beside t2t/logs.py rather than inside a layer: the probes, the planner and the applier
all report, and the layers they sit on (spec, state, clients) hold none of this. It imports
nothing: the layer contracts (pyproject.toml) keep rich and the CLI out of everything below
the CLI, and they stay out here too.

The reporter and the task being worked on are context variables, as structlog's context and
t2t/clients/request_ids.py are: progress crosses every layer and no result depends on it, so
it is not threaded through every signature. Nothing is reported unless a caller installs a
`Progress` with `reporting`; without one every call here is a few attribute look-ups.
Context variables follow asyncio tasks (each copies its creator's), so a reader running in its
own task counts into the part it reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Progress(Protocol):
    """What a display of progress implements. Keys are unique for the life of the process."""

    def begin(self, key: int, description: str, total: int | None, unit: str) -> None:
        """A task started: `total` units of `unit` (None: not known yet)."""

    def update(self, key: int, completed: int, total: int | None) -> None:
        """The task has done `completed` units (of `total`, which may have become known)."""

    def end(self, key: int) -> None:
        """The task is over, whatever its outcome."""


class _Silent:
    """The reporter when nobody shows progress: drops everything."""

    def begin(self, key: int, description: str, total: int | None, unit: str) -> None:
        return None

    def update(self, key: int, completed: int, total: int | None) -> None:
        return None

    def end(self, key: int) -> None:
        return None


SILENT: Progress = _Silent()
_reporter: ContextVar[Progress] = ContextVar("t2t_progress", default=SILENT)
_keys = itertools.count(1)


class Task:
    """One piece of long work being counted (a collection read, the planning, the actions of
    one kind)."""

    def __init__(self, reporter: Progress, description: str, total: int | None, unit: str):
        self.key = next(_keys)
        self.completed = 0
        self.total = total
        self._reporter = reporter
        self._closed = False
        reporter.begin(self.key, description, total, unit)

    def step(self, amount: int = 1) -> None:
        self.completed += amount
        self._reporter.update(self.key, self.completed, self.total)

    def expect(self, total: int) -> None:
        """How many units the task will take, once that is known."""
        self.total = total
        self._reporter.update(self.key, self.completed, total)

    def close(self) -> None:
        """The task is over (once: closing it again does nothing)."""
        if not self._closed:
            self._closed = True
            self._reporter.end(self.key)


_current: ContextVar[Task | None] = ContextVar("t2t_progress_task", default=None)


@contextmanager
def reporting(progress: Progress) -> Iterator[None]:
    """Report to `progress` while the block runs (and in the asyncio tasks it starts)."""
    token = _reporter.set(progress)
    try:
        yield
    finally:
        _reporter.reset(token)


def open_task(description: str, total: int | None = None, unit: str = "") -> Task:
    """A task the caller closes itself (one of several open at once, as apply's per kind)."""
    return Task(_reporter.get(), description, total, unit)


@contextmanager
def task(description: str, total: int | None = None, unit: str = "") -> Iterator[Task]:
    """A task for the block: the one `step` and `expect` count into while it runs."""
    current = open_task(description, total, unit)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)
        current.close()


def step(amount: int = 1) -> None:
    """`amount` more units done by the task the caller runs under (none: nothing)."""
    current = _current.get()
    if current is not None:
        current.step(amount)


def expect(total: int) -> None:
    """The total of the task the caller runs under, now that it is known."""
    current = _current.get()
    if current is not None:
        current.expect(total)
