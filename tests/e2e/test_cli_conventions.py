"""The conventions an administrator expects of any CLI (issue 15, "A CLI that behaves"), run as
a user runs them: `--version`, shell completion, global options anywhere, their environment
variables, colour only on a terminal."""

from __future__ import annotations

import importlib.metadata
import os
import pty
import re
import subprocess
from pathlib import Path

import t2t as package
from t2t.cli.app import EXIT_USAGE
from tests.e2e.helpers import ROOT, T2T, t2t_cli


def cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("T2T_", "_T2T_"))}
    return t2t_cli(*args, env={**base, **(env or {})}, cwd=cwd)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(*args: str, columns: int, env: dict[str, str] | None = None) -> str:
    """What `t2t ARGS` writes on a terminal `columns` wide (a pty, as a person runs it); without
    the progress bars, which a terminal redraws in place (tests/e2e/test_progress_bars.py)."""
    main, child = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith("T2T_")}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        base.pop(name, None)
    proc = subprocess.Popen(
        [*T2T, *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env={
            **base,
            "COLUMNS": str(columns),
            "TERM": "xterm",
            "T2T_NO_PROGRESS": "1",
            **(env or {}),
        },
        cwd=ROOT,
    )
    os.close(child)
    screen = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    assert proc.wait(timeout=120) == 0, screen.decode(errors="replace")[-2000:]
    os.close(main)
    return screen.decode().replace("\r\n", "\n")


def test_version_prints_the_package_version_and_exits_0() -> None:
    out = cli("--version")
    assert (out.returncode, out.stdout, out.stderr) == (
        0,
        f"t2t {importlib.metadata.version('t2t')}\n",
        "",
    )
    assert package.__version__ == importlib.metadata.version("t2t")


def test_show_completion_writes_a_script_that_completes_t2t() -> None:
    # The shell named, not detected: typer finds the shell among t2t's parent processes, and
    # a runner that starts the suite detached has none (then `bash` would be read as a command).
    out = cli(
        "--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert out.returncode == 0, out.stderr
    assert "complete -o default -F _t2t_completion t2t" in out.stdout
    assert "_T2T_COMPLETE=complete_bash" in out.stdout


def test_completion_answers_commands_subcommands_and_options(tmp_path: Path) -> None:
    """What the installed script asks: the shell's words in, the candidates out."""

    def complete(words: str, cword: int) -> list[str]:
        env = {"_T2T_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        out = cli(env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert complete("t2t pl", 1) == ["plan"]
    assert "serve" in complete("t2t sandbox ", 2)
    assert complete("t2t plan spec.yaml --detailed", 3) == ["--detailed-exitcode"]


def test_global_options_after_the_command_and_from_the_environment(tmp_path: Path) -> None:
    """`t2t plan SPEC --log-format json --log-level debug` logs as the same options before
    `plan` do; T2T_LOG_FORMAT / T2T_LOG_LEVEL do too, and an option wins over its variable."""
    spec = str(ROOT / "specs" / "quickstart.yaml")
    box = str(tmp_path / "sb")
    after = cli("plan", spec, "--sandbox", box, "--log-format", "json", "--log-level", "debug")
    assert after.returncode == 0, after.stderr[-2000:]
    logged = [line for line in after.stderr.splitlines() if line.startswith("{")]
    assert any('"level": "debug"' in line for line in logged), after.stderr[-2000:]
    env = {"T2T_LOG_FORMAT": "json", "T2T_LOG_LEVEL": "debug"}
    from_env = cli("plan", spec, "--sandbox", box, env=env)
    assert from_env.returncode == 0, from_env.stderr[-2000:]
    assert any(line.startswith("{") for line in from_env.stderr.splitlines())
    overridden = cli("plan", spec, "--sandbox", box, "--log-level", "error", env=env)
    assert overridden.returncode == 0, overridden.stderr[-2000:]
    assert '"level": "debug"' not in overridden.stderr
    bad = cli("plan", spec, "--sandbox", box, env={"T2T_LOG_LEVEL": "loud"})
    assert bad.returncode == EXIT_USAGE  # a usage error, never 2 ("changes pending")
    assert "T2T_LOG_LEVEL" in bad.stderr and "'loud'" in bad.stderr


def fits(line: str, columns: int) -> bool:
    """Within the width, or a single word longer than it (a URL, never cut)."""
    return len(line) <= columns or len(line.split()) == 1


def test_plan_is_coloured_and_wrapped_on_a_terminal_and_plain_elsewhere(tmp_path: Path) -> None:
    spec = str(ROOT / "specs" / "quickstart.yaml")
    box = str(tmp_path / "sb")
    piped = cli("plan", spec, "--sandbox", box)
    assert piped.returncode == 0, piped.stderr[-2000:]
    assert "\x1b[" not in piped.stdout
    assert piped.stdout.startswith(  # each organization's DisplayName beside its tenant id
        "t2t plan: quickstart  (source Contoso (6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20) -> "
        "target Fabrikam (9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60))\n"
    )
    assert max(len(line) for line in piped.stdout.splitlines()) > 70  # not wrapped
    coloured = on_terminal("plan", spec, "--sandbox", box, columns=70)
    assert "\x1b[32m" in coloured  # `+` create in green
    assert all(fits(ANSI.sub("", line), 70) for line in coloured.splitlines())
    assert ANSI.sub("", coloured).split() == piped.stdout.split()  # the same words
    for how in (("--no-color",), ("plan",)):
        env = {"NO_COLOR": "1"} if how == ("plan",) else {}
        args = ("plan", spec, "--sandbox", box, *(a for a in how if a != "plan"))
        plain = on_terminal(*args, columns=70, env=env)
        assert "\x1b[3" not in plain and "\x1b[1m" not in plain, how
        assert all(fits(ANSI.sub("", line), 70) for line in plain.splitlines())
