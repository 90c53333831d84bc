"""Progress on long work (issue 14): `t2t plan` and `t2t apply` on a terminal draw rich progress
bars on stderr — counts, rate and an ETA — within two seconds of the command starting, and
leave nothing of them behind; `--no-progress`, T2T_NO_PROGRESS and a stderr that is not a
terminal draw none, and the plan and apply's summary are the same words either way.

The command runs on a pseudo-terminal (`pty.openpty`, as a person runs it) against `t2t sandbox
serve`. "Within two seconds of starting" is timed from the moment the command is handed to an
interpreter that has already imported t2t (tests/e2e/forked_cli.py's server, which forks a
child per command line): the interpreter's own start and imports (about a second on an idle
machine, several when others share its two cores) are not the command's work, and a loaded
machine would otherwise fail the test for the wrong reason.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.helpers import ROOT

QUICKSTART = str(ROOT / "specs" / "quickstart.yaml")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: A drawn progress row: its bar, `done/total unit`, and an estimate (not `ETA …`).
BAR_WITH_ETA = re.compile(r"━{10,}.* \d[\d,]*/[\d,]+ \w+.* ETA \d+:\d\d:\d\d")
BAR = re.compile(r"━{10,}")
COLUMNS = 120
#: Written on the terminal after the command has ended, to know when all it wrote was read.
END = "\x00t2t-test-end\x00"


@dataclass
class Screen:
    """What a command wrote on the terminal, and when each piece came (seconds since the
    command was handed over)."""

    returncode: int
    pieces: list[tuple[float, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p for _, p in self.pieces)

    def first(self, pattern: re.Pattern[str]) -> float | None:
        """When a line matching `pattern` was first on the screen (lines are redrawn after a
        carriage return, so each piece is read up to its line breaks and returns)."""
        seen = ""
        for at, piece in self.pieces:
            seen += piece
            if any(pattern.search(line) for line in re.split(r"[\r\n]", ANSI.sub("", seen))):
                return at
        return None

    def final_lines(self) -> list[str]:
        """The screen as it stays when the command is over (`settle`)."""
        return settle(self.text)


#: The controls rich's live display writes (rich/control.py): SGR colours and cursor
#: visibility (no effect on the text), erase the line, cursor up.
CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def settle(written: str) -> list[str]:
    """The lines a terminal shows after `written`: carriage returns, line feeds, erase-line
    (ESC[2K) and cursor-up (ESC[nA) applied; any other control fails the test rather than
    being guessed at."""
    rows: list[list[str]] = [[]]
    row = col = 0
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", written):
        control = CONTROL.fullmatch(token)
        if control:
            args, code = control.groups()
            if code == "A":
                row = max(0, row - int(args or 1))
            elif code == "K" and args == "2":
                rows[row] = []
            elif code not in "mhl":
                raise AssertionError(f"an unexpected control on the terminal: {token!r}")
        elif token == "\r":
            col = 0
        elif token == "\n":
            row += 1
            if row == len(rows):
                rows.append([])
        else:
            line = rows[row]
            line.extend(" " * (col - len(line)))
            line[col : col + len(token)] = list(token)
            col += len(token)
    return ["".join(line).rstrip() for line in rows]


def on_terminal(*args: str, env: dict[str, str], stderr_tty: bool = True) -> Screen:
    """`t2t ARGS` with stdout (and stderr, unless told) on a terminal COLUMNS wide, run by a
    pre-imported interpreter (forked_cli.py as a server: one JSON request per line)."""
    main, child = pty.openpty()
    tty = os.ttyname(child)
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "e2e" / "forked_cli.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        assert server.stdout.readline() == "ready\n"
        base = {k: v for k, v in os.environ.items() if not k.startswith("T2T_")}
        for name in ("NO_COLOR", "FORCE_COLOR"):
            base.pop(name, None)
        request: dict[str, Any] = {
            "args": list(args),
            "env": {**base, "COLUMNS": str(COLUMNS), "LINES": "40", "TERM": "xterm", **env},
            "stdout": tty,
            "stderr": tty if stderr_tty else os.devnull,
        }
        started = time.monotonic()
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        screen = Screen(returncode=-1)
        answer = ""
        while not answer:
            ready, _, _ = select.select([main, server.stdout], [], [], 120)
            assert ready, "the command took longer than two minutes"
            if main in ready:
                screen.pieces.append((time.monotonic() - started, _read(main)))
            if server.stdout in ready:
                answer = server.stdout.readline()
        # What the command wrote before it ended may still be on its way through the terminal
        # (Linux hands a pty's output to the reading side from a work queue, later under load):
        # a mark written after it on the same terminal arrives after all of it.
        os.write(child, END.encode())
        while not screen.text.endswith(END):
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, "the terminal's last output did not arrive within a minute"
            screen.pieces.append((time.monotonic() - started, _read(main)))
        extra = len(END)  # the mark may have come in two reads
        while extra:
            at, last = screen.pieces.pop()
            kept = last[: max(0, len(last) - extra)]
            extra -= len(last) - len(kept)
            if kept:
                screen.pieces.append((at, kept))
        screen.returncode = json.loads(answer)["returncode"]
        return screen
    finally:
        server.stdin.close()
        server.wait(timeout=10)
        os.close(main)
        os.close(child)


def _read(fd: int) -> str:
    return os.read(fd, 65536).decode(errors="replace")


def test_plan_shows_bars_with_an_eta_within_two_seconds_and_leaves_none(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, _ = served
    env = {"T2T_SANDBOX": str(state)}
    screen = on_terminal("plan", QUICKSTART, env=env)
    assert screen.returncode == 0, screen.text[-3000:]
    at = screen.first(BAR_WITH_ETA)
    assert at is not None, screen.text[-3000:]
    reading = screen.first(re.compile(r"^reading the source"))
    assert at <= 2.0, (
        f"first bar with an ETA after {at:.2f} s (the first bar after {reading} s; "
        f"load average {os.getloadavg()})"
    )
    assert screen.first(re.compile(r"^reading the source\s+━+ +\d+/\d+ parts")) is not None
    # Transient: what stays on the screen is the plan, the bars are gone.
    lines = [line for line in screen.final_lines() if line.strip()]
    assert not any(BAR.search(line) for line in lines), lines
    assert lines[0].startswith("t2t plan: quickstart  (source Contoso")
    assert lines[-1].startswith("Plan: ")

    quiet = on_terminal("plan", QUICKSTART, "--no-progress", env=env)
    assert quiet.returncode == 0
    assert not BAR.search(quiet.text)
    plain = [line for line in quiet.final_lines() if line.strip()]
    assert [ANSI.sub("", line).split() for line in lines] == [line.split() for line in plain]

    by_variable = on_terminal("plan", QUICKSTART, env={**env, "T2T_NO_PROGRESS": "1"})
    assert by_variable.returncode == 0 and not BAR.search(by_variable.text)

    no_tty = on_terminal("plan", QUICKSTART, env=env, stderr_tty=False)
    assert no_tty.returncode == 0 and not BAR.search(no_tty.text)
    assert [line for line in no_tty.final_lines() if line.strip()] == plain


def test_apply_shows_reading_then_applying_per_kind_and_every_line_stays(
    served: tuple[Path, dict[str, Any]],
) -> None:
    """Apply's result lines and its log lines (`--log-level info`: one per action), printed
    while the bars are drawn, all stay on the screen above them (coloured), and the summary is
    the last line, as without bars."""
    state, _ = served
    screen = on_terminal(
        "apply",
        QUICKSTART,
        "--auto-approve",
        "--log-level",
        "info",
        env={"T2T_SANDBOX": str(state)},
    )
    assert screen.returncode in (0, 3), screen.text[-3000:]  # 3: the batch waits on a check
    at = screen.first(BAR_WITH_ETA)
    assert at is not None and at <= 2.0, (at, screen.text[-3000:])
    applying = screen.first(re.compile(r"^applying\s+━+ +\d+/28 actions"))
    per_kind = screen.first(re.compile(r"^mailuser\.create\s+━+ +\d+/5 actions"))
    assert applying is not None and per_kind is not None, screen.text[-3000:]
    lines = [line for line in screen.final_lines() if line.strip()]
    assert not any(BAR.search(line) for line in lines)
    summary = re.fullmatch(r"Apply (?:complete|incomplete): (\d+) done, 0 noop, .*", lines[-1])
    assert summary is not None, lines[-5:]
    assert sum(line.startswith("  ✓ ") for line in lines) == int(summary[1])
    assert sum("apply.action" in line for line in lines) == 28  # every action's log line
    assert "\x1b[32m  ✓ " in screen.text  # still coloured
