"""What every executor shares: the one meaning of apply (`converge`), failures and unknown
outcomes, the verify wait, the app's appId at apply time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from t2t.apply.context import ApplyContext
from t2t.apply.result import ActionResult
from t2t.apply.waiting import reread, wait_for
from t2t.clients import (
    ClientError,
    CmdletResult,
    ExchangeClient,
    ObjectNotFound,
    PermissionDenied,
    TransportError,
)
from t2t.clients.errors import DeadlineReached
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


class Unknown(Exception):
    """Whether the action's write happened cannot be told in this run (its answer was lost and
    the change does not show): reported unknown, its dependants wait for the next run."""


#: What an unknown outcome's message ends with (the summary says it once more).
RUN_AGAIN = "its outcome is unknown: run t2t apply again to finish it"


def lost_answer(what: str, exc: BaseException, ctx: ApplyContext) -> Unknown:
    """A write whose answer was lost and whose change does not show after re-reading."""
    seconds = sum(ctx.verify_delays)
    return Unknown(
        f"the answer to {what} was lost ({exc}) and the change does not show after "
        f"{seconds:.0f} s of re-reading"
    )


def unknown_message(exc: BaseException) -> str:
    """An unknown outcome as the report shows it (scrubbed of secrets)."""
    return f"{scrub(str(exc))} — {RUN_AGAIN}"


@dataclass(frozen=True)
class Write:
    """What a fresh re-plan says to send: its name for messages, and the call that sends it
    (a Graph write answers no CmdletResult: None)."""

    what: str
    send: Callable[[], Awaitable[CmdletResult | None]]
    waiting: bool = False
    """Nothing to send: the object is on its way (a vault ARM is still provisioning, a
    certificate Key Vault is still creating) and the re-reads wait for it. After a lost
    answer, a re-plan that only waits shows that the write happened."""


Replan = Callable[[], Awaitable[Write | None]]


async def converge(action: Action, ctx: ApplyContext, replan: Replan) -> ActionResult:
    """Apply one action: re-read its object and plan it again from the reviewed desire
    (`replan`: None when nothing is left to do), send what that re-plan says, and re-read until
    the re-plan is empty — until the action's deadline, showing progress (waiting.py). A write
    refused or whose answer was lost is never sent again: the object is re-read (once through
    the lag schedule, for a lost answer) and counts as done if it converged; a lost answer that
    does not show, and a deadline reached, leave the outcome unknown for the next run; one that
    shows as under way (the re-plan only waits: `Write.waiting`) is waited for like an
    answered write. `replan` raises ExecutionFailed when the object cannot be brought there
    (blocked, gone), Held when it must wait for a later run."""
    result = ActionResult(id=action.id, status="done")

    async def converged() -> bool:
        return await replan() is None

    under_way: list[Write] = []  # what the last re-read after a lost answer found waiting

    async def shows() -> bool:
        again = await replan()
        under_way[:] = [again] if again is not None else []
        return again is None or again.waiting

    with settled(result):
        lost = ""
        write = await replan()
        if write is None:
            result.status, result.message = "noop", "already as desired"
            return result
        try:
            out = await write.send()
        except TransportError as exc:  # lost: re-read once through the lag schedule
            if not await reread(ctx, shows):
                raise lost_answer(write.what, exc, ctx) from exc
            if not under_way:
                result.message = f"already converged after {scrub(str(exc))}"
                return result
            out, lost = None, " (its answer was lost)"  # it happened: wait for it below
        except ClientError as exc:
            result.message = await converged_after(ctx, write.what, exc, converged)
            return result
        if out is not None:
            result.warnings.extend(out.warnings)
            result.request_ids.extend(out.request_ids)
        try:
            await verified(ctx, converged, f"{write.what}'s change to show")
        except DeadlineReached as exc:
            warned = f" (warned: {'; '.join(result.warnings)})" if result.warnings else ""
            raise DeadlineReached(f"{write.what} returned but {exc}{warned}") from exc
        result.message = f"{write.what} verified{lost}"
    return result


@contextmanager
def settled(result: ActionResult) -> Iterator[None]:
    """How an executor's work ended, as its result's status: Held is blocked, Unknown or a
    deadline reached is unknown, a failure or a client error is failed (scrubbed; dependants
    skipped). Every executor runs its body inside this, so each outcome means one thing."""
    try:
        yield
    except Held as held:
        result.status, result.message = "blocked", str(held)
    except (Unknown, DeadlineReached) as exc:
        result.status, result.message = "unknown", unknown_message(exc)
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)


async def converged_after(
    ctx: ApplyContext, what: str, exc: ClientError, converged: Callable[[], Awaitable[bool]]
) -> str:
    """A write that raised is never sent again: re-read (through the lag schedule when its
    answer was lost) and return the message when the object converged anyway; else raise
    Unknown for a lost answer, ExecutionFailed for a refusal."""
    lost = isinstance(exc, TransportError)
    if await (reread(ctx, converged) if lost else converged()):
        return f"already converged after {scrub(str(exc))}"
    if lost:
        raise lost_answer(what, exc, ctx) from exc
    raise ExecutionFailed(str(exc)) from exc


Parsed = TypeVar("Parsed")


async def read_one(
    exchange: ExchangeClient,
    cmdlet: str,
    identity: str,
    parse: Callable[[dict[str, Any]], Parsed],
) -> Parsed | None:
    """One Exchange object read now by its identity (`Get-X -Identity`), None when absent."""
    try:
        out = await exchange.reader().invoke(cmdlet, {"Identity": identity})
    except ObjectNotFound:
        return None
    return parse(out.values[0]) if out.values else None


async def verified(
    ctx: ApplyContext, converged: Callable[[], Awaitable[bool]], what: str = "the change to show"
) -> None:
    """Re-read until the write shows (reads lag writes): DeadlineReached if it has not by the
    action's deadline (waiting.py)."""
    await wait_for(ctx, converged, what)


async def read_apps(
    ctx: ApplyContext, desire: AppDesire, *, with_keys: bool = False
) -> tuple[Application, ...]:
    """Every app the spec's app could be (by appId, t2t's marker or name), read now;
    `with_keys`: each keyCredential with its key (Graph returns `key` only to a single
    application's `$select=keyCredentials`)."""
    graph = ctx.graph.get("target")
    if graph is None:
        raise ExecutionFailed("no Graph client for the target tenant")
    fact = await read_applications(
        graph.reader(),
        app_id=desire.app_id,
        display_name=desire.display_name,
        unique_name=desire.unique_name,
        with_keys=with_keys,
    )
    if fact.status != "present":
        raise ExecutionFailed(f"cannot read the target's applications: {fact.reason}")
    return fact.get()


async def read_app(
    ctx: ApplyContext, desire: AppDesire, *, with_keys: bool = False
) -> Application | None:
    """The migration app as the target shows it now."""
    return pick_app(
        await read_apps(ctx, desire, with_keys=with_keys),
        app_id=desire.app_id,
        display_name=desire.display_name,
        unique_name=desire.unique_name,
    )


async def resolve_app_id(ctx: ApplyContext, desire: AppDesire, known: str | None) -> str:
    """The appId of an app registered earlier in this run ("known after apply")."""
    if known:
        return known.lower()
    found: list[str] = []

    async def readable() -> bool:  # a just-created app may not be readable yet
        app = await read_app(ctx, desire)
        if app is not None:
            found.append(app.app_id)
        return app is not None

    name = desire.display_name or desire.app_id
    await wait_for(ctx, readable, f"the migration app {name!r} to appear in the target")
    return found[0]


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
