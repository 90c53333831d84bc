"""The `t2t` command: validate, schema, plan, apply, demo, sandbox."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, cast

import httpx
import typer
from typer import rich_utils

from t2t import progress
from t2t.apply import ApplyContext, ApplyReport, apply_plan
from t2t.apply.context import DEFAULT_DEADLINE_SECONDS
from t2t.apply.lease import LeaseError, hold_lease
from t2t.apply.saved import (
    SavedPlan,
    SavedPlanError,
    check_origin,
    check_spec,
    load_saved_plan,
    looks_like_saved_plan,
    save_plan,
    saved_spec,
    staleness,
)
from t2t.cli import event_loop, output
from t2t.cli.audit import (
    AuditFileOpt,
    NoAuditOpt,
    audit_begin,
    audit_open,
    audited,
    audited_results,
    note_sign_in,
)
from t2t.cli.destroy import AllowDestroyOpt, destroys
from t2t.cli.names import names_read, note_names
from t2t.cli.progress import shown as progress_shown
from t2t.cli.root import RootGroup, global_options
from t2t.cli.session import (
    Session,
    SetupError,
    Target,
    cloud_target,
    made_against,
    open_session,
    sandbox_reachable,
    sandbox_target,
)
from t2t.cli.waves import WaveOpt, check_saved_waves, narrow
from t2t.clients import ClientError, ProfileError
from t2t.planner import EXIT_ERROR, EXIT_UNKNOWN, SOURCE_NEEDS, TARGET_NEEDS, Plan, build_plan
from t2t.planner.delegates import DELEGATES, losses_of
from t2t.planner.shared.app import app_desire
from t2t.planner.shared.rotation import ROTATE_FLAG, forces_rotation
from t2t.probes import SOURCE_PARTS, TARGET_PARTS, ProbeRequest, read_snapshot
from t2t.render import (
    render_plan,
    render_plan_json,
    render_plan_markdown,
    render_powershell,
    render_progress,
    render_report,
    render_result,
    render_snapshot,
    render_snapshot_json,
)
from t2t.render.permissions_csv import ReportPathError, check_report_path, write_report
from t2t.spec import Desired, SpecInvalid, UnknownWave, load_spec, select_waves, spec_json_schema
from t2t.state import Snapshot
from t2t.state.parts import Part

app = typer.Typer(
    name="t2t",
    help="Declarative Exchange Online cross-tenant mailbox migration: plan, then apply.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=RootGroup,
)
sandbox_app = typer.Typer(
    help="The local emulator of two Microsoft 365 tenants.", no_args_is_help=True
)
app.add_typer(sandbox_app, name="sandbox")


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    powershell = "powershell"


SandboxOpt = Annotated[
    Path | None,
    typer.Option(
        "--sandbox",
        envvar="T2T_SANDBOX",
        help="Run against the sandbox whose state lives in DIR (started here if not running).",
        metavar="DIR",
    ),
]
#: Deliberately no environment variable: the CAs t2t trusts are named on its command line
#: (t2t/clients/trust.py), never picked up from the environment.
CaBundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        help="Also trust the CAs in this PEM file (a TLS-inspecting proxy's), beside the public "
        "roots. REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE and SSL_CERT_DIR are ignored.",
        metavar="FILE",
    ),
]
RotateOpt = Annotated[
    bool,
    typer.Option(
        ROTATE_FLAG,
        help="Rotate the endpoint's credential now, due or not: a new Key Vault certificate "
        "version (its key beside the old one, the endpoint moved to it, then the old key "
        "removed) or a new client secret (the endpoint given it, then the old one removed).",
    ),
]


app.callback()(global_options)


#: `t2t apply` stopped by Ctrl-C: 128 + SIGINT, the shell's convention.
EXIT_INTERRUPTED = 130
#: `t2t apply` left some outcome unknown (a deadline reached, a lost answer) and nothing
#: failed: running it again finishes the work. Not 0: the tenants have not converged yet.
EXIT_RUN_AGAIN = 5


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    output.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _load(spec: Path) -> Desired:
    try:
        desired = load_spec(spec)
    except SpecInvalid as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    for note in desired.notes:  # e.g. CSV columns t2t ignores: on stderr, stdout stays clean
        typer.echo(note.as_note(), err=True)
    return desired


@contextmanager
def _connection(sandbox: Path | None, ca_bundle: Path | None = None) -> Iterator[Target]:
    """The sandbox named by --sandbox (reused if it runs, else started for this command), or
    Microsoft's cloud with the --ca-bundle given (checked here, before anything connects)."""
    if sandbox is None:
        yield cloud_target(ca_bundle)
        return
    if ca_bundle is not None:
        raise SetupError(
            "--ca-bundle is for Microsoft's cloud behind a TLS-inspecting proxy; "
            "the sandbox is trusted by its own CA only"
        )
    sandbox = sandbox.resolve()
    profile = sandbox / "profile.json"
    if profile.exists():
        target = sandbox_target(sandbox)
        if target.profile is not None and sandbox_reachable(target.profile):
            yield target
            return
    from t2t.sandbox.server import SandboxServer  # only the CLI may import the sandbox
    from t2t.sandbox.state import StateDirError

    try:
        server = SandboxServer(sandbox).start()
    except StateDirError as exc:
        raise SetupError(str(exc)) from None
    try:
        yield sandbox_target(sandbox)
    finally:
        server.stop()


def due_mailboxes(desired: Desired) -> tuple[tuple[str, str], ...]:
    """(source, target) of the mailboxes in a wave whose batch a run may create (phase sync or
    complete): their sizes are read fresh, the others' come from Graph's mailbox usage report
    where it can be used (t2t/probes/mailbox_sizes.py)."""
    moving = {a.lower() for b in desired.batches if b.phase != "prepare" for a in b.mailboxes}
    return tuple((m.source, m.target) for m in desired.mailboxes if m.target_key in moving)


def probe_request(
    desired: Desired,
    source_parts: frozenset[Part] = SOURCE_NEEDS,
    target_parts: frozenset[Part] = TARGET_NEEDS,
    *,
    report: bool = False,
) -> ProbeRequest:
    """What to read for this spec: the planner's parts and the keys the spec names. Every wave
    mailbox's permissions only for `plan --report` (it lists them all) or delegates.keepTogether
    (T2T-E350 needs the grants both ways); else only the due ones (t2t/probes/delegations.py)."""
    rel = desired.relationship
    return ProbeRequest(
        source_tenant_id=desired.source.tenant_id,
        target_tenant_id=desired.target.tenant_id,
        source_parts=source_parts,
        target_parts=target_parts,
        app_id=rel.app.app_id,
        app_display_name=rel.app.display_name,
        app_unique_name=app_desire(desired).unique_name,
        scope_groups=tuple(rel.scope_groups),
        endpoint_name=rel.endpoint.name,
        endpoint_remote_tenant=desired.source.domain,
        source_mailboxes=tuple(m.source for m in desired.mailboxes),
        due_mailboxes=due_mailboxes(desired),
        wave_mailboxes=tuple(m.source for m in desired.mailboxes if m.batch is not None),
        every_wave_mailbox=report or desired.delegates.keep_together,
        calendars=desired.delegates.calendars,
        key_vault=rel.key_vault if rel.credential == "keyVaultCertificate" else None,
    )


@asynccontextmanager
async def _signed_in(desired: Desired, target: Target | None) -> AsyncIterator[Session]:
    """`open_session`, shown as a progress task until both tenants are reachable and signed
    in to (the reach check and the tokens)."""
    connecting = progress.open_task("connecting to both tenants")
    try:
        async with open_session(desired, target) as session:
            connecting.close()
            try:
                yield session
            finally:
                note_sign_in(session)  # each service has signed in by now
    finally:
        connecting.close()  # when signing in failed


async def _plan(
    desired: Desired,
    target: Target | None,
    *,
    rotate: bool = False,
    destroy: bool = False,
    report: Path | None = None,
) -> Plan:
    async with _signed_in(desired, target) as session:
        snapshot = await read_snapshot(
            probe_request(desired, report=report is not None),
            (session.source.exchange, session.source.graph),
            (session.target.exchange, session.target.graph),
            azure=session.target.azure,
        )
    note_names(snapshot)
    result = build_plan(desired, snapshot, rotate_credential=rotate, allow_destroy=destroy)
    if report is not None:
        _write_report(report, desired, snapshot)
    return result


def _write_report(path: Path, desired: Desired, snapshot: Snapshot) -> None:
    """`plan --report`: the losses of the plan's snapshot (t2t/render/permissions_csv.py);
    none when the source's permissions could not be read (the plan says so)."""
    blind = DELEGATES.blind_spots(snapshot)
    if blind:
        parts = ", ".join(f"{role} {part}" for role, part in blind)
        raise fail(f"{path}: not written, t2t could not read {parts}")
    try:
        write_report(path, losses_of(desired, snapshot))
    except (OSError, ReportPathError) as exc:
        raise fail(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
    typer.echo(f"Wrote what the move will lose to {path}", err=True)


async def _apply(
    desired: Desired,
    target: Target | None,
    plan: Plan,
    *,
    force_unlock: bool = False,
    deadline_minutes: float = DEFAULT_DEADLINE_SECONDS / 60,
    parallelism: int | None = None,
) -> ApplyReport:
    """Run the plan while holding the spec's lease in the target tenant (t2t/apply/lease.py)."""
    async with open_session(desired, target) as session:
        ctx = ApplyContext(
            exchange={"source": session.source.exchange, "target": session.target.exchange},
            graph={"source": session.source.graph, "target": session.target.graph},
            azure={"target": session.target.azure} if session.target.azure is not None else {},
            hosts=session.hosts,
            tenant_ids={"source": session.source.tenant_id, "target": session.target.tenant_id},
            deadline_seconds=deadline_minutes * 60,
            on_wait=lambda action, text: output.echo(render_progress(action, text)),
        )
        async with hold_lease(
            session.target.exchange,
            plan.spec_name,
            force_unlock=force_unlock,
            notify=lambda message: typer.echo(message, err=True),
        ) as lease:
            report = await apply_plan(
                plan,
                ctx,
                parallelism=parallelism,
                on_result=audited_results(lambda _a, r: output.echo(render_result(r))),
            )
    if lease.lost is not None:  # stopped early: another apply holds the lease now
        output.echo(render_report(report), nl=False)
        raise LeaseError(f"{lease.lost}; this apply stopped starting actions")
    return report


async def _unlock(desired: Desired, target: Target | None, spec_name: str) -> None:
    """`apply --force-unlock` with nothing to apply still removes a gone run's lease (one
    killed after its last write leaves it): the lease is taken over and released."""
    notify = partial(typer.echo, err=True)
    async with (
        open_session(desired, target) as session,
        hold_lease(session.target.exchange, spec_name, force_unlock=True, notify=notify),
    ):
        pass


def _run(coro: Any) -> Any:
    try:
        return event_loop.run(coro)
    except (SetupError, ClientError, ProfileError, LeaseError) as exc:
        raise fail(str(exc)) from None


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


async def _show(desired: Desired, target: Target | None) -> Snapshot:
    async with _signed_in(desired, target) as session:
        return await read_snapshot(
            probe_request(desired, SOURCE_PARTS, TARGET_PARTS),
            (session.source.exchange, session.source.graph),
            (session.target.exchange, session.target.graph),
            azure=session.target.azure,
        )


@app.command()
def show(
    spec: Path,
    sandbox: SandboxOpt = None,
    ca_bundle: CaBundleOpt = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="text or json.")] = ShowFormat.text,
) -> None:
    """Show what t2t sees in both tenants for this spec (read-only). Exit 4 if any part
    could not be read."""
    desired = _load(spec)
    try:
        with _connection(sandbox, ca_bundle) as target, progress_shown():
            snapshot: Snapshot = _run(_show(desired, target))
    except SetupError as exc:
        raise fail(str(exc)) from None
    if fmt is ShowFormat.json:
        typer.echo(render_snapshot_json(snapshot), nl=False)
    else:
        output.echo(render_snapshot(snapshot), nl=False)
    raise typer.Exit(EXIT_UNKNOWN if snapshot.unknowns() else 0)


@app.command()
def validate(specs: Annotated[list[Path], typer.Argument(help="Spec files.")]) -> None:
    """Check spec files; print every error as PATH:LINE:COL: message."""
    bad = 0
    for spec in specs:
        try:
            desired = load_spec(spec)
        except SpecInvalid as exc:
            bad += 1
            for error in exc.errors:
                typer.echo(str(error))
            continue
        for note in desired.notes:
            typer.echo(note.as_note())
        typer.echo(f"{spec}: valid")
    raise typer.Exit(1 if bad else 0)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec (point your editor at schemas/t2t-spec.schema.json)."""
    typer.echo(json.dumps(spec_json_schema(), indent=2, sort_keys=True))


@app.command()
def plan(
    spec: Path,
    sandbox: SandboxOpt = None,
    ca_bundle: CaBundleOpt = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when changes are pending.")
    ] = False,
    fmt: Annotated[
        PlanFormat, typer.Option("--format", help="text, json, markdown or powershell.")
    ] = PlanFormat.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Save the plan for `t2t apply FILE` after review."),
    ] = None,
    rotate_credential: RotateOpt = False,
    wave: WaveOpt = None,
    allow_destroy: AllowDestroyOpt = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write what the move will lose (permissions, delegates, forwarding) as CSV.",
        ),
    ] = None,
) -> None:
    """Read both tenants (never writing) and show what apply would change and what blocks it.

    Exit codes: 0 nothing to do (or changes without --detailed-exitcode), 1 error,
    2 changes pending, 3 a check blocks, 4 some state could not be read, 6 only mailboxes
    are left out (the rest can run), 64 usage error, 130 interrupted.
    """
    desired = narrow(_load(spec), wave)
    if report is not None:
        try:
            check_report_path(report)
        except ReportPathError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--report'") from None
    try:
        with _connection(sandbox, ca_bundle) as target, progress_shown():
            result: Plan = _run(
                _plan(
                    desired, target, rotate=rotate_credential, destroy=allow_destroy, report=report
                )
            )
    except SetupError as exc:
        raise fail(str(exc)) from None
    renderers = {
        PlanFormat.text: lambda p: render_plan(p, names_read()),
        PlanFormat.json: render_plan_json,
        PlanFormat.markdown: render_plan_markdown,
        PlanFormat.powershell: render_powershell,
    }
    (output.echo if fmt is PlanFormat.text else typer.echo)(renderers[fmt](result), nl=False)
    if out is not None:
        try:
            save_plan(result, out, made_against(sandbox))
        except OSError as exc:
            raise fail(f"cannot write {out}: {exc.strerror}") from None
        typer.echo(f"Saved the plan to {out}; apply it with: t2t apply {out}", err=True)
    raise typer.Exit(result.exit_code(detailed=detailed_exitcode))


def _confirm(plan_: Plan, auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise fail("refusing to apply without confirmation: pass --auto-approve")
    answer = typer.prompt("Do you want to perform these actions? Only 'yes' will be accepted")
    if answer.strip() != "yes":
        raise fail("apply cancelled")


@app.command()
@audited
def apply(
    spec: Annotated[Path, typer.Argument(help="A spec, or a plan saved by `t2t plan --out`.")],
    sandbox: SandboxOpt = None,
    ca_bundle: CaBundleOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask before acting.")
    ] = False,
    force_unlock: Annotated[
        bool,
        typer.Option(
            "--force-unlock",
            help="Remove another run's apply lease first: only when that run is gone.",
        ),
    ] = False,
    deadline: Annotated[
        float,
        typer.Option(
            "--deadline",
            min=0.1,
            metavar="MINUTES",
            help="How long one action may take, retries and waits included; past it its "
            "outcome is unknown and a second apply finishes it (exit 5).",
        ),
    ] = DEFAULT_DEADLINE_SECONDS / 60,
    parallelism: Annotated[
        int | None,
        typer.Option(
            "--parallelism",
            min=1,
            metavar="N",
            help="At most N actions at once across both tenants (Terraform's -parallelism); "
            "1 runs the plan one action at a time (an action waiting for its write to show "
            "lets the next one start). Default: each tenant and API's own bound.",
        ),
    ] = None,
    audit_file: AuditFileOpt = None,
    no_audit: NoAuditOpt = False,
    rotate_credential: RotateOpt = False,
    wave: WaveOpt = None,
    allow_destroy: AllowDestroyOpt = False,
) -> None:
    """Make both tenants match the spec; safe to run again at any time.

    Given a saved plan, apply re-reads both tenants first and refuses, before acting, when
    the spec or anything the plan touches changed since it was made; a saved plan was
    reviewed, so it is applied without asking.

    One apply of a spec acts at a time: it holds a lease in the target tenant, and another
    apply is refused with the holder and its age; --force-unlock removes a lease whose run is
    gone.
    """
    saved: SavedPlan | None = None
    if looks_like_saved_plan(spec):
        try:
            saved = load_saved_plan(spec)
            check_origin(saved, made_against(sandbox), spec)  # before anything connects
            check_saved_waves(saved.plan.waves, wave)
            desired = select_waves(_load(saved_spec(spec, saved)), saved.plan.waves)
            check_spec(saved, desired, spec)  # before anything is sent
        except SavedPlanError as exc:
            raise fail(str(exc)) from None
        except UnknownWave as exc:  # the spec lost a wave the plan was made for
            raise fail(f"{spec}: the spec changed since the plan was made: {exc}") from None
        # a plan saved with --rotate-credential is compared with a plan made the same way
        rotate_credential = rotate_credential or forces_rotation(saved.plan.actions)
        allow_destroy = allow_destroy or destroys(saved.plan.actions)  # compared alike
    else:
        desired = narrow(_load(spec), wave)
    audit_open(desired.spec_path, audit_file, no_audit)  # before anything connects
    try:
        with _connection(sandbox, ca_bundle) as target:
            with progress_shown():
                result: Plan = _run(
                    _plan(desired, target, rotate=rotate_credential, destroy=allow_destroy)
                )
            if saved is not None:
                problems = staleness(saved.plan, result)
                if problems:
                    typer.echo("The saved plan is stale; nothing was changed:", err=True)
                    for problem in problems:
                        typer.echo(f"  - {problem}", err=True)
                    raise fail(f"{spec}: stale; run t2t plan again and review the new plan")
                result = saved.plan
                auto_approve = True
            sealed = (spec, saved.sha256) if saved is not None else (None, None)
            audit_begin(result, target, desired, saved_path=sealed[0], saved_sha256=sealed[1])
            output.echo(render_plan(result, names_read()), nl=False)
            if not result.runnable:
                if force_unlock:
                    _run(_unlock(desired, target, result.spec_name))
                typer.echo("Nothing to apply.")
                raise typer.Exit(result.exit_code(detailed=False))
            _confirm(result, auto_approve)
            with progress_shown():
                report: ApplyReport = _run(
                    _apply(
                        desired,
                        target,
                        result,
                        force_unlock=force_unlock,
                        deadline_minutes=deadline,
                        parallelism=parallelism,
                    )
                )
    except SetupError as exc:
        raise fail(str(exc)) from None
    output.echo(render_report(report), nl=False)
    if report.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.count("failed"):
        raise typer.Exit(EXIT_ERROR)
    if report.run_again:
        raise typer.Exit(EXIT_RUN_AGAIN)
    # Only blocked actions (and the dependants they held back) remain: the plan's own code
    # says why (3: a check blocks; a step waiting for a person is a warning, so 0).
    raise typer.Exit(result.exit_code(detailed=False))


#: Sandbox time passed between demo rounds: enough for a batch to sync (or complete) at the
#: sandbox's default pace of one status step a minute.
DEMO_CLOCK_STEP_SECONDS = 3600
DEMO_MAX_ROUNDS = 4


def _advance_sandbox_clock(target: Target, seconds: int) -> None:
    """`POST /_sandbox/clock` (sandbox-only): the move service runs on the sandbox's clock."""
    profile = target.profile or {}
    response = httpx.post(
        str(profile["baseUrl"]).rstrip("/") + "/_sandbox/clock",
        json={"advanceSeconds": seconds},
        timeout=30,
        **target.hosts.trust.httpx_options(),
    )
    if response.status_code >= 400:
        raise SetupError(f"the sandbox refused to move its clock: {response.text}")


@app.command()
@audited
def demo(
    spec: Annotated[Path, typer.Argument()] = Path("specs/quickstart.yaml"),
    sandbox: SandboxOpt = Path(".sandbox"),
) -> None:
    """The whole migration on the sandbox: plan, apply, let the move service work (the
    sandbox clock jumps an hour), apply again, … until nothing is left to run.

    Exit 0 when apply converged everything it may do (nothing failed, nothing runnable left,
    everything readable); steps a check blocks are shown as that check's demonstration.
    """
    desired = _load(spec)
    sandbox = sandbox or Path(".sandbox")
    applied = failed = 0
    try:
        with _connection(sandbox) as target:
            if target is None or target.profile is None:
                raise SetupError("t2t demo runs on the sandbox only (--sandbox DIR)")
            # Beside the demo's tenants, in the sandbox's folder: opened once the sandbox has
            # made it (a fresh clone has none), still before the first write to a tenant.
            audit_open(spec, sandbox / f"{spec.name}.audit.jsonl", False)
            typer.echo(f"== sandbox: {sandbox}")
            for round_ in range(1, DEMO_MAX_ROUNDS + 1):
                typer.echo(f"== round {round_}: plan")
                current: Plan = _run(_plan(desired, target))
                output.echo(render_plan(current, names_read()))
                if not current.runnable:
                    break
                typer.echo(f"== round {round_}: apply")
                audit_begin(current, target, desired)
                report: ApplyReport = _run(_apply(desired, target, current))
                output.echo(render_report(report))
                applied += report.count("done")
                failed += report.count("failed") + report.count("skipped")
                if failed:
                    break
                typer.echo(
                    f"== the sandbox clock moves {DEMO_CLOCK_STEP_SECONDS // 60} minutes: "
                    "the move service works on its own meanwhile\n"
                )
                _advance_sandbox_clock(target, DEMO_CLOCK_STEP_SECONDS)
            last: Plan = _run(_plan(desired, target))
    except SetupError as exc:
        raise fail(str(exc)) from None
    converged = not failed and not last.runnable and not last.unknowns
    blocked = sorted({f.code for f in last.blocking})
    moved = [n for n in last.notices if "Completed" in n]
    typer.echo(
        f"== demo {'converged' if converged else 'did NOT converge'}: "
        f"{applied} steps applied, {failed} failed or skipped, "
        f"{len(last.runnable)} left to run"
        + (f"; batches completed: {len(moved)}" if moved else "")
        + (f"; blocked by checks, as shown above: {', '.join(blocked)}" if blocked else "")
    )
    # The demo succeeds when apply converged everything it may do; steps a check blocks are
    # the demonstration of that check (`t2t plan`/`apply` still exit 3 for them).
    raise typer.Exit(0 if converged else EXIT_ERROR)


@sandbox_app.command("serve")
def sandbox_serve(
    state: Annotated[Path, typer.Option("--state", help="Directory for CA, profile and state.")],
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 = any free).")] = 0,
    seed: Annotated[Path | None, typer.Option(help="Seed YAML for a fresh state dir.")] = None,
    profile: Annotated[
        str,
        typer.Option(
            help="strict (default: Microsoft's worst ordinary day) or kind (no secret delay, "
            "lag, throttling or licensing time; only for tests that never write)."
        ),
    ] = "strict",
) -> None:
    """Serve the tenant emulator over HTTPS until interrupted."""
    from t2t.sandbox.server import serve
    from t2t.sandbox.state import StateDirError
    from t2t.sandbox.strictness import PROFILES

    if profile not in PROFILES:
        raise fail(f"--profile: use one of {', '.join(PROFILES)} (got {profile!r})")
    try:
        serve(state, port=port, seed=seed, profile=profile)
    except StateDirError as exc:
        raise fail(str(exc)) from None


# `t2t status` lives in its own module (it uses the helpers above, so it is imported last).
from t2t.cli.status import status  # noqa: E402

app.command()(status)

# `t2t sandbox clock|reset|status|generate` (the running sandbox's control API) likewise.
from t2t.cli.sandbox_control import add_control_commands  # noqa: E402

add_control_commands(sandbox_app)


#: A command line t2t cannot parse (an unknown option, a missing argument): 64, EX_USAGE of
#: BSD's sysexits.h, so it never reads as 2, "changes pending" (click's own usage code).
EXIT_USAGE = 64
#: click's UsageError.exit_code (click.exceptions; every other ClickException exits 1).
CLICK_USAGE_EXIT = 2


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        # also under `python -m t2t`: completion and usage name `t2t`. Not standalone, so a
        # usage error comes here and leaves with EXIT_USAGE; typer.Exit returns its code.
        code = app(prog_name="t2t", standalone_mode=False)
    except typer.TyperException as exc:  # click's errors, as typer vendors them
        # Shown as typer shows them when standalone; typer raises only click's ClickException
        # subclasses here, whose vendored type typer does not export (hence Any).
        rich_utils.rich_format_error(cast(Any, exc))
        code = getattr(exc, "exit_code", EXIT_ERROR)
        sys.exit(EXIT_USAGE if code == CLICK_USAGE_EXIT else code)
    except typer.Abort:
        rich_utils.rich_abort_error()
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
