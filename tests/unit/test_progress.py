"""t2t/progress.py — what the probes, the planner and the applier report — and the CLI's rich
bars that draw it (t2t/cli/progress.py), without a terminal: a recording reporter, and rich on
a forced terminal."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

from rich.console import Console

from t2t import progress
from t2t.cli.progress import Bars
from t2t.planner import build_plan
from t2t.planner.plan import DOMAINS
from tests.render.large_plan import large_world


@dataclass
class Recorder:
    """A Progress that keeps every call, in order."""

    calls: list[tuple[object, ...]] = field(default_factory=list)

    def begin(self, key: int, description: str, total: int | None, unit: str) -> None:
        self.calls.append(("begin", key, description, total, unit))

    def update(self, key: int, completed: int, total: int | None) -> None:
        self.calls.append(("update", key, completed, total))

    def end(self, key: int) -> None:
        self.calls.append(("end", key))

    def of(self, description: str) -> list[tuple[object, ...]]:
        """The calls about the task described so, without its key."""
        key = next(c[1] for c in self.calls if c[0] == "begin" and c[2] == description)
        return [(c[0], *c[2:]) for c in self.calls if c[1] == key]


def test_nothing_is_reported_without_a_reporter() -> None:
    with progress.task("quiet", total=3) as task:
        progress.step()
        progress.expect(5)
    assert (task.completed, task.total) == (1, 5)  # counted, shown to nobody
    progress.step()  # outside any task: nothing to count into, no error


def test_steps_count_into_the_innermost_task_and_each_ends_once() -> None:
    seen = Recorder()
    with progress.reporting(seen), progress.task("outer", total=2, unit="parts") as outer:
        with progress.task("inner", unit="records"):
            progress.step(1000)
            progress.expect(1500)
            progress.step(500)
        outer.step()
        outer.close()  # closing twice ends it once
    assert seen.of("inner") == [
        ("begin", "inner", None, "records"),
        ("update", 1000, None),
        ("update", 1000, 1500),
        ("update", 1500, 1500),
        ("end",),
    ]
    assert seen.of("outer") == [("begin", "outer", 2, "parts"), ("update", 1, 2), ("end",)]


def test_asyncio_tasks_count_into_the_task_that_started_them() -> None:
    """A reader runs in its own asyncio task: its pages count into its own part."""
    seen = Recorder()

    async def part(name: str, pages: int) -> None:
        with progress.task(name):
            for _ in range(pages):
                await asyncio.sleep(0)
                progress.step(10)

    async def read() -> None:
        await asyncio.gather(part("a", 3), part("b", 2))

    with progress.reporting(seen):
        asyncio.run(read())
    assert [c for c in seen.of("a") if c[0] == "update"][-1] == ("update", 30, None)
    assert [c for c in seen.of("b") if c[0] == "update"][-1] == ("update", 20, None)


def test_planning_reports_a_step_per_domain_and_per_mailbox() -> None:
    desired, snapshot = large_world(300)
    seen = Recorder()
    with progress.reporting(seen):
        build_plan(desired, snapshot)
    calls = seen.of("planning")
    total = len(DOMAINS) + 300
    assert calls[0] == ("begin", "planning", total, "steps")
    assert calls[-2:] == [("update", total, total), ("end",)]
    assert [c[1] for c in calls[1:-1]] == list(range(1, total + 1))


def test_bars_draw_count_rate_and_eta_and_forget_what_ended() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    bars = Bars(console)
    bars.begin(1, "reading the source", 4, "parts")
    bars.begin(2, "source recipients", None, "records")
    bars.update(1, 2, 4)
    bars.update(2, 3000, None)
    shown = [task.description for task in bars.rich.tasks]
    assert shown == ["reading the source", "source recipients"]
    console.print(bars.rich.make_tasks_table(bars.rich.tasks))
    drawn = screen.getvalue().splitlines()
    assert drawn[0].startswith("reading the source")
    assert "2/4 parts" in drawn[0] and "/s" in drawn[0] and "ETA 0:00:" in drawn[0]
    assert "3,000 records" in drawn[1] and "ETA" not in drawn[1]
    bars.end(2)
    bars.end(2)  # a second end of the same task is harmless
    assert [task.description for task in bars.rich.tasks] == ["reading the source"]
