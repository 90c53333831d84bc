"""The `served` fixture: a `t2t sandbox serve` process for end-to-end tests."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import ROOT, T2T, interruptible


@pytest.fixture
def sandbox_seed() -> Path | None:
    """The seed `served` starts from: None is the default seed; a test module overrides this
    fixture to start from its own."""
    return None


@pytest.fixture
def served(tmp_path: Path, sandbox_seed: Path | None) -> Iterator[tuple[Path, dict[str, Any]]]:
    state = tmp_path / "sandbox"
    seed = ["--seed", str(sandbox_seed)] if sandbox_seed is not None else []
    proc = subprocess.Popen(
        [*T2T, "sandbox", "serve", "--state", str(state), *seed],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        preexec_fn=interruptible,  # stopped with Ctrl-C below
    )
    profile_path = state / "profile.json"
    deadline = time.monotonic() + 30
    profile: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if profile_path.exists():
            try:
                profile = json.loads(profile_path.read_text())
            except ValueError:
                profile = {}
            if profile.get("pid") == proc.pid:
                break
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("sandbox did not start")
    try:
        yield state, profile
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
