"""Waiting within an action's deadline (t2t/apply/waiting.py), through the runner: a long
wait for a write to show is shown as progress lines naming the action, and hands the action's
slot to the next ready one — so an action waiting on replication never holds up an unrelated
action behind it, even with a single slot.

Like tests/apply/test_runner.py, the runner is driven with executors of this test's own,
registered for a scratch kind. Then the pieces on their own: the schedule once spent, the
single re-read after a lost answer, and a wait that meets its deadline."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

import pytest
from structlog.testing import capture_logs

from t2t.apply import ApplyContext, apply_plan
from t2t.apply import executors as registry
from t2t.apply.result import ActionResult
from t2t.apply.waiting import (
    LAST_LOOK_SECONDS,
    LONG_WAIT_SECONDS,
    MIN_REPEAT_SECONDS,
    PROGRESS_EVERY_SECONDS,
    _delay,
    reread,
    wait_for,
)
from t2t.clients.errors import DeadlineReached
from t2t.planner import Action
from t2t.planner import kinds as K
from tests.apply.scratch import scratch_action, scratch_plan

KIND = "test.waits"


@pytest.fixture(autouse=True)
def _kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(K.BY_NAME, KIND, K.ActionKind(KIND, "exchange", "safe", ()))


def test_a_long_wait_shows_and_logs_progress_and_lets_the_next_action_take_its_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One slot: `slow` waits until `fast` has run. Without the hand-off `fast` could start
    only after `slow` reached its deadline; with it, both are done once the wait is long."""
    ran: list[str] = []
    progress: list[tuple[str, str]] = []

    async def run(action: Action, ctx: ApplyContext) -> ActionResult:
        if action.id == "slow":

            async def shown() -> bool:
                return "fast" in ran

            waited = await wait_for(ctx, shown, "the slow object to show")
            ran.append("slow")
            return ActionResult(id=action.id, status="done", message=f"{waited:.0f}")
        ran.append("fast")
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, KIND, run)
    ctx = ApplyContext(
        exchange={},
        verify_delays=(0.0, 0.5),
        deadline_seconds=30.0,
        on_wait=lambda action, text: progress.append((action, text)),
    )
    plan = scratch_plan(scratch_action("slow", KIND), scratch_action("fast", KIND))
    started = time.monotonic()
    with capture_logs() as logs:
        report = asyncio.run(apply_plan(plan, ctx, concurrency=1))
    took = time.monotonic() - started
    assert [(r.id, r.status) for r in report.results] == [("fast", "done"), ("slow", "done")]
    assert ran == ["fast", "slow"]
    assert LONG_WAIT_SECONDS <= took < LONG_WAIT_SECONDS + 3
    [(action, text)] = progress  # one line: the wait ended right after it
    assert action == "slow"
    assert re.fullmatch(r"waiting for the slow object to show \(\d+ s\)", text), text
    assert int(re.findall(r"\d+", text)[-1]) <= took  # the seconds it waited, not more
    logged = [e for e in logs if e["event"] == "apply.waiting"]
    assert logged == [
        {"event": "apply.waiting", "log_level": "info", "action": "slow", "progress": text}
    ]


def test_a_short_wait_keeps_its_slot_and_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    progress: list[tuple[str, str]] = []

    async def run(action: Action, ctx: ApplyContext) -> ActionResult:
        if action.id == "first":
            reads = iter((False, False, True))

            async def shown() -> bool:
                return next(reads)

            await wait_for(ctx, shown, "a replica a moment behind")
        order.append(action.id)
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, KIND, run)
    ctx = ApplyContext(
        exchange={},
        verify_delays=(0.0, 0.1, 0.2),
        on_wait=lambda action, text: progress.append((action, text)),
    )
    plan = scratch_plan(scratch_action("first", KIND), scratch_action("second", KIND))
    asyncio.run(apply_plan(plan, ctx, concurrency=1))
    assert order == ["first", "second"]  # the slot stayed with the waiting action
    assert progress == []


def test_the_schedule_then_its_last_delay_but_never_faster_than_the_floor() -> None:
    assert [_delay((0.0, 0.5, 4.0), n) for n in range(5)] == [0.0, 0.5, 4.0, 4.0, 4.0]
    floor = MIN_REPEAT_SECONDS
    assert [_delay((0.0, 0.5), n) for n in (1, 2, 9)] == [0.5, floor, floor]
    assert _delay((), 0) == MIN_REPEAT_SECONDS


def _answers(*values: bool) -> tuple[list[int], Callable[[], Awaitable[bool]]]:
    """A `ready` that answers `values` in turn (the last one again), and its call count."""
    calls: list[int] = []

    async def ready() -> bool:
        calls.append(len(calls))
        return values[min(len(calls) - 1, len(values) - 1)]

    return calls, ready


def test_a_lost_answer_is_re_read_once_through_the_schedule() -> None:
    ctx = ApplyContext(exchange={}, verify_delays=(0.0, 0.0, 0.0, 0.0))
    calls, ready = _answers(False, False, True)
    assert asyncio.run(reread(ctx, ready)) is True
    assert len(calls) == 3  # stops at the first yes
    calls, ready = _answers(False)
    assert asyncio.run(reread(ctx, ready)) is False
    assert len(calls) == 4  # one look per delay, no more


def test_a_wait_past_its_deadline_is_named_and_a_re_read_that_meets_it_is_the_waits() -> None:
    ctx = ApplyContext(exchange={}, verify_delays=(0.0,), deadline_seconds=LAST_LOOK_SECONDS)
    calls, never = _answers(False)
    with pytest.raises(DeadlineReached) as reached:
        asyncio.run(wait_for(ctx, never, "the contact to show"))
    assert str(reached.value) == "waited 0 s for the contact to show; it has not happened yet"
    assert len(calls) == 1

    async def cut_short() -> bool:
        raise DeadlineReached("Get-MailContact: the action's deadline passed")

    ctx = ApplyContext(exchange={}, verify_delays=(0.0,))
    with pytest.raises(DeadlineReached) as reached:
        asyncio.run(wait_for(ctx, cut_short, "the contact to show"))
    assert str(reached.value) == "waited 0 s for the contact to show; it has not happened yet"


def test_the_last_look_comes_before_the_deadline_however_long_the_next_delay() -> None:
    """A re-read after the deadline could not be sent: the schedule's 30 s is cut to the
    deadline's last look, and what the wait reports it waited is what it took."""
    ctx = ApplyContext(exchange={}, verify_delays=(0.0, 30.0), deadline_seconds=2.0)
    looks: list[float] = []

    async def never() -> bool:
        looks.append(time.monotonic())
        return False

    started = time.monotonic()
    with pytest.raises(DeadlineReached):
        asyncio.run(wait_for(ctx, never, "the contact to show"))
    assert len(looks) == 2 and looks[1] < started + ctx.deadline_seconds

    calls, second = _answers(False, True)
    ctx = ApplyContext(exchange={}, verify_delays=(0.0, 0.2))
    started = time.monotonic()
    waited = asyncio.run(wait_for(ctx, second, "x"))
    assert 0.0 < waited <= time.monotonic() - started and len(calls) == 2


def test_a_wait_that_goes_on_shows_a_line_every_interval_until_its_deadline() -> None:
    """Past the first line (at LONG_WAIT_SECONDS) the next comes PROGRESS_EVERY_SECONDS later,
    counted from the line before: a 17 s wait shows two."""
    progress: list[tuple[str, str]] = []
    ctx = ApplyContext(
        exchange={},
        verify_delays=(0.0, 1.0),
        deadline_seconds=LONG_WAIT_SECONDS + PROGRESS_EVERY_SECONDS + 2.0,
        on_wait=lambda action, text: progress.append((action, text)),
    )
    _, never = _answers(False)
    with pytest.raises(DeadlineReached):
        asyncio.run(wait_for(ctx, never, "the contact to show"))
    assert [re.sub(r"\d+", "N", text) for _, text in progress] == [
        "waiting for the contact to show (N s)"
    ] * 2
