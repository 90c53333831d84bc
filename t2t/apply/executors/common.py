"""Helpers shared by the executors: failures, the verify loop, the app's appId at apply time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from t2t.apply.context import ApplyContext
from t2t.clients import PermissionDenied
from t2t.logs import scrub
from t2t.planner.checks import EXCHANGE_ROLE_FIX
from t2t.planner.shared.app import AppDesire
from t2t.probes.migration_app import pick_app, read_applications
from t2t.state.directory import Application


class ExecutionFailed(Exception):
    """The action cannot be done (the message says why); its dependants are skipped."""


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
