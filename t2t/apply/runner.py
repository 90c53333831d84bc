"""Run a plan's actions in dependency order, independent ones concurrently.

A failure skips only its dependants; everything else still runs (Terraform's behaviour,
lessons-from-peers.md §3). Every action is logged as one structured event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from t2t.apply.context import ApplyContext
from t2t.apply.executors import EXECUTORS
from t2t.apply.executors.common import ExecutionFailed, failure_message
from t2t.apply.result import ActionResult, ApplyReport
from t2t.clients import ClientError
from t2t.logs import scrub
from t2t.planner import Action, Plan

log = structlog.get_logger("t2t.apply")

#: Action kinds whose executors talk to Graph (per user) rather than Exchange.
GRAPH_KINDS = frozenset({"user.usage_location", "license.assign"})
#: Graph executors in flight per Exchange one: enough to fill `$batch` requests of 20.
GRAPH_FACTOR = 5


async def apply_plan(
    plan: Plan,
    ctx: ApplyContext,
    *,
    concurrency: int = 8,
    on_result: Callable[[Action, ActionResult], None] | None = None,
) -> ApplyReport:
    report = ApplyReport()
    by_id = {a.id: a for a in plan.actions}
    status: dict[str, str] = {}
    limits: dict[str, asyncio.Semaphore] = {}

    def limit_for(action: Action) -> asyncio.Semaphore:
        """Bounded per tenant and API: Graph per-user calls are coalesced into `$batch`
        requests of 20 (apply/graph_batch.py), so more of them may wait at once."""
        service = "graph" if action.kind in GRAPH_KINDS else "exchange"
        key = f"{action.tenant}:{service}"
        if key not in limits:
            n = concurrency * GRAPH_FACTOR if service == "graph" else concurrency
            limits[key] = asyncio.Semaphore(n)
        return limits[key]

    def record(action: Action, result: ActionResult) -> None:
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

    async def run(action: Action) -> None:
        started = time.monotonic()
        executor = EXECUTORS.get(action.kind)
        if executor is None:
            result = ActionResult(id=action.id, status="failed", message="no executor")
        else:
            async with limit_for(action):
                try:
                    result = await executor(action, ctx)
                except (ClientError, ExecutionFailed) as exc:
                    result = ActionResult(
                        id=action.id, status="failed", message=failure_message(exc)
                    )
                except Exception as exc:
                    # An unexpected error fails this action (its dependants are skipped) and
                    # never cancels the others mid-write or hides the summary.
                    log.exception("apply.unexpected", action=action.id)
                    result = ActionResult(
                        id=action.id,
                        status="failed",
                        message=f"unexpected {type(exc).__name__}: {scrub(str(exc))}",
                    )
        result.message = scrub(result.message)
        result.warnings = [scrub(w) for w in result.warnings]
        result.seconds = round(time.monotonic() - started, 3)
        record(action, result)

    pending = dict(by_id)
    for action in plan.actions:
        if action.blocked:
            record(
                action,
                ActionResult(
                    id=action.id,
                    status="blocked",
                    message=f"blocked by {', '.join(action.blocked_by)}",
                ),
            )
            del pending[action.id]
    while pending:
        ready, skipped = [], []
        for action in pending.values():
            deps = [status.get(d) for d in action.depends_on if d in by_id]
            if any(s in ("failed", "skipped", "blocked") for s in deps):
                skipped.append(action)
            elif all(s in ("done", "noop") for s in deps):
                ready.append(action)
        for action in skipped:
            del pending[action.id]
            record(
                action,
                ActionResult(
                    id=action.id, status="skipped", message="a dependency did not succeed"
                ),
            )
        if not ready:
            if skipped:
                continue
            for action in list(pending.values()):  # a cycle: a planner bug, never silent
                del pending[action.id]
                record(
                    action, ActionResult(id=action.id, status="failed", message="dependency cycle")
                )
            break
        for action in ready:
            del pending[action.id]
        await asyncio.gather(*(run(a) for a in ready))
    return report
