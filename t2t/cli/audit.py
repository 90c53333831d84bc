"""The audit trail's command-line side: `--audit-file` / `--no-audit`, and the few hooks
`t2t apply` and `t2t demo` call (t2t/apply/audit.py writes the lines).

How it fits the commands without reshaping them: `@audited` wraps a command and writes the
trail's `end` line with the code the command exits with, however it exits (its own
`typer.Exit`, an error, Ctrl-C); inside, `audit_open` opens the file as soon as the spec is
loaded — before anything connects, so an unwritable trail stops the apply before any action —
`audit_begin` writes the `start` line once the plan to run is known, and `audited_results`
adds an `action` line to each result the runner reports.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from t2t.apply.audit import AuditError, AuditTrail, default_audit_path
from t2t.apply.result import ActionResult
from t2t.cli.session import Session, Target, _sandbox_identity
from t2t.clients.interactive import DeviceCodeTokenSource
from t2t.planner import EXIT_ERROR, EXIT_OK, Action, Plan
from t2t.spec import Desired

AuditFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--audit-file",
        metavar="PATH",
        help="Append the audit trail (JSON lines) here instead of beside the spec "
        "(<spec>.audit.jsonl).",
    ),
]
NoAuditOpt = Annotated[bool, typer.Option("--no-audit", help="Write no audit trail for this run.")]

#: 128 + SIGINT, as `t2t apply` exits when interrupted (app.py EXIT_INTERRUPTED).
_INTERRUPTED = 130
#: An apply whose outcome is partly unknown (app.py EXIT_RUN_AGAIN).
_RUN_AGAIN = 5

_trail: ContextVar[AuditTrail | None] = ContextVar("t2t_audit_trail", default=None)
#: Who signed in as a person, per tenant role and service (note_sign_in): a dict the command's
#: context holds, filled from inside its event loop (asyncio.run copies the context, so the
#: variable itself cannot be set there; the dict it holds is shared).
_people: ContextVar[dict[str, dict[str, str]] | None] = ContextVar("t2t_people", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def audited(command: F) -> F:
    """Close the command's audit trail with the code it exits with (a run left open gets its
    `end` line; a trail that could not be written is reported on stderr)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        token, people = _trail.set(None), _people.set({})
        code, error = EXIT_ERROR, None
        try:
            result = command(*args, **kwargs)
            code = EXIT_OK
            return result
        except typer.Exit as exc:
            code = exc.exit_code
            raise
        except KeyboardInterrupt:
            code, error = _INTERRUPTED, "interrupted"
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            trail = _trail.get()
            _trail.reset(token)
            _people.reset(people)
            if trail is not None:
                if trail.open_run:
                    trail.end(code, error=error)
                trail.close()
                if trail.write_error:
                    warning = f"warning: the audit trail is incomplete: {trail.write_error}"
                    typer.echo(warning, err=True)

    return run  # type: ignore[return-value]


def audit_open(spec_path: str | Path, audit_file: Path | None, no_audit: bool) -> None:
    """Open the trail (beside the spec unless `audit_file`); an unwritable one is an error
    now, before anything connects."""
    if no_audit and audit_file is not None:
        typer.echo("error: --audit-file and --no-audit: choose one", err=True)
        raise typer.Exit(EXIT_ERROR)
    if no_audit:
        return
    try:
        _trail.set(AuditTrail(audit_file or default_audit_path(spec_path)))
    except AuditError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def note_sign_in(session: Session) -> None:
    """Remember who signed in as a person (`interactive: device-code`) to each tenant, for the
    `start` line: the username each service's sign-in answered with."""
    people = _people.get()
    if people is None:
        return
    for role, clients in (("source", session.source), ("target", session.target)):
        if isinstance(clients.tokens, DeviceCodeTokenSource) and clients.tokens.signed_in:
            people.setdefault(role, {}).update(clients.tokens.signed_in)


def _operator(target: Target | None, desired: Desired) -> dict[str, Any]:
    """t2t's own identity in each tenant: the tenant id and the client id it signs in as (on
    the sandbox, the client the sandbox profile resolves), or, for a person's sign-in, who
    signed in to each service; never a secret."""
    out: dict[str, Any] = {}
    people = _people.get() or {}
    for role, tenant in (("source", desired.source), ("target", desired.target)):
        entry: dict[str, Any] = {"tenantId": tenant.tenant_id}
        if tenant.auth.interactive is not None:
            entry["interactive"] = tenant.auth.interactive
            entry["signedIn"] = dict(sorted(people.get(role, {}).items()))
        elif target is not None and target.profile is not None:
            entry["clientId"] = _sandbox_identity(target.profile, tenant, role).client_id
            entry["sandbox"] = True
        else:
            entry["clientId"] = tenant.auth.client_id
            if tenant.auth.azure_identity is not None:
                entry["azureIdentity"] = tenant.auth.azure_identity
        out[role] = entry
    return out


def _code_of(counts: Counter[str]) -> int:
    """The exit code a run with these outcomes ends with (a demo round's, when the next one
    begins): failed 1, some outcome unknown 5, else 0."""
    if counts["failed"]:
        return EXIT_ERROR
    return _RUN_AGAIN if counts["unknown"] else EXIT_OK


def audit_begin(
    plan: Plan,
    target: Target | None,
    desired: Desired,
    *,
    saved_path: Path | None = None,
    saved_sha256: str | None = None,
) -> None:
    """The `start` line of a run, once its plan is known (a run still open — a demo's previous
    round — is ended first)."""
    trail = _trail.get()
    if trail is None:
        return
    if trail.open_run:
        trail.end(_code_of(trail.counts))
    saved = {"path": str(saved_path), "sha256": saved_sha256} if saved_path else None
    trail.begin(
        plan,
        spec_path=desired.spec_path,
        operator=_operator(target, desired),
        saved_plan=saved,
    )


def audited_results(
    show: Callable[[Action, ActionResult], None],
) -> Callable[[Action, ActionResult], None]:
    """`show` each result, then record it in the trail (when one is open)."""

    def record(action: Action, result: ActionResult) -> None:
        show(action, result)
        trail = _trail.get()
        if trail is not None and trail.open_run:
            trail.action(action, result)

    return record
