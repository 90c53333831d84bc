"""`t2t status SPEC`: where the spec's moves stand — per wave, batch and mailbox — read-only.

It reads the target's batches, their users and each user's statistics (t2t/probes/moves.py)
through read-only clients, so it runs with the same read-only identity as `t2t plan` in CI.
`--watch` redraws the table in place every `--interval` seconds (one session, kept open) until
Ctrl-C, which ends it cleanly with exit 0. Exit codes: 0 everything was read, 4 something
could not be read, 1 an error before anything was read (bad spec, no connection).
"""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from t2t.cli import output
from t2t.cli.app import CaBundleOpt, SandboxOpt, _connection, _load, _run, fail
from t2t.cli.session import SetupError, Target, open_session
from t2t.cli.waves import WaveOpt, narrow
from t2t.clients import ExchangeClient
from t2t.planner import EXIT_OK
from t2t.probes.moves import read_moves
from t2t.render.status import (
    render_status_csv,
    render_status_json,
    render_status_text,
    status_renderable,
)
from t2t.render.status_report import StatusReport, build_status, wants_batch
from t2t.spec import Desired

#: Seconds between two reads under --watch, unless --interval says otherwise: each read costs
#: one Get-MigrationUserStatistics per mailbox in a batch (the cmdlet has no bulk form).
DEFAULT_INTERVAL = 30.0


class StatusFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


async def _read(desired: Desired, exchange: ExchangeClient) -> tuple[StatusReport, int]:
    """One read of the target's moves (the move service runs in the target: it pulls)."""
    moves = await read_moves(exchange, wants_batch(desired))
    return build_status(desired, moves), moves.requests


async def _once(desired: Desired, target: Target | None) -> StatusReport:
    async with open_session(desired, target) as session:
        report, _ = await _read(desired, session.target.exchange)
    return report


def _print(report: StatusReport, fmt: StatusFormat, console: Console) -> None:
    if fmt is StatusFormat.json:
        typer.echo(render_status_json(report), nl=False)
    elif fmt is StatusFormat.csv:
        typer.echo(render_status_csv(report), nl=False)
    elif console.is_terminal:
        console.print(status_renderable(report))
    else:
        typer.echo(render_status_text(report), nl=False)


async def _watch(
    desired: Desired, target: Target | None, fmt: StatusFormat, interval: float, console: Console
) -> None:
    """Read, show, sleep, until cancelled (Ctrl-C). A terminal gets the table redrawn in place
    (rich Live); a pipe gets each text report in turn, or one JSON document per line."""
    async with open_session(desired, target) as session:
        live = Live(console=console, auto_refresh=False, transient=False)
        redraw = fmt is StatusFormat.text and console.is_terminal
        if redraw:
            live.start()
        try:
            while True:
                report, requests = await _read(desired, session.target.exchange)
                footer = (
                    f"read {report.read_at} with {requests} Exchange calls; "
                    f"next read in {interval:g} s — Ctrl-C to stop"
                )
                if redraw:
                    live.update(status_renderable(report, footer=footer), refresh=True)
                elif fmt is StatusFormat.json:
                    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
                else:
                    typer.echo(render_status_text(report))
                await asyncio.sleep(interval)
        finally:
            if redraw:
                live.stop()


def status(
    spec: Annotated[Path, typer.Argument(help="The migration spec.")],
    sandbox: SandboxOpt = None,
    ca_bundle: CaBundleOpt = None,
    fmt: Annotated[
        StatusFormat,
        typer.Option(
            "--format", help="text (a table per batch), json, or csv (one row per mailbox)."
        ),
    ] = StatusFormat.text,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Redraw in place every --interval seconds; Ctrl-C stops."),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", min=1, metavar="SECONDS", help="Seconds between reads with --watch."
        ),
    ] = DEFAULT_INTERVAL,
    wave: WaveOpt = None,
) -> None:
    """Where the spec's mailbox moves stand: per wave, batch and mailbox the status, percent,
    bytes and items copied, last sync, skipped items, and a failure with its check and fix.

    Read-only (the plan identity suffices). Exit 0 when everything was read, 4 when something
    could not be read, 1 on an error; a failed mailbox is shown, not an error.
    """
    if watch and fmt is StatusFormat.csv:
        raise fail("--watch takes --format text or json (one JSON document per line), not csv")
    desired = narrow(_load(spec), wave)
    console = output.console()  # --no-color and NO_COLOR apply
    try:
        with _connection(sandbox, ca_bundle) as target:
            if watch:
                try:
                    _run(_watch(desired, target, fmt, interval, console))
                except KeyboardInterrupt:  # Ctrl-C ends a watch: nothing is left half done
                    typer.echo("", err=True)
                raise typer.Exit(EXIT_OK)
            report: StatusReport = _run(_once(desired, target))
    except SetupError as exc:
        raise fail(str(exc)) from None
    _print(report, fmt, console)
    raise typer.Exit(report.exit_code)
