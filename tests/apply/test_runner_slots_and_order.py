"""The runner's bounds and order (t2t/apply/runner.py): each tenant and API has its own slots
(Exchange `concurrency`, Graph five times as many, 32 by default), the context counts the
actions holding each tenant and API's slots (`ApplyContext.active`, what the coalescers
read), a freed slot is filled again at once, ready actions start deepest first then in plan
order, a dependant runs only if every dependency succeeded, blocked and cyclic actions are
reported up front, and every action is reported, logged and handed to `on_result` with its
message scrubbed and its duration.

Like tests/apply/test_runner.py, the runner is driven with executors of these tests' own,
registered for scratch kinds."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from t2t.apply import ApplyContext, apply_plan
from t2t.apply import executors as registry
from t2t.apply.executors.common import ExecutionFailed
from t2t.apply.graph_batch import BATCH_LIMIT
from t2t.apply.result import ActionResult, ApplyReport
from t2t.apply.runner import INTERRUPTED, depths, downstream, slot_key
from t2t.clients import ExchangeError, TenantClients
from t2t.logs import register_secret
from t2t.planner import Action, Plan
from t2t.planner import kinds as K
from tests.apply.scratch import scratch_action as _action
from tests.apply.scratch import scratch_plan as _plan
from tests.conftest import SandboxHandle
from tests.real_clients import with_clients

#: Scratch kinds: name → the API whose slots they take.
SERVICES = {"test.xo": "exchange", "test.xo2": "exchange", "test.gr": "graph"}


@pytest.fixture(autouse=True)
def _test_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, service in SERVICES.items():
        kind = K.ActionKind(name, service, "safe", ())  # type: ignore[arg-type]
        monkeypatch.setitem(K.BY_NAME, kind.name, kind)


@pytest.fixture
def default_logging() -> Iterator[None]:
    """structlog's defaults (another test may have left a level filter configured)."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def _apply(plan: Plan, ctx: ApplyContext | None = None, **kwargs: Any) -> ApplyReport:
    return asyncio.run(apply_plan(plan, ctx or ApplyContext(exchange={}), **kwargs))


class Slots:
    """Executors that wait until `parties` actions are in flight together (a barrier, given
    up after a second) and note the most in flight per slot."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
        self.parties = parties
        self.barrier: asyncio.Barrier | None = None
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.active: Counter[str] = Counter()
        """The most actions `ApplyContext.active` counted per slot key, seen by an action."""
        self.started: list[str] = []
        for kind in SERVICES:
            monkeypatch.setitem(registry.EXECUTORS, kind, self.run)

    async def run(self, action: Action, ctx: ApplyContext) -> ActionResult:
        if self.barrier is None:
            self.barrier = asyncio.Barrier(self.parties)
        key = slot_key(action)
        self.started.append(action.id)
        self.in_flight[key] += 1
        self.peak[key] = max(self.peak[key], self.in_flight[key])
        try:
            async with asyncio.timeout(1.0):
                await self.barrier.wait()
            for k, n in ctx.active.items():
                self.active[k] = max(self.active[k], n)
            await asyncio.sleep(0)  # the last to arrive lets any other started action in
        finally:
            self.in_flight[key] -= 1
        return ActionResult(id=action.id, status="done")


def test_a_slot_key_is_the_tenant_and_the_kinds_api() -> None:
    assert slot_key(_action("a", "test.xo")) == "target:exchange"
    assert slot_key(_action("a", "test.gr", tenant="source")) == "source:graph"


def test_exchange_slots_are_filled_again_as_soon_as_they_free() -> None:
    ctx = ApplyContext(exchange={})
    with pytest.MonkeyPatch.context() as mp:
        slots = Slots(mp, parties=2)
        report = _apply(_plan(*(_action(f"a{i}") for i in range(6))), ctx, concurrency=2)
    assert report.count("done") == 6, report.results
    assert slots.peak == {"target:exchange": 2}
    assert slots.active == {"target:exchange": 2}  # the context counted them
    assert ctx.active == {"target:exchange": 0}  # and every slot given back


def test_graph_slots_are_five_times_the_concurrency() -> None:
    with pytest.MonkeyPatch.context() as mp:
        slots = Slots(mp, parties=5)
        report = _apply(_plan(*(_action(f"g{i}", "test.gr") for i in range(10))), concurrency=1)
    assert report.count("done") == 10, report.results
    assert slots.peak == {"target:graph": 5}


def test_thirty_two_writes_at_once_per_tenant_and_api_by_default() -> None:
    with pytest.MonkeyPatch.context() as mp:
        slots = Slots(mp, parties=32)
        report = _apply(_plan(*(_action(f"a{i}") for i in range(64))))
    assert report.count("done") == 64, report.results
    assert slots.peak == {"target:exchange": 32}


def test_an_action_waits_while_an_api_its_dependants_need_is_full_with_work_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten chains x → g (Exchange, then Graph), one Exchange slot and five Graph slots, the
    Graph steps held until the test lets them go: x0…x4 fill Graph's five slots, x5's g5
    waits for a slot, and then no further x starts — it would only add to Graph's queue."""
    started: list[str] = []
    release = asyncio.Event()
    seen: dict[str, list[str]] = {}

    async def exchange(action: Action, ctx: ApplyContext) -> ActionResult:
        started.append(action.id)
        return ActionResult(id=action.id, status="done")

    async def graph(action: Action, ctx: ApplyContext) -> ActionResult:
        started.append(action.id)
        if action.id == "g0":  # time enough for everything that may start to start
            asyncio.get_running_loop().call_later(0.5, release.set)
        if not release.is_set():
            await release.wait()
            seen.setdefault("when Graph was let go", list(started))
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, "test.xo", exchange)
    monkeypatch.setitem(registry.EXECUTORS, "test.gr", graph)
    chains = [
        a
        for i in range(10)
        for a in (_action(f"x{i}"), _action(f"g{i}", "test.gr", depends_on=(f"x{i}",)))
    ]
    report = _apply(_plan(*chains), concurrency=1)
    assert report.count("done") == 20, report.results
    assert seen["when Graph was let go"] == [
        "x0", "g0", "x1", "g1", "x2", "g2", "x3", "g3", "x4", "g4", "x5",
    ]  # fmt: skip
    assert sorted(started) == sorted(a.id for a in chains)


def test_downstream_is_every_dependants_api_transitively() -> None:
    plan = _plan(
        _action("root"),
        _action("mid", "test.gr", depends_on=("root",)),
        _action("leaf", "test.xo", tenant="source", depends_on=("mid",)),
        _action("alone"),
    )
    assert downstream(plan.actions) == {
        "root": {"target:graph", "source:exchange"},
        "mid": {"source:exchange"},
        "leaf": frozenset(),
        "alone": frozenset(),
    }


def test_each_tenant_and_api_has_its_own_slots() -> None:
    with pytest.MonkeyPatch.context() as mp:
        slots = Slots(mp, parties=3)
        plan = _plan(
            _action("t-xo", "test.xo"),
            _action("s-xo", "test.xo", tenant="source"),
            _action("t-xo2", "test.xo2"),  # same tenant and API as t-xo: waits for its slot
            _action("t-gr", "test.gr"),
        )
        report = _apply(plan, concurrency=1)
    got = {r.id: r.status for r in report.results}
    assert got == {"t-xo": "done", "s-xo": "done", "t-gr": "done", "t-xo2": "failed"}
    assert slots.peak == {"target:exchange": 1, "source:exchange": 1, "target:graph": 1}
    assert slots.active == slots.peak


def _note(monkeypatch: pytest.MonkeyPatch, started: list[str], status: str = "done") -> None:
    async def note(action: Action, ctx: ApplyContext) -> ActionResult:
        started.append(action.id)
        await asyncio.sleep(0)
        return ActionResult(id=action.id, status="failed" if "fail" in action.id else status)

    for kind in SERVICES:
        monkeypatch.setitem(registry.EXECUTORS, kind, note)


def test_ready_actions_of_equal_depth_start_in_plan_order(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    _note(monkeypatch, started)
    plan = _plan(_action("m"), _action("b"), _action("z"), _action("a"))
    _apply(plan, concurrency=1)
    assert started == ["m", "b", "z", "a"]


def test_depth_is_the_longest_dependency_chain_above_an_action() -> None:
    got = depths(
        (
            _action("a"),
            _action("b", depends_on=("a",)),
            _action("c", depends_on=("a", "b")),
            _action("d", depends_on=("missing-from-plan",)),
            _action("e", depends_on=("c", "d")),
        )
    )
    assert got == {"a": 0, "b": 1, "c": 2, "d": 0, "e": 3}


def test_a_dependant_runs_only_if_every_dependency_succeeded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    _note(monkeypatch, started)
    plan = _plan(
        _action("ok"),
        _action("fail"),
        _action("after-both", depends_on=("ok", "fail")),
        _action("after-ok", depends_on=("ok",)),
    )
    report = _apply(plan)
    got = {r.id: (r.status, r.message) for r in report.results}
    assert got["after-both"] == ("skipped", "a dependency did not succeed")
    assert got["after-ok"][0] == "done"
    assert "after-both" not in started


def test_a_dependant_of_a_noop_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    _note(monkeypatch, started, status="noop")
    report = _apply(_plan(_action("a"), _action("b", depends_on=("a",))))
    assert started == ["a", "b"] and report.count("noop") == 2


def test_blocked_and_cyclic_actions_are_reported_first_once_each_in_plan_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    _note(monkeypatch, started)
    gate = _action("gate").model_copy(update={"blocked_by": ("T2T-E101", "T2T-E202")})
    blocked_on_cycle = _action("q", depends_on=("p",)).model_copy(
        update={"blocked_by": ("T2T-E303",)}
    )
    plan = _plan(
        _action("first"),
        _action("y", depends_on=("x",)),
        gate,
        _action("x", depends_on=("y",)),
        _action("p", depends_on=("q",)),
        blocked_on_cycle,
        _action("after-gate", depends_on=("gate",)),
    )
    report = _apply(plan)
    got = [(r.id, r.status, r.message) for r in report.results]
    assert got[:5] == [
        ("y", "failed", "dependency cycle"),
        ("x", "failed", "dependency cycle"),
        ("p", "failed", "dependency cycle"),
        ("q", "failed", "dependency cycle"),
        ("gate", "blocked", "blocked by T2T-E101, T2T-E202"),
    ]
    assert sorted(got[5:]) == [
        ("after-gate", "skipped", "a dependency did not succeed"),
        ("first", "done", ""),
    ]
    assert started == ["first"]


def test_an_action_without_an_executor_or_that_cannot_be_done_fails_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = ExchangeError(400, "BadRequest", "refused", exception_type="x.InvalidOperation")

    async def cannot(action: Action, ctx: ApplyContext) -> ActionResult:
        raise ExecutionFailed("the object is gone")

    async def refuses(action: Action, ctx: ApplyContext) -> ActionResult:
        raise refused

    monkeypatch.delitem(registry.EXECUTORS, "test.xo", raising=False)
    monkeypatch.setitem(registry.EXECUTORS, "test.xo2", cannot)
    monkeypatch.setitem(registry.EXECUTORS, "test.gr", refuses)
    report = _apply(
        _plan(_action("none", "test.xo"), _action("gone", "test.xo2"), _action("no", "test.gr"))
    )
    got = {r.id: (r.status, r.message) for r in report.results}
    assert got == {
        "none": ("failed", "no executor"),
        "gone": ("failed", "the object is gone"),
        "no": ("failed", str(refused)),
    }


@pytest.mark.usefixtures("default_logging")
def test_an_unexpected_error_is_logged_with_its_action(monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(action: Action, ctx: ApplyContext) -> ActionResult:
        raise ValueError("bad JSON")

    monkeypatch.setitem(registry.EXECUTORS, "test.xo", boom)
    with structlog.testing.capture_logs() as logs:
        report = _apply(_plan(_action("a")))
    assert report.results[0].message == "unexpected ValueError: bad JSON"
    unexpected = [e for e in logs if e["event"] == "apply.unexpected"]
    assert [(e["action"], e["log_level"]) for e in unexpected] == [("a", "error")]


@pytest.mark.usefixtures("default_logging")
def test_every_result_is_scrubbed_logged_timed_and_handed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_secret("s3cr3t-in-a-result")

    async def write(action: Action, ctx: ApplyContext) -> ActionResult:
        await asyncio.sleep(0.05)
        return ActionResult(
            id=action.id,
            status="done",
            message="sent s3cr3t-in-a-result",
            warnings=["warned s3cr3t-in-a-result"],
            request_ids=["req-1"],
        )

    monkeypatch.setitem(registry.EXECUTORS, "test.xo", write)
    handed: list[tuple[str, str]] = []
    plan = _plan(*(_action(f"a{i}") for i in range(5)))
    with structlog.testing.capture_logs() as logs:
        report = _apply(plan, on_result=lambda a, r: handed.append((a.id, r.id)))
    assert handed == [(r.id, r.id) for r in report.results] and len(handed) == 5
    for r in report.results:
        assert "s3cr3t" not in r.message and not any("s3cr3t" in w for w in r.warnings)
        assert len(r.warnings) == 1
        assert 0.04 <= r.seconds < 1.0
    assert all(r.seconds == round(r.seconds, 3) for r in report.results)
    events = [e for e in logs if e["event"] == "apply.action"]
    assert [e["action"] for e in events] == [r.id for r in report.results]
    first = report.results[0]
    assert events[0] == {
        "event": "apply.action",
        "log_level": "info",
        "action": first.id,
        "kind": "test.xo",
        "tenant": "target",
        "status": "done",
        "message": first.message,
        "warnings": first.warnings,
        "request_ids": ["req-1"],
    }


def test_an_interrupted_write_is_reported_with_its_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_flight = asyncio.Event()

    async def write(action: Action, ctx: ApplyContext) -> ActionResult:
        in_flight.set()
        await asyncio.sleep(0.05)
        return ActionResult(id=action.id, status="done", message="written")

    monkeypatch.setitem(registry.EXECUTORS, "test.xo", write)
    plan = _plan(_action("w1"), _action("w2", depends_on=("w1",)))

    async def interrupted() -> ApplyReport:
        task = asyncio.ensure_future(apply_plan(plan, ApplyContext(exchange={})))
        await in_flight.wait()
        task.cancel()
        return await task

    report = asyncio.run(interrupted())
    got = {r.id: r for r in report.results}
    assert (got["w1"].status, got["w2"].message) == ("done", INTERRUPTED)
    assert 0.04 <= got["w1"].seconds < 1.0 and got["w1"].seconds == round(got["w1"].seconds, 3)
    assert len(report.results) == 2 and report.interrupted


def test_every_executor_gets_the_apply_context(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = ApplyContext(exchange={}, verify_delays=(0.0,))
    seen: list[ApplyContext] = []

    async def note(action: Action, got: ApplyContext) -> ActionResult:
        seen.append(got)
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, "test.xo", note)
    asyncio.run(apply_plan(_plan(_action("a"), _action("b", depends_on=("a",))), ctx))
    assert len(seen) == 2 and all(got is ctx for got in seen)


class Overlap:
    """Executors that stay in flight a few loop turns and note the most actions in flight at
    once across every tenant and API, and the order they started in."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.in_flight = 0
        self.peak = 0
        self.started: list[str] = []
        for kind in SERVICES:
            monkeypatch.setitem(registry.EXECUTORS, kind, self.run)

    async def run(self, action: Action, ctx: ApplyContext) -> ActionResult:
        self.started.append(action.id)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        self.in_flight -= 1
        return ActionResult(id=action.id, status="done")


def _across_tenants_and_apis() -> Plan:
    """Four ready actions on three slots of their own, and one chain: deep waits on top."""
    return _plan(
        _action("top", "test.xo"),
        _action("s-xo", "test.xo", tenant="source"),
        _action("t-gr", "test.gr"),
        _action("deep", "test.gr", depends_on=("top",)),
        _action("s-gr", "test.gr", tenant="source"),
    )


def test_parallelism_one_runs_one_action_at_a_time_deepest_first_across_every_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    overlap = Overlap(monkeypatch)
    report = _apply(_across_tenants_and_apis(), parallelism=1)
    assert report.count("done") == 5, report.results
    assert overlap.peak == 1
    # `deep` (a chain's second step, on another API) goes before the unrelated ones left
    assert overlap.started == ["top", "deep", "s-xo", "t-gr", "s-gr"]


def test_parallelism_caps_the_actions_in_flight_below_the_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        slots = Slots(mp, parties=2)
        report = _apply(_plan(*(_action(f"g{i}", "test.gr") for i in range(6))), parallelism=2)
    assert report.count("done") == 6, report.results
    assert slots.peak == {"target:graph": 2}


def test_without_parallelism_every_tenant_and_api_fills_its_own_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    overlap = Overlap(monkeypatch)
    report = _apply(_across_tenants_and_apis())
    assert report.count("done") == 5, report.results
    assert overlap.peak == 4  # all but `deep`, which waits on `top`
    assert overlap.started == ["top", "s-xo", "t-gr", "s-gr", "deep"]


def test_a_parallelism_below_one_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="parallelism must be at least 1, not 0"):
        _apply(_plan(_action("a")), parallelism=0)


def test_the_tenants_batcher_waits_for_the_graph_actions_at_work(sandbox: SandboxHandle) -> None:
    """The context hands the tenant's `$batch` coalescer the Graph actions holding its slots
    (`active`): with a full `$batch` of them at work, a call waits for its companions (up to
    the batcher's `max_wait`) instead of leaving alone, and two calls made 0.3 s apart arrive
    as one `$batch` of two."""

    async def use(clients: TenantClients) -> None:
        ctx = ApplyContext(exchange={}, graph={"target": clients.graph})
        ctx.active["target:graph"] = BATCH_LIMIT
        batcher = ctx.graph_batch("target")
        first = asyncio.ensure_future(batcher.call("GET", "/organization"))
        await asyncio.sleep(0.3)
        second = asyncio.ensure_future(batcher.call("GET", "/organization"))
        await asyncio.wait_for(asyncio.gather(first, second), 10)

    with_clients(sandbox, "fabrikam", "graph", use)
    stats = sandbox.stats()
    assert (stats["byOperation"].get("POST /$batch", 0), stats["batchItems"]) == (1, 2)
