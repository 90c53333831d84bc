"""A tenant that cannot be reached (issue 15): one line, not a traceback or a page of
unreadable parts after minutes of retries — which tenants, which host, what to check — and
exit 1, the README's code for an error ("unreachable tenant"), for every command that reads
the tenants. The profile points the services at a closed port while the sandbox it names runs,
so t2t uses the profile as it is."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import ROOT, T2T

SPEC = ROOT / "specs" / "quickstart.yaml"
SOURCE, TARGET = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20", "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ("plan",),
        ("show",),
        ("status",),
        ("apply", "--auto-approve", "--no-audit"),
    ],
    ids=lambda c: c[0],
)
def test_a_closed_port_is_one_line_and_exit_1(
    served: tuple[Path, dict[str, Any]], tmp_path: Path, command: tuple[str, ...]
) -> None:
    _, profile = served
    port = _closed_port()
    moved = dict(profile)
    moved["endpoints"] = {
        name: str(url).replace(profile["baseUrl"], f"https://127.0.0.1:{port}")
        for name, url in profile["endpoints"].items()
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "profile.json").write_text(json.dumps(moved), encoding="utf-8")
    started = time.monotonic()
    out = subprocess.run(
        [*T2T, command[0], str(SPEC), "--sandbox", str(elsewhere), *command[1:]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    took = time.monotonic() - started
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stderr == (
        f"error: cannot reach the source tenant {SOURCE} and the target tenant {TARGET}: "
        f"sign-in (Microsoft Entra ID) at 127.0.0.1:{port}: nothing listens there (connection "
        "refused); is the sandbox running? start it with: t2t sandbox serve --state DIR\n"
    )
    assert out.stdout == ""
    assert took < 30  # no retrying for minutes before saying so
