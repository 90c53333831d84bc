"""A state directory from an older sandbox, or a damaged one, is refused with instructions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from t2t.sandbox.server import SandboxServer
from t2t.sandbox.state import StateDirError


def _made(tmp_path: Path) -> Path:
    state = tmp_path / "sb"
    SandboxServer(state).start().stop()
    return state


def test_older_state_format_is_refused(tmp_path: Path) -> None:
    state = _made(tmp_path)
    data = json.loads((state / "state.json").read_text())
    data["version"] = 1
    (state / "state.json").write_text(json.dumps(data))
    with pytest.raises(StateDirError, match=r"holds sandbox state format 1.*make clean-sandbox"):
        SandboxServer(state)


def test_damaged_state_is_refused(tmp_path: Path) -> None:
    state = _made(tmp_path)
    (state / "state.json").write_text("{ not json")
    with pytest.raises(StateDirError, match="is unreadable"):
        SandboxServer(state)


def test_current_state_restarts(tmp_path: Path) -> None:
    state = _made(tmp_path)
    SandboxServer(state).start().stop()
