"""Run a plan's actions as a dependency graph: each starts as soon as its own dependencies
are done, never waiting for unrelated ones.

- **Order** comes from `graphlib.TopologicalSorter`: an action is handed out once every
  dependency it names has finished. A failed, skipped or blocked dependency skips exactly its
  dependants; everything else still runs (Terraform's behaviour, lessons-from-peers.md §3).
  A dependency cycle (a planner bug) fails the actions on it, never silently.
- **Deadline**: each action has `ctx.deadline_seconds` from its start for everything it does
  — requests and their retries, tokens, waiting for a write to show (t2t/clients/deadline.py,
  t2t/apply/waiting.py). An action that reaches it, or whose write's answer was lost and does
  not show, ends *unknown*: not failed, since what it asked may yet happen. Its dependants are
  not started; they are reported *waiting* on it, and the next apply (which re-reads
  everything) finishes them.
- **Bounds**: each tenant and API (the action kind's `service`, t2t/planner/kinds.py) has
  its own slots (Exchange `concurrency`; Graph `concurrency × GRAPH_FACTOR`, since per-user
  calls are coalesced into `$batch` requests of 20). 32 by default: an action holds its slot
  through short waits too (a write to a new object refused while it replicates is sent again
  after 0.5 s and 1 s; a re-read waits for its companions, coalesce.py), so at 100 ms per
  request 8 slots kept a 1,000-mailbox apply at 69 % of Exchange's budget and 16 at 82 %;
  with `$batch` requests waiting to fill, 16 left Graph's write budget 76 % used and 32 91 %
  (tests/bench/bench_apply.py); the HTTP layer still bounds the requests in flight per
  tenant and service (t2t/clients/http.py, 8 at first).
  When a slot frees, the ready action deepest in its chain starts first, so one mailbox's
  chain (create → stamp → licence) runs to its end before new chains take the slots: at
  20,000 mailboxes the first is ready for its batch long before the last MailUser exists.
- **Backpressure**: an action does not start while an API its dependants need (`downstream`)
  has every slot taken and actions waiting for one — its work would only queue behind
  them. Without it Exchange, faster than Graph's write budget, created MailUsers hundreds
  ahead of their licences (2,000 mailboxes: a chain completed a median 268 New-MailUser
  calls after its own); with it the backlog is bounded by the slots. It cannot stall: a key
  is held only by another whose slots are all running, and they finish.
  An action in a long wait for its write to show hands its slot on (waiting.py); the HTTP
  layer still bounds what reaches each service (t2t/clients/http.py). `parallelism` caps
  the actions holding a slot across every tenant and API (Terraform's ``-parallelism``):
  ``1`` runs the plan one action at a time — but for an action in a long wait, which still
  hands its slot on — so that a run stopped after an action finished stopped between two
  actions (the crash sweep's action boundaries).
- **Interrupt** (Ctrl-C cancels `apply_plan` under `asyncio.run`): no new action starts,
  the ones in flight finish (a write is never cut in half), the rest are reported skipped
  and the report says it was interrupted — apply is safe to run again.

Every action is logged as one structured event.
"""

from __future__ import annotations

import asyncio
import functools
import graphlib
import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from t2t import progress
from t2t.apply.context import ApplyContext
from t2t.apply.executors import EXECUTORS
from t2t.apply.executors.common import (
    ExecutionFailed,
    Unknown,
    failure_message,
    unknown_message,
)
from t2t.apply.result import ActionResult, ApplyReport
from t2t.apply.waiting import acting
from t2t.clients import ClientError, deadline, request_ids
from t2t.clients.errors import DeadlineReached
from t2t.logs import scrub
from t2t.planner import Action, Plan
from t2t.planner.kinds import kind_of

log = structlog.get_logger("t2t.apply")

#: Slots per tenant and API (Exchange; Graph has GRAPH_FACTOR times as many): see the docstring.
DEFAULT_CONCURRENCY = 32
#: Graph executors in flight per Exchange one: enough to fill `$batch` requests of 20.
GRAPH_FACTOR = 5
#: Statuses after which a dependant may run; any other final status skips it, except:
SUCCEEDED = frozenset({"done", "noop"})
#: statuses whose dependants wait for the next run (what happened is not known yet).
PENDING = frozenset({"unknown", "waiting"})
INTERRUPTED = "not started: apply was interrupted (run apply again to continue)"


def slot_key(action: Action) -> str:
    """The tenant and API an action's executor writes to (its kind's service)."""
    return f"{action.tenant}:{kind_of(action.kind).service}"


def depths(actions: tuple[Action, ...]) -> dict[str, int]:
    """Each action's distance from the roots of the graph (longest dependency chain above
    it); actions on a cycle count as roots. Deeper ready actions start first."""
    by_id = {a.id: a for a in actions}
    out: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(aid: str) -> int:
        if aid in out:
            return out[aid]
        if aid in visiting:
            return 0
        visiting.add(aid)
        deps = [d for d in by_id[aid].depends_on if d in by_id]
        out[aid] = 1 + max((depth(d) for d in deps), default=-1)
        visiting.discard(aid)
        return out[aid]

    for a in actions:
        depth(a.id)
    return out


def downstream(actions: tuple[Action, ...]) -> dict[str, frozenset[str]]:
    """Each action's dependants' slot keys, transitively: the APIs its outcome feeds."""
    keys = {a.id: slot_key(a) for a in actions}
    dependants: dict[str, list[str]] = {a.id: [] for a in actions}
    for a in actions:
        for d in a.depends_on:
            if d in dependants:
                dependants[d].append(a.id)
    out: dict[str, frozenset[str]] = {}
    interned: dict[frozenset[str], frozenset[str]] = {}
    visiting: set[str] = set()

    def walk(aid: str) -> frozenset[str]:
        if aid in out:
            return out[aid]
        if aid in visiting:  # a cycle (failed up front): nothing more to learn here
            return frozenset()
        visiting.add(aid)
        found: set[str] = set()
        for child in dependants[aid]:
            found.add(keys[child])
            found |= walk(child)
        visiting.discard(aid)
        joined = frozenset(found)
        out[aid] = interned.setdefault(joined, joined)
        return out[aid]

    for a in actions:
        walk(a.id)
    return out


def _sorter(actions: tuple[Action, ...]) -> tuple[graphlib.TopologicalSorter[str], set[str]]:
    """The graph of the plan's actions, and the ids on dependency cycles (left out of it;
    their dependants see them failed)."""
    by_id = {a.id: a for a in actions}
    cyclic: set[str] = set()
    while True:
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for a in actions:
            if a.id not in cyclic:
                sorter.add(a.id, *(d for d in a.depends_on if d in by_id and d not in cyclic))
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            cyclic.update(exc.args[1])
            continue
        return sorter, cyclic


@dataclass
class _Slot:
    """An action's place among its tenant and API's slots, given back once (at a long wait,
    or when it finishes)."""

    key: str
    given_back: bool = False


async def _execute(
    action: Action, ctx: ApplyContext, idle: Callable[[], None] | None = None
) -> ActionResult:
    """Run the action's executor; its result carries the request ids of every write the
    action sent (t2t/clients/request_ids.py), whatever path the write took."""
    with request_ids.collecting() as written:
        result = await _settle(action, ctx, idle)
    result.request_ids.extend(i for i in written if i not in result.request_ids)
    return result


async def _settle(
    action: Action, ctx: ApplyContext, idle: Callable[[], None] | None
) -> ActionResult:
    executor = EXECUTORS.get(action.kind)
    if executor is None:
        return ActionResult(id=action.id, status="failed", message="no executor")
    try:
        with deadline.within(ctx.deadline_seconds), acting(action.id, idle):
            return await executor(action, ctx)
    except (DeadlineReached, Unknown) as exc:
        return ActionResult(id=action.id, status="unknown", message=unknown_message(exc))
    except (ClientError, ExecutionFailed) as exc:
        return ActionResult(id=action.id, status="failed", message=failure_message(exc))
    except Exception as exc:
        # An unexpected error fails this action (its dependants are skipped) and never
        # cancels the others mid-write or hides the summary.
        log.exception("apply.unexpected", action=action.id)
        return ActionResult(
            id=action.id,
            status="failed",
            message=f"unexpected {type(exc).__name__}: {scrub(str(exc))}",
        )


async def apply_plan(
    plan: Plan,
    ctx: ApplyContext,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    parallelism: int | None = None,
    on_result: Callable[[Action, ActionResult], None] | None = None,
) -> ApplyReport:
    for name, bound in (("concurrency", concurrency), ("parallelism", parallelism)):
        if bound is not None and bound < 1:  # no slot would ever free: actions unreported
            raise ValueError(f"{name} must be at least 1, not {bound}")
    report = ApplyReport()
    by_id = {a.id: a for a in plan.actions}
    order = {a.id: i for i, a in enumerate(plan.actions)}
    depth = depths(plan.actions)
    feeds = downstream(plan.actions)
    status: dict[str, str] = {}
    waiting_on: dict[str, tuple[str, ...]] = {}
    """An action not settled yet → the unknown actions it waits on (itself, when unknown)."""
    sorter, cyclic = _sorter(plan.actions)
    free: dict[str, int] = {}
    holding = 0  # slots held now, across every tenant and API (`parallelism` caps it)
    queued: dict[str, list[tuple[int, int, str]]] = {}
    running: dict[asyncio.Task[ActionResult], tuple[str, float, _Slot]] = {}
    freed = asyncio.Event()  # a waiting action gave its slot back
    # Progress (t2t/progress.py): the actions settled, in all and per kind.
    kinds = Counter(a.kind for a in plan.actions)
    settled = progress.open_task("applying", total=len(plan.actions), unit="actions")
    per_kind = {k: progress.open_task(k, total=n, unit="actions") for k, n in kinds.items()}

    def record(action: Action, result: ActionResult) -> None:
        settled.step()
        per_kind[action.kind].step()
        result.message = scrub(result.message)
        result.warnings = [scrub(w) for w in result.warnings]
        status[action.id] = result.status
        report.results.append(result)
        log.info(
            "apply.action",
            action=action.id,
            kind=action.kind,
            tenant=action.tenant,
            status=result.status,
            message=result.message,
            warnings=result.warnings,
            request_ids=result.request_ids,
        )
        if on_result is not None:
            on_result(action, result)

    def finish(action: Action, result: ActionResult) -> None:
        record(action, result)
        sorter.done(action.id)

    def capacity(key: str) -> int:
        return concurrency * GRAPH_FACTOR if key.endswith(":graph") else concurrency

    for aid in sorted(cyclic, key=order.__getitem__):
        record(by_id[aid], ActionResult(id=aid, status="failed", message="dependency cycle"))
    for action in plan.actions:  # known before anything runs; released in graph order
        if action.blocked and action.id not in cyclic:
            message = f"blocked by {', '.join(action.blocked_by)}"
            record(action, ActionResult(id=action.id, status="blocked", message=message))

    def admit(aid: str) -> None:
        """A ready action: settled at once (blocked, a dependency did not succeed, or one's
        outcome is unknown), or queued for a slot of its tenant and API."""
        action = by_id[aid]
        unsettled = [d for d in action.depends_on if d in by_id and status.get(d) not in SUCCEEDED]
        if action.blocked:
            sorter.done(aid)  # recorded at the start
        elif unsettled and all(status.get(d) in PENDING for d in unsettled):
            roots = {r for d in unsettled for r in waiting_on.get(d, (d,))}
            waiting_on[aid] = tuple(sorted(roots, key=order.__getitem__))
            message = f"waiting on {', '.join(waiting_on[aid])} (outcome unknown): not started"
            finish(action, ActionResult(id=aid, status="waiting", message=message))
        elif unsettled:
            message = "a dependency did not succeed"
            finish(action, ActionResult(id=aid, status="skipped", message=message))
        else:
            key = slot_key(action)
            free.setdefault(key, capacity(key))
            heapq.heappush(queued.setdefault(key, []), (-depth[aid], order[aid], aid))

    def give_back(slot: _Slot) -> None:
        nonlocal holding
        if not slot.given_back:
            slot.given_back = True
            free[slot.key] += 1
            ctx.active[slot.key] -= 1
            holding -= 1
            freed.set()

    def backed_up(aid: str, key: str) -> bool:
        """An API the action's dependants need has every slot taken and work waiting."""
        return any(k != key and free[k] == 0 and queued[k] for k in feeds[aid] if k in queued)

    def start() -> None:
        """Start queued actions while slots are free: of those whose tenant and API has a
        free slot and whose next action is not held back (`backed_up`), the deepest in its
        chain first, then the earliest in the plan."""
        nonlocal holding
        while parallelism is None or holding < parallelism:
            open_keys = [
                k
                for k, heap in queued.items()
                if heap and free[k] > 0 and not backed_up(heap[0][2], k)
            ]
            if not open_keys:
                return
            key = min(open_keys, key=lambda k: queued[k][0])
            _, _, aid = heapq.heappop(queued[key])
            free[key] -= 1
            ctx.active[key] += 1
            holding += 1
            slot = _Slot(key)
            idle = functools.partial(give_back, slot)
            task = asyncio.ensure_future(_execute(by_id[aid], ctx, idle))
            running[task] = (aid, time.monotonic(), slot)

    interrupted = False
    try:
        while sorter.is_active():
            ready = sorter.get_ready()
            for aid in ready:
                admit(aid)
            if ready:
                continue  # settled ones may have made more ready
            start()
            if not running:
                break  # nothing in flight and nothing ready: every action is settled
            waker = asyncio.ensure_future(freed.wait())  # or a slot given back: start more
            try:
                done, _ = await asyncio.wait([*running, waker], return_when=asyncio.FIRST_COMPLETED)
            finally:
                waker.cancel()
            freed.clear()
            for task in [t for t in running if t in done]:
                aid, started, slot = running.pop(task)
                give_back(slot)
                result = task.result()
                result.seconds = round(time.monotonic() - started, 3)
                finish(by_id[aid], result)
    except asyncio.CancelledError:
        interrupted = True
    if interrupted:
        # Let every write in flight finish and report it; start nothing new.
        for task, (aid, started, _) in list(running.items()):
            result = await asyncio.shield(task)
            result.seconds = round(time.monotonic() - started, 3)
            record(by_id[aid], result)
        for aid in by_id:
            if aid not in status:
                record(by_id[aid], ActionResult(id=aid, status="skipped", message=INTERRUPTED))
        report.interrupted = True
    for opened in (settled, *per_kind.values()):
        opened.close()
    return report
