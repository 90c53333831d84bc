"""The CLI's terminal text (t2t/cli/output.py): exactly the renderer's text off a terminal;
coloured by each line's mark and wrapped to the width, continuations indented, on one; no
colour with --no-color or NO_COLOR."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from rich.console import Console

from t2t.cli import output

TEXT = (
    "t2t plan: x\n"
    "  + target  mailuser.create  'adele@fabrikam.com'  (a long note that will not fit)\n"
    "  T2T-E304 error   source  debra@contoso.com: on hold  [BLOCKS]\n"
    "  ~ target  endpoint.update  'contoso-t2t'\n"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def _colour_back_on() -> Iterator[None]:
    yield
    output.set_no_color(False)


def _terminal(monkeypatch: pytest.MonkeyPatch, width: int = 40) -> io.StringIO:
    """Every console the module makes writes to one buffer that claims to be a terminal."""
    buffer = io.StringIO()
    made = output.console

    def terminal(*, err: bool = False) -> Console:
        real = made(err=err)
        return Console(
            file=buffer,
            force_terminal=True,
            width=width,
            color_system="standard",
            no_color=real.no_color,
            highlight=False,
            markup=False,
            emoji=False,
        )

    monkeypatch.setattr(output, "console", terminal)
    return buffer


def test_off_a_terminal_the_text_is_written_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    output.echo(TEXT, nl=False)
    output.echo("error: x", err=True)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (TEXT, "error: x\n")


def test_on_a_terminal_lines_are_coloured_by_their_mark_and_wrapped_under_their_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    buffer = _terminal(monkeypatch)
    output.echo(TEXT, nl=False)
    shown = buffer.getvalue()
    plain = ANSI.sub("", shown).splitlines()
    assert all(len(line.rstrip()) <= 40 for line in plain), plain
    assert plain[0] == "t2t plan: x"
    assert plain[1].startswith("  + target  mailuser.create")
    # the continuation of a marked line starts under the text after the mark
    assert plain[2].startswith("    ") and not plain[2].startswith("     ")
    assert "\x1b[32m" in shown  # + green
    assert "\x1b[1;31m" in shown  # a check that blocks: bold red
    assert "\x1b[33m" in shown  # ~ yellow
    words = " ".join(line.strip() for line in plain).split()
    assert words == TEXT.split()  # nothing lost or added by the wrapping


def test_a_word_longer_than_the_width_is_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = _terminal(monkeypatch, width=30)
    url = "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=x"
    output.echo(f"  ! consent: open {url} as an administrator")
    lines = ANSI.sub("", buffer.getvalue()).splitlines()
    assert f"    {url}" in lines


@pytest.mark.parametrize("how", ["flag", "NO_COLOR"])
def test_no_color_keeps_the_wrapping_and_drops_every_escape(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "flag":
        monkeypatch.delenv("NO_COLOR", raising=False)
        output.set_no_color(True)
    else:
        monkeypatch.setenv("NO_COLOR", "1")
    buffer = _terminal(monkeypatch)
    output.echo(TEXT, nl=False)
    shown = buffer.getvalue()
    assert "\x1b[" not in shown
    assert max(len(line.rstrip()) for line in shown.splitlines()) <= 40
    assert len(shown.splitlines()) > len(TEXT.splitlines())


def test_an_empty_no_color_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """no-color.org: only a NO_COLOR that is present and not empty turns colour off."""
    monkeypatch.setenv("NO_COLOR", "")
    buffer = _terminal(monkeypatch)
    output.echo("  + x")
    assert "\x1b[32m" in buffer.getvalue()
