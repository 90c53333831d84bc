"""`t2t demo` — the README's main-job command — runs the whole migration (the mailboxes end up
moved), and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.helpers import ROOT


def demo(box: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    return subprocess.run(
        [sys.executable, "-m", "t2t", "demo", "--sandbox", str(box)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_demo_converges_and_is_idempotent(tmp_path: Path) -> None:
    box = tmp_path / "sb"
    first = demo(box)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert "== demo converged:" in first.stdout
    assert "0 failed or skipped, 0 left to run; batches completed: 1" in first.stdout
    assert "batch wave-1: Completed, 5 user(s) (Completed 5)" in first.stdout
    assert "0 steps applied" not in first.stdout
    second = demo(box)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert "== demo converged: 0 steps applied" in second.stdout
    assert "round 2" not in second.stdout  # nothing to run: no clock moves, no rounds
