"""The runner: an unexpected error fails one action, skips its dependants, and the rest
runs; messages are scrubbed of registered secrets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from t2t.apply import ApplyContext, apply_plan
from t2t.apply import executors as registry
from t2t.apply.result import ActionResult
from t2t.logs import register_secret
from t2t.planner import Action, Plan
from t2t.planner import kinds as K
from tests.apply.scratch import scratch_action as _action
from tests.apply.scratch import scratch_plan as _plan

#: The runner's own tests drive it with executors of their own, on Exchange slots.
TEST_KINDS = ("boom", "fine", "create", "stamp", "licence", "slow", "quick", "write")


@pytest.fixture(autouse=True)
def _test_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TEST_KINDS:
        kind = K.ActionKind(f"test.{name}", "exchange", "safe", ())
        monkeypatch.setitem(K.BY_NAME, kind.name, kind)


def test_unexpected_error_fails_one_action_only(monkeypatch: pytest.MonkeyPatch) -> None:
    register_secret("s3cr3t-value-xyz")

    async def boom(action: Action, ctx: ApplyContext) -> ActionResult:
        raise ValueError("bad JSON near s3cr3t-value-xyz")

    async def fine(action: Action, ctx: ApplyContext) -> ActionResult:
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, "test.boom", boom)
    monkeypatch.setitem(registry.EXECUTORS, "test.fine", fine)
    plan = Plan(
        spec_name="t",
        spec_path="t.yaml",
        source_tenant="s",
        target_tenant="t",
        actions=(
            _action("a", "test.boom"),
            _action("b", "test.fine", depends_on=("a",)),
            _action("c", "test.fine"),
        ),
        findings=(),
        unknowns=(),
    )
    report = asyncio.run(apply_plan(plan, ApplyContext(exchange={})))
    status = {r.id: r for r in report.results}
    assert status["a"].status == "failed"
    assert "unexpected ValueError" in status["a"].message
    assert "s3cr3t-value-xyz" not in status["a"].message
    assert status["b"].status == "skipped"
    assert status["c"].status == "done"


def test_a_403_for_a_missing_exchange_role_names_the_plans_fix() -> None:
    from t2t.apply.executors.common import ExecutionFailed
    from t2t.apply.executors.common import failure_message as _failure
    from t2t.clients import PermissionDenied
    from t2t.planner.checks import CATALOGUE, EXCHANGE_ROLE_FIX

    denied = PermissionDenied(
        403, "Forbidden", "New-MailUser: denied", exception_type="CmdletAccessDeniedException"
    )
    assert _failure(denied).endswith(EXCHANGE_ROLE_FIX)
    try:
        raise ExecutionFailed("cannot create") from denied
    except ExecutionFailed as wrapped:
        assert _failure(wrapped) == f"cannot create — {EXCHANGE_ROLE_FIX}"
    assert CATALOGUE["T2T-W121"].fix == EXCHANGE_ROLE_FIX
    graph = PermissionDenied(403, "Authorization_RequestDenied", "Graph: denied")
    assert _failure(graph) == "HTTP 403 Authorization_RequestDenied: Graph: denied"


def _recording(monkeypatch: pytest.MonkeyPatch, kinds: tuple[str, ...], log: list[str]) -> None:
    """Executors for test kinds that note when each action starts and yield once."""

    async def note(action: Action, ctx: ApplyContext) -> ActionResult:
        log.append(action.id)
        await asyncio.sleep(0)
        return ActionResult(id=action.id, status="done")

    for kind in kinds:
        monkeypatch.setitem(registry.EXECUTORS, kind, note)


def test_a_mailbox_chain_runs_to_its_end_before_new_chains_take_the_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30 chains create → stamp → licence on two slots: the deepest ready action starts
    first, so the first chain is finished before the tenth create starts (waves would
    create all 30 first)."""
    started: list[str] = []
    _recording(monkeypatch, ("test.create", "test.stamp", "test.licence"), started)
    actions: list[Action] = []
    for i in range(30):
        actions.append(_action(f"c{i}", "test.create"))
        actions.append(_action(f"s{i}", "test.stamp", depends_on=(f"c{i}",)))
        actions.append(_action(f"l{i}", "test.licence", depends_on=(f"s{i}",)))
    report = asyncio.run(apply_plan(_plan(*actions), ApplyContext(exchange={}), concurrency=2))
    assert report.count("done") == 90
    assert started.index("l0") < started.index("c9"), started[:12]
    for i in range(30):
        assert started.index(f"c{i}") < started.index(f"s{i}") < started.index(f"l{i}")


def test_a_slow_action_delays_no_unrelated_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    finished: list[str] = []
    release = asyncio.Event()

    async def slow(action: Action, ctx: ApplyContext) -> ActionResult:
        await release.wait()
        finished.append(action.id)
        return ActionResult(id=action.id, status="done")

    async def quick(action: Action, ctx: ApplyContext) -> ActionResult:
        finished.append(action.id)
        if action.id == "b2":
            release.set()  # the slow one ends only after the unrelated chain has
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, "test.slow", slow)
    monkeypatch.setitem(registry.EXECUTORS, "test.quick", quick)
    plan = _plan(
        _action("a", "test.slow"),
        _action("b1", "test.quick"),
        _action("b2", "test.quick", depends_on=("b1",)),
    )
    report = asyncio.run(apply_plan(plan, ApplyContext(exchange={})))
    assert finished == ["b1", "b2", "a"]
    assert report.ok


def test_blocked_and_cyclic_actions_skip_exactly_their_dependants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    _recording(monkeypatch, ("test.fine",), started)
    gate = _action("gate", "test.fine").model_copy(update={"blocked_by": ("T2T-E999",)})
    plan = _plan(
        gate,
        _action("after-gate", "test.fine", depends_on=("gate",)),
        _action("x", "test.fine", depends_on=("y",)),
        _action("y", "test.fine", depends_on=("x",)),
        _action("after-cycle", "test.fine", depends_on=("x",)),
        _action("free", "test.fine", depends_on=("missing-from-plan",)),
    )
    report = asyncio.run(apply_plan(plan, ApplyContext(exchange={})))
    got = {r.id: (r.status, r.message) for r in report.results}
    assert got == {
        "gate": ("blocked", "blocked by T2T-E999"),
        "after-gate": ("skipped", "a dependency did not succeed"),
        "x": ("failed", "dependency cycle"),
        "y": ("failed", "dependency cycle"),
        "after-cycle": ("skipped", "a dependency did not succeed"),
        "free": ("done", ""),
    }
    assert started == ["free"]
    assert not report.interrupted


def test_an_interrupt_lets_writes_in_flight_finish_and_starts_nothing_new(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from t2t.apply.runner import INTERRUPTED

    in_flight = asyncio.Event()
    started: list[str] = []

    async def write(action: Action, ctx: ApplyContext) -> ActionResult:
        started.append(action.id)
        in_flight.set()
        await asyncio.sleep(0.05)  # a write the interrupt must not cut in half
        return ActionResult(id=action.id, status="done", message="written")

    monkeypatch.setitem(registry.EXECUTORS, "test.write", write)
    plan = _plan(
        _action("w1", "test.write"),
        _action("w2", "test.write", depends_on=("w1",)),
        _action("w3", "test.write", depends_on=("w2",)),
    )

    async def interrupted() -> Any:
        task = asyncio.ensure_future(apply_plan(plan, ApplyContext(exchange={})))
        await in_flight.wait()
        task.cancel()  # what asyncio.run does on Ctrl-C
        return await task

    report = asyncio.run(interrupted())
    got = {r.id: (r.status, r.message) for r in report.results}
    assert got == {
        "w1": ("done", "written"),
        "w2": ("skipped", INTERRUPTED),
        "w3": ("skipped", INTERRUPTED),
    }
    assert started == ["w1"] and report.interrupted


def test_a_concurrency_below_one_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="concurrency must be at least 1, not 0"):
        asyncio.run(
            apply_plan(_plan(_action("a", "test.fine")), ApplyContext(exchange={}), concurrency=0)
        )
