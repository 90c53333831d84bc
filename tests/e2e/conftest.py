"""The `served` fixture: a `t2t sandbox serve` process for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import forked


@pytest.fixture
def sandbox_seed() -> Path | None:
    """The seed `served` starts from: None is the default seed; a test module overrides this
    fixture to start from its own."""
    return None


@pytest.fixture
def served(tmp_path: Path, sandbox_seed: Path | None) -> Iterator[tuple[Path, dict[str, Any]]]:
    """`t2t sandbox serve` in its own process — forked from the worker's pre-imported
    interpreter (tests/e2e/forked_cli.py), with the test's whole environment — stopped with
    Ctrl-C (SIGINT) at the end."""
    state = tmp_path / "sandbox"
    seed = ["--seed", str(sandbox_seed)] if sandbox_seed is not None else []
    output = tmp_path / "sandbox-serve.log"
    cli = forked()
    command = ("sandbox", "serve", "--state", str(state), *seed)
    pid = cli.start(*command, env=dict(os.environ), output=output)
    profile_path = state / "profile.json"
    deadline = time.monotonic() + 30
    profile: dict[str, Any] = {}
    try:
        while time.monotonic() < deadline:
            if profile_path.exists():
                try:
                    profile = json.loads(profile_path.read_text())
                except ValueError:
                    profile = {}
                if profile.get("pid") == pid:
                    break
            if not _alive(pid):
                pytest.fail("sandbox stopped: " + output.read_text(errors="replace"))
            time.sleep(0.05)
        else:
            pytest.fail("sandbox did not start: " + output.read_text(errors="replace"))
        yield state, profile
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGINT)
        cli.reap(pid, timeout=10)


def _alive(pid: int) -> bool:
    """Whether the served sandbox still runs (a zombie, not yet reaped, counts as stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
