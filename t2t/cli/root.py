"""The root of the `t2t` command: its global options (log lines, `--version`).

Kept apart from the commands so that app.py stays a list of commands, and so the way global
options are read is in one place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from t2t import __version__
from t2t.logs import configure_logging


class LogFormat(StrEnum):
    console = "console"
    json = "json"


def _show_version(value: bool) -> None:
    """`t2t --version`: eager, so it answers before any other option or command is checked."""
    if value:
        typer.echo(f"t2t {__version__}")
        raise typer.Exit(0)


def global_options(
    log_format: Annotated[LogFormat, typer.Option(help="Log lines on stderr.")] = LogFormat.console,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "warning",
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print t2t's version."
        ),
    ] = False,
) -> None:
    # No docstring: typer would show it as the command's help instead of the Typer's own.
    configure_logging(log_format.value, log_level)
