"""What every executor shares: the one meaning of apply (`converge`), failures, the verify
loop, the app's appId at apply time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from t2t.apply.context import ApplyContext
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, CmdletResult, PermissionDenied, TransportError
from t2t.logs import scrub
from t2t.planner import Action
from t2t.planner.checks import EXCHANGE_ROLE_FIX
from t2t.planner.shared.app import AppDesire
from t2t.probes.migration_app import pick_app, read_applications
from t2t.state.directory import Application


class ExecutionFailed(Exception):
    """The action cannot be done (the message says why); its dependants are skipped."""


class Held(Exception):
    """The action must wait for a later run (the message says why): reported blocked."""


@dataclass(frozen=True)
class Write:
    """What a fresh re-plan says to send: its name for messages, and the call that sends it
    (a Graph write answers no CmdletResult: None)."""

    what: str
    send: Callable[[], Awaitable[CmdletResult | None]]


Replan = Callable[[], Awaitable[Write | None]]


async def converge(action: Action, ctx: ApplyContext, replan: Replan) -> ActionResult:
    """Apply one action: re-read its object and plan it again from the reviewed desire
    (`replan`: None when nothing is left to do), send what that re-plan says, and re-read until
    the re-plan is empty. A write refused or whose answer was lost is never sent again: the
    object is re-read (while reads lag, for a lost answer) and counts as done if it converged.
    `replan` raises ExecutionFailed when the object cannot be brought there (blocked, gone),
    Held when it must wait for a later run."""
    result = ActionResult(id=action.id, status="done")

    async def converged() -> bool:
        return await replan() is None

    try:
        write = await replan()
        if write is None:
            result.status, result.message = "noop", "already as desired"
            return result
        try:
            out = await write.send()
        except ClientError as exc:
            lost = isinstance(exc, TransportError)
            if await (verified(ctx, converged) if lost else converged()):
                result.message = f"already converged after {scrub(str(exc))}"
                return result
            raise ExecutionFailed(str(exc)) from exc
        if out is not None:
            result.warnings.extend(out.warnings)
            result.request_ids.extend(out.request_ids)
        if not await verified(ctx, converged):
            warned = f" (warned: {'; '.join(result.warnings)})" if result.warnings else ""
            raise ExecutionFailed(f"{write.what} returned but the change is not visible{warned}")
        result.message = f"{write.what} verified"
    except Held as held:
        result.status, result.message = "blocked", str(held)
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)
    return result


async def verified(ctx: ApplyContext, converged: Callable[[], Awaitable[bool]]) -> bool:
    """Re-read until the write shows (reads lag writes), within the context's delays."""
    for delay in ctx.verify_delays:
        await asyncio.sleep(delay)
        if await converged():
            return True
    return False


async def read_apps(ctx: ApplyContext, desire: AppDesire) -> tuple[Application, ...]:
    """Every app the spec's app could be (by appId, t2t's marker or name), read now."""
    graph = ctx.graph.get("target")
    if graph is None:
        raise ExecutionFailed("no Graph client for the target tenant")
    fact = await read_applications(
        graph.reader(),
        app_id=desire.app_id,
        display_name=desire.display_name,
        unique_name=desire.unique_name,
    )
    if fact.status != "present":
        raise ExecutionFailed(f"cannot read the target's applications: {fact.reason}")
    return fact.get()


async def read_app(ctx: ApplyContext, desire: AppDesire) -> Application | None:
    """The migration app as the target shows it now."""
    return pick_app(
        await read_apps(ctx, desire),
        app_id=desire.app_id,
        display_name=desire.display_name,
        unique_name=desire.unique_name,
    )


async def resolve_app_id(ctx: ApplyContext, desire: AppDesire, known: str | None) -> str:
    """The appId of an app registered earlier in this run ("known after apply")."""
    if known:
        return known.lower()
    for delay in ctx.verify_delays:  # a just-created app may not be readable yet
        await asyncio.sleep(delay)
        app = await read_app(ctx, desire)
        if app is not None:
            return app.app_id
    raise ExecutionFailed(
        f"the migration app {desire.display_name or desire.app_id!r} is not in the target"
    )


def failure_message(exc: BaseException) -> str:
    """An action's failure as the report shows it: scrubbed of secrets, and for Exchange's
    "no role" 403 (CmdletAccessDeniedException) with the fix the plan's T2T-W121 names."""
    text = str(scrub(str(exc)))
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PermissionDenied) and cause.exception_type.endswith(
            "CmdletAccessDeniedException"
        ):
            return f"{text} — {EXCHANGE_ROLE_FIX}"
        cause = cause.__cause__
    return text
