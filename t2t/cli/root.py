"""The root of the `t2t` command: its global options (log lines, colour, progress bars,
`--version`) and where they may be written.

Kept apart from the commands so that app.py stays a list of commands, and so the way global
options are read is in one place. A global option is accepted before the command
(`t2t --log-level debug plan SPEC`) and after it (`t2t plan SPEC --log-level debug`), as
kubectl and az accept theirs; `--` ends the options as usual. No command may define an option
of the same name (a test holds that), so moving one never changes what it means.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TextIO, cast

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from t2t import __version__
from t2t.cli.output import set_no_color
from t2t.cli.progress import StderrNow, set_no_progress
from t2t.logs import configure_logging


class LogFormat(StrEnum):
    console = "console"
    json = "json"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class MissingValue(Exception):
    """A global option that takes a value was written last, without one."""


def hoist_options(args: list[str], takes_value: dict[str, bool]) -> list[str]:
    """`args` with every option named in `takes_value` (and its value, when it takes one)
    moved from after the command name to before it. Options before the command stay where
    they are; nothing after `--` moves."""
    head: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        name, equals, _ = args[i].partition("=")
        head.append(args[i])
        i += 1
        if takes_value.get(name) and not equals and i < len(args):
            head.append(args[i])
            i += 1
    moved: list[str] = []
    kept: list[str] = []
    rest = args[i:]
    j = 0
    while j < len(rest):
        arg = rest[j]
        if arg == "--":
            kept.extend(rest[j:])
            break
        name = arg.partition("=")[0]
        if j == 0 or name not in takes_value:  # the command name itself never moves
            kept.append(arg)
            j += 1
            continue
        moved.append(arg)
        j += 1
        if takes_value[name] and "=" not in arg:
            if j == len(rest):  # moved to the front, it would take the command as its value
                raise MissingValue(name)
            moved.append(rest[j])
            j += 1
    return head + moved + kept


class RootGroup(TyperGroup):
    """The `t2t` group: its own options are also taken from after the command name."""

    def global_options(self) -> dict[str, bool]:
        """Each global option's spellings, and whether it takes a value."""
        out: dict[str, bool] = {}
        for param in self.params:
            takes = param.param_type_name == "option" and not getattr(param, "is_flag", False)
            for spelling in (*param.opts, *param.secondary_opts):
                if spelling.startswith("-"):
                    out[spelling] = takes
        return out

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            args = hoist_options(args, self.global_options())
        except MissingValue as exc:
            raise UsageError(f"Option '{exc}' requires an argument.", ctx) from None
        return super().parse_args(ctx, args)


def _show_version(value: bool) -> None:
    """`t2t --version`: eager, so it answers before any other option or command is checked."""
    if value:
        typer.echo(f"t2t {__version__}")
        raise typer.Exit(0)


def global_options(
    log_format: Annotated[
        LogFormat,
        typer.Option(envvar="T2T_LOG_FORMAT", help="Log lines on stderr: console or json."),
    ] = LogFormat.console,
    log_level: Annotated[
        LogLevel,
        typer.Option(envvar="T2T_LOG_LEVEL", case_sensitive=False, help="Least severe logged."),
    ] = LogLevel.warning,
    no_color: Annotated[
        bool,
        typer.Option(
            "--no-color",
            help="No colour on a terminal (as NO_COLOR=1 does); off a terminal there is none.",
        ),
    ] = False,
    no_progress: Annotated[
        bool,
        typer.Option(
            "--no-progress",
            envvar="T2T_NO_PROGRESS",
            help="No progress bars on stderr; off a terminal there are none.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print t2t's version."
        ),
    ] = False,
) -> None:
    # No docstring: typer would show it as the command's help instead of the Typer's own.
    set_no_color(no_color)
    set_no_progress(no_progress)
    # sys.stderr at each write (a TextIOBase, which typeshed does not count as TextIO).
    configure_logging(log_format.value, log_level.value, stream=cast(TextIO, StderrNow()))
