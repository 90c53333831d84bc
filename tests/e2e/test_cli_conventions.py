"""The conventions an administrator expects of any CLI (issue 15, "A CLI that behaves"), run as
a user runs them: `--version`, shell completion, global options anywhere, their environment
variables, colour only on a terminal."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
from pathlib import Path

import t2t as package
from tests.e2e.helpers import ROOT, T2T


def cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("T2T_", "_T2T_"))}
    return subprocess.run(
        [*T2T, *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_version_prints_the_package_version_and_exits_0() -> None:
    out = cli("--version")
    assert (out.returncode, out.stdout, out.stderr) == (
        0,
        f"t2t {importlib.metadata.version('t2t')}\n",
        "",
    )
    assert package.__version__ == importlib.metadata.version("t2t")


def test_show_completion_writes_a_script_that_completes_t2t() -> None:
    out = cli("--show-completion", "bash")
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
    assert bad.returncode == 2
    assert "T2T_LOG_LEVEL" in bad.stderr and "'loud'" in bad.stderr
