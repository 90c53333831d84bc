"""Progress bars on stderr while t2t reads, plans and applies: rich draws what the probes, the
planner and the applier report through t2t/progress.py.

Each task is one row — a collection being read (its records so far and their rate; a known
count, like the per-mailbox statistics, gets a bar and an ETA), a tenant's parts read, the
planning (a step per mailbox), the actions applied in all and per kind — shown while it runs
and gone when it ends. A row without a total appears only once its task has run for
`QUIET_SECONDS`, so the dozens of one-page reads of a plan do not flicker past. The display is
transient: when the work is over nothing of it stays on the screen, and what was printed above
it (the plan, apply's lines and summary) is exactly what it was without it.

Shown only when stderr is a terminal (not TERM=dumb), and not with `--no-progress` or
T2T_NO_PROGRESS set; coloured as the text is (`--no-color`, NO_COLOR). While they are drawn,
whatever goes to stderr (a prompt, a note, a log line: `StderrNow`) and to stdout, when stdout
is that terminal too, is printed above them (`_Above`); a redirected stdout is never touched.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from datetime import timedelta
from typing import NoReturn, TextIO

from rich.console import Console, RenderableType
from rich.file_proxy import FileProxy
from rich.progress import BarColumn, ProgressColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress
from rich.progress import Task as RichTask
from rich.text import Text

from t2t import progress
from t2t.cli import output

_settings = {"off": False}

#: A row whose total is not known is shown once its task has run this long (seconds).
QUIET_SECONDS = 0.5


def set_no_progress(value: bool) -> None:
    """`--no-progress` (or T2T_NO_PROGRESS), for the rest of the command."""
    _settings["off"] = value


class CountColumn(ProgressColumn):
    """`1,234/20,000 records`, or `1,234 records` while the total is not known."""

    def render(self, task: RichTask) -> Text:
        unit = task.fields.get("unit", "")
        done = f"{int(task.completed):,}"
        count = done if task.total is None else f"{done}/{int(task.total):,}"
        return Text(f"{count} {unit}".rstrip(), style="progress.download")


def speed(task: RichTask) -> float | None:
    """Units per second: rich's, over its recent samples, once it has two; until then the
    average since the task began, so a rate and an ETA show from the first unit done."""
    if task.speed is not None:
        return task.speed
    elapsed = task.elapsed
    return task.completed / elapsed if task.completed and elapsed else None


class RateColumn(ProgressColumn):
    """Units per second (blank until one is done)."""

    def render(self, task: RichTask) -> Text:
        rate = speed(task)
        return Text("" if rate is None else f"{rate:,.0f}/s", style="progress.data.speed")


class EtaColumn(ProgressColumn):
    """`ETA 0:01:05` for a task with a total (`ETA …` until the first unit is done)."""

    max_refresh = 0.5  # as rich's TimeRemainingColumn: an estimate that does not jitter

    def render(self, task: RichTask) -> Text:
        if task.total is None:
            return Text("")
        rate = speed(task)
        if rate:
            left = max(task.total - task.completed, 0) / rate
            return Text(f"ETA {timedelta(seconds=int(left))}", style="progress.remaining")
        return Text("ETA …", style="progress.remaining")


class _Rows(RichProgress):
    """rich's Progress, leaving out rows without a total until they have run a while."""

    def get_renderables(self) -> Iterator[RenderableType]:
        now = time.monotonic()  # rich's own clock (Console.get_time); called before __init__ ends
        shown = [
            t
            for t in self.tasks
            if t.total is not None or t.start_time is None or now - t.start_time >= QUIET_SECONDS
        ]
        yield self.make_tasks_table(shown)


class _Above(FileProxy):
    """rich's FileProxy: a line written to it is printed above the bars. Two changes: it
    shows its file's encoding (io.TextIOBase answers None, so click's echo took it for a
    misconfigured stream and wrapped the buffer underneath, which a terminal cannot seek), and
    it hides the file it wraps (`rich_proxied_file`), which a rich Console given this proxy
    (t2t/cli/output.py's, for the coloured plan) would otherwise write to directly, across the
    bars."""

    def __init__(self, console: Console, file: TextIO) -> None:
        super().__init__(console, file)
        self._file = file

    @property
    def rich_proxied_file(self) -> NoReturn:
        raise AttributeError("rich_proxied_file")

    # typeshed declares these writeable; on io.TextIOBase they are read-only, as here.
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self._file, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        errors = getattr(self._file, "errors", None)
        return None if errors is None else str(errors)


class Bars:
    """t2t.progress.Progress drawn by rich on `console` (stderr)."""

    def __init__(self, console: Console) -> None:
        self.rich = _Rows(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            CountColumn(),
            RateColumn(),
            EtaColumn(),
            console=console,
            transient=True,
            redirect_stdout=False,  # done by `shown`, with `_Above`
            redirect_stderr=False,
        )
        self._ids: dict[int, TaskID] = {}

    def begin(self, key: int, description: str, total: int | None, unit: str) -> None:
        self._ids[key] = self.rich.add_task(description, total=total, unit=unit)

    def update(self, key: int, completed: int, total: int | None) -> None:
        if key in self._ids:
            self.rich.update(self._ids[key], completed=completed, total=total)

    def end(self, key: int) -> None:
        if key in self._ids:
            self.rich.remove_task(self._ids.pop(key))


class StderrNow(io.TextIOBase):
    """sys.stderr as it is at each write, for the log lines (t2t/logs.py): while the bars are
    drawn that is `_Above`, so a log line goes above them instead of across them."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def wanted(console: Console) -> bool:
    """Whether bars are drawn on `console`: a real terminal, and not switched off."""
    return not _settings["off"] and console.is_terminal and not console.is_dumb_terminal


@contextmanager
def shown() -> Iterator[None]:
    """Progress bars on stderr while the block runs, when `wanted`."""
    console = output.console(err=True)
    if not wanted(console):
        yield
        return
    bars = Bars(console)
    with ExitStack() as stack:
        stack.enter_context(redirect_stderr(_Above(console, sys.stderr)))
        if sys.stdout.isatty():  # stdout on the terminal too: its lines go above the bars
            stack.enter_context(redirect_stdout(_Above(console, sys.stdout)))
        stack.enter_context(bars.rich)
        stack.enter_context(progress.reporting(bars))
        yield
