"""Global options (issue 15): before or after the command, from T2T_LOG_FORMAT / T2T_LOG_LEVEL,
the option winning over the variable, a bad value a usage error naming the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from t2t.cli import app
from t2t.cli.root import RootGroup, hoist_options

SPEC = str(Path(__file__).resolve().parents[2] / "specs" / "quickstart.yaml")
GLOBAL = {"--log-format": True, "--log-level": True, "--version": False}


@pytest.mark.parametrize(
    ("args", "hoisted"),
    [
        (["plan", "s.yaml", "--log-level", "debug"], ["--log-level", "debug", "plan", "s.yaml"]),
        (["plan", "--log-level=debug", "s.yaml"], ["--log-level=debug", "plan", "s.yaml"]),
        (
            ["--log-format", "json", "plan", "s.yaml", "--log-level", "info", "--out", "p.json"],
            ["--log-format", "json", "--log-level", "info", "plan", "s.yaml", "--out", "p.json"],
        ),
        (["sandbox", "serve", "--version"], ["--version", "sandbox", "serve"]),
        # nothing after `--` moves, and the command name itself never does
        (["plan", "--", "--log-level", "x"], ["plan", "--", "--log-level", "x"]),
        (["--log-level", "debug"], ["--log-level", "debug"]),
    ],
)
def test_hoist_moves_global_options_before_the_command(args: list[str], hoisted: list[str]) -> None:
    assert hoist_options(args, GLOBAL) == hoisted


def test_a_global_option_written_last_without_its_value_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["validate", SPEC, "--log-level"])
    assert result.exit_code == 2
    assert "Option '--log-level' requires an argument." in result.output


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, command in getattr(group, "commands", {}).items():
        out[f"{prefix}{name}"] = command
        out.update(_commands(command, f"{prefix}{name} "))
    return out


def test_no_command_has_an_option_spelled_like_a_global_one() -> None:
    """Moving a global option from after the command to before it must never take an option
    away from the command that wrote it."""
    root = typer.main.get_command(app)
    assert isinstance(root, RootGroup)
    spellings = set(root.global_options())
    assert {"--log-format", "--log-level", "--version"} <= spellings
    commands = _commands(root)
    assert {"plan", "apply", "validate", "sandbox serve"} <= set(commands)
    for name, command in commands.items():
        for param in command.params:
            clash = set(param.opts) & spellings
            assert not clash, f"t2t {name} defines {clash}"


@pytest.fixture
def logging_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "t2t.cli.root.configure_logging",
        lambda fmt, level, **_: calls.append((fmt, level)),  # the stream: the CLI's stderr
    )
    for name in ("T2T_LOG_FORMAT", "T2T_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    return calls


@pytest.mark.parametrize(
    ("args", "env", "configured"),
    [
        (["validate", SPEC], {}, ("console", "warning")),
        (["validate", SPEC, "--log-level", "debug"], {}, ("console", "debug")),
        (["--log-level", "debug", "validate", SPEC], {}, ("console", "debug")),
        (["validate", "--log-format", "json", SPEC, "--log-level", "ERROR"], {}, ("json", "error")),
        (["validate", SPEC], {"T2T_LOG_FORMAT": "json", "T2T_LOG_LEVEL": "info"}, ("json", "info")),
        (
            ["validate", SPEC, "--log-format", "console", "--log-level", "error"],
            {"T2T_LOG_FORMAT": "json", "T2T_LOG_LEVEL": "debug"},
            ("console", "error"),
        ),
    ],
)
def test_logging_is_configured_from_options_anywhere_then_variables(
    logging_calls: list[tuple[str, str]],
    args: list[str],
    env: dict[str, str],
    configured: tuple[str, str],
) -> None:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert logging_calls == [configured]


@pytest.mark.parametrize(
    ("env", "named"),
    [({"T2T_LOG_LEVEL": "loud"}, "T2T_LOG_LEVEL"), ({"T2T_LOG_FORMAT": "xml"}, "T2T_LOG_FORMAT")],
)
def test_a_bad_variable_is_a_usage_error_naming_it(
    logging_calls: list[tuple[str, str]], env: dict[str, str], named: str
) -> None:
    result = CliRunner().invoke(app, ["validate", SPEC], env=env)
    assert result.exit_code == 2
    assert named in result.output
    assert repr(next(iter(env.values()))) in result.output
    assert logging_calls == []
