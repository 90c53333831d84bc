"""The CLI's terminal text: rich Consoles on stdout and stderr that know the terminal.

Text the renderers write (the plan, apply's lines and summary, `show`) goes out exactly as it
is when the stream is not a terminal — a pipe, a file, a CI log — so what scripts read never
changes. On a terminal each line is coloured by its leading mark, in Terraform's colours (`+`
green, `~` yellow, `-` and `!` red, `?` magenta; apply's `✓` green and `✗` red; a check that
blocks bold red, another error red, a warning yellow, one the plan fixes plain), and wrapped to
the terminal's width with every continuation indented under its line's text instead of at the
margin. A word longer than the width (a URL) is never cut: the terminal wraps it, so it stays
one word to select or click.

Colour is off with `--no-color` or the NO_COLOR variable set to anything but "" (no-color.org;
rich reads it); rich also leaves it off for TERM=dumb and forces it with FORCE_COLOR. Machine
formats (json, csv, markdown, powershell) never come here: they are written as they are.
"""

from __future__ import annotations

import re
import sys

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

_settings = {"no_color": False}

#: A line's leading mark (after its indentation) and the style it gets on a terminal.
_STYLES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), style)
    for pattern, style in (
        (r"^error: ", "bold red"),
        (r"^\s*warning: ", "yellow"),
        (r"^\s*\+ ", "green"),
        (r"^\s*~ ", "yellow"),
        (r"^\s*- ", "red"),
        (r"^\s*! ", "bold red"),
        (r"^\s*\? ", "magenta"),
        (r"^\s*> ", "cyan"),
        (r"^\s*✓ ", "green"),
        (r"^\s*✗ ", "bold red"),
        (r"^\s*… ", "dim"),
        (r"^\s*T2T-[EW]\d{3} .*\[BLOCKS\]$", "bold red"),
        (r"^\s*T2T-[EW]\d{3} .*\[fixed by this plan\]$", ""),
        (r"^\s*T2T-E\d{3} ", "red"),
        (r"^\s*T2T-W\d{3} ", "yellow"),
        (r"^(t2t plan: |Apply complete|== )", "bold"),
        (r"^(Apply incomplete|Apply interrupted)", "bold yellow"),
    )
)
#: Marks after which a wrapped line's continuation is indented (the mark's own column kept
#: clear, as Terraform's plan does).
_MARK = re.compile(r"^( *)([-+~!?>✓✗=…] )")


def set_no_color(value: bool) -> None:
    """`--no-color`, for every console made from now on."""
    _settings["no_color"] = value


def console(*, err: bool = False) -> Console:
    """A console on the current stdout (or stderr): made per call, so a stream replaced since
    (pytest's capture, typer's CliRunner) is the one written to."""
    return Console(
        file=sys.stderr if err else sys.stdout,
        no_color=True if _settings["no_color"] else None,  # None: rich reads NO_COLOR
        highlight=False,
        markup=False,
        emoji=False,
    )


def _style(line: str) -> str:
    for pattern, style in _STYLES:
        if pattern.match(line):
            return style
    return ""


def _hanging(line: str) -> int:
    """How far a wrapped line's continuation is indented: under the text after its mark."""
    mark = _MARK.match(line)
    return len(mark.group(0)) if mark else len(line) - len(line.lstrip(" "))


def wrap_words(text: str, width: int) -> list[str]:
    """`text` cut between words into pieces at most `width` cells wide (the spacing inside a
    piece kept); a word wider than that is a piece of its own, never cut."""
    pieces: list[str] = []
    current = ""
    for token in re.findall(r"\S+\s*|\s+", text):
        if current and cell_len(current + token.rstrip()) > width:
            pieces.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    return [*pieces, current.rstrip()] if current or not pieces else pieces


def _print_line(out: Console, line: str, colour: bool) -> None:
    indent = min(_hanging(line), out.width // 2)
    style = _style(line) if colour else ""
    pieces = wrap_words(line[indent:], max(out.width - indent, 1))
    for number, piece in enumerate(pieces):
        lead = line[:indent] if number == 0 else " " * indent
        out.print(Text(lead + piece, style=style), soft_wrap=True)


def echo(text: str, *, nl: bool = True, err: bool = False) -> None:
    """typer.echo for rendered text: as it is off a terminal, coloured and wrapped on one."""
    out = console(err=err)
    if not out.is_terminal:
        typer.echo(text, nl=nl, err=err)
        return
    colour = not out.no_color and out.color_system is not None
    body = text if nl or not text.endswith("\n") else text[:-1]
    for line in body.split("\n"):
        _print_line(out, line, colour)
