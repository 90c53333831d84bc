"""Sandbox store benchmark (issue 14, "a sandbox that keeps up"): what one write request costs,
how long `t2t sandbox serve` takes to start and stop, and its peak memory, at 1,000 and
50,000 mailboxes per tenant.

    .venv/bin/python tests/bench/bench_sandbox_store.py --label after [--sizes 1000 50000]

For each size: `t2t sandbox generate N --target-mail-users` writes the seed (N Contoso mailboxes
and N Fabrikam mail users); `t2t sandbox serve --seed` starts on a fresh state directory (first
start: the seed read and the tenants built) and is timed until its profile names its process;
then one write of each surface is sent WRITES times, each timed alone from the client as an
admin's script sends it (an msal token fetched once, one keep-alive httpx connection):

- Graph ``PATCH /v1.0/users/{upn}`` with ``usageLocation`` (a Contoso mailbox's user);
- InvokeCommand ``Set-MailUser -Identity {upn} -ExchangeGuid {guid}`` (a Fabrikam mail user),
  the stamp t2t's apply sends;
- InvokeCommand ``New-MailUser`` of a new Fabrikam mail user (-Name, -MicrosoftOnlineServicesID,
  -Password, -PrimarySmtpAddress, -ExternalEmailAddress), as t2t's apply creates one: the
  sandbox checks the name, the UPN and the address are free (issue 14: each was a scan).

Then Ctrl-C (SIGINT) stops the sandbox (timed until the process exits), it starts again on the
state it left (the restart, timed the same way), answers one more write, and is killed with
SIGKILL mid-run to check the write survives a restart (``survivesKill``). Peak memory is the
sandbox process's VmHWM (/proc/PID/status) just before it is stopped. Nothing of t2t is patched:
everything goes over HTTPS to the real CLI in its own process.

Writes tests/bench/results/sandbox_store.json: the runs by label (``--label before`` was run on
the whole-file store, ``after`` on the journal), each with the figures per size. Benchmarks are
figures in a file, never timed assertions (DESIGN.md "Tests").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.clients import wire  # noqa: E402
from tests.e2e.helpers import EXCHANGE_SCOPE, GRAPH_SCOPE, T2T, interruptible, token  # noqa: E402

OUT = ROOT / "tests" / "bench" / "results" / "sandbox_store.json"
WRITES = 30
START_TIMEOUT = 1800.0


def _start(state: Path, seed: Path | None) -> tuple[subprocess.Popen[bytes], dict[str, Any], float]:
    """`t2t sandbox serve` and the seconds until its profile names this process."""
    if (state / "profile.json").exists():
        (state / "profile.json").unlink()  # the last run's profile names another process
    args = [*T2T, "sandbox", "serve", "--state", str(state)]
    if seed is not None:
        args += ["--seed", str(seed)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        preexec_fn=interruptible,
    )  # fmt: skip
    profile: dict[str, Any] = {}
    while profile.get("pid") != proc.pid:
        if proc.poll() is not None or time.perf_counter() - started > START_TIMEOUT:
            proc.kill()
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.05)
        try:
            profile = json.loads((state / "profile.json").read_text())
        except (OSError, ValueError):
            profile = {}
    return proc, profile, time.perf_counter() - started


def _stop(proc: subprocess.Popen[bytes]) -> float:
    """Ctrl-C, and the seconds until the process has exited."""
    started = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=600)
    return time.perf_counter() - started


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM")


def _tenant(profile: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in profile["tenants"] if t["name"] == name)


class Writer:
    """One admin script's connection: tokens fetched once, then timed single writes."""

    def __init__(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        self.http = httpx.Client(
            verify=ssl.create_default_context(cafile=profile["caFile"]), timeout=600
        )
        self.graph_token = token(profile, "contoso", GRAPH_SCOPE)
        self.exchange_token = token(profile, "fabrikam", EXCHANGE_SCOPE)
        self._module_key: Any = None

    def graph_patch(self, i: int) -> float:
        started = time.perf_counter()
        r = self.http.patch(
            f"{self.profile['endpoints']['graph']}/users/user{i:05d}@contoso.com",
            json={"usageLocation": "NL" if i % 2 else "DE"},
            headers={"Authorization": f"Bearer {self.graph_token}"},
        )
        elapsed = time.perf_counter() - started
        assert r.status_code == 204, r.text
        return elapsed

    def _invoke(self, cmdlet: str, parameters: dict[str, Any]) -> float:
        tenant = _tenant(self.profile, "fabrikam")
        started = time.perf_counter()
        r = self.http.post(
            f"{self.profile['endpoints']['exchange']}/{tenant['tenantId']}/InvokeCommand",
            json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}},
            headers={"Authorization": f"Bearer {self.exchange_token}"},
        )
        elapsed = time.perf_counter() - started
        assert r.status_code == 200, r.text
        return elapsed

    def set_mail_user(self, i: int, guid: str) -> float:
        return self._invoke(
            "Set-MailUser", {"Identity": f"user{i:05d}@fabrikam.com", "ExchangeGuid": guid}
        )

    def new_mail_user(self, k: int) -> float:
        """A new mail user, its password encrypted with the module's key as the module does."""
        tenant = _tenant(self.profile, "fabrikam")
        if self._module_key is None:
            r = self.http.get(
                f"{self.profile['baseUrl']}/adminapi/v1.0/{tenant['tenantId']}/EXOModuleFile",
                params={"Version": wire.MODULE_VERSION},
                headers={"Authorization": f"Bearer {self.exchange_token}"},
            )
            assert r.status_code == 200, r.text
            self._module_key = wire.public_key_from_module(r.json()["value"][0]["fileContent"])
        name = f"bench{k:05d}"
        password = wire.encrypt(self._module_key, wire.secure_string("Pa55-word-never-logged"))
        return self._invoke(
            "New-MailUser",
            {
                "Name": name,
                "MicrosoftOnlineServicesID": f"{name}@fabrikam.com",
                "Password": password,
                "PrimarySmtpAddress": f"{name}@fabrikam.com",
                "ExternalEmailAddress": f"{name}@contoso.com",
            },
        )

    def exchange_guid(self, i: int) -> str:
        tenant = _tenant(self.profile, "fabrikam")
        r = self.http.post(
            f"{self.profile['endpoints']['exchange']}/{tenant['tenantId']}/InvokeCommand",
            json={
                "CmdletInput": {
                    "CmdletName": "Get-MailUser",
                    "Parameters": {"Identity": f"user{i:05d}@fabrikam.com"},
                }
            },
            headers={"Authorization": f"Bearer {self.exchange_token}"},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["value"][0]["ExchangeGuid"])

    def close(self) -> None:
        self.http.close()


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered) * 1000, 1),
        "p90": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


def _dir_bytes(state: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(state.iterdir()) if p.name.startswith("state")}


def run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed, state = Path(tmp) / "seed.yaml", Path(tmp) / "state"
        subprocess.run(
            [*T2T, "sandbox", "generate", str(n), "--target-mail-users", "--out", str(seed)],
            check=True, cwd=ROOT, capture_output=True,
        )  # fmt: skip
        proc, profile, first_start = _start(state, seed)
        try:
            writer = Writer(profile)
            step = max(1, n // WRITES)
            users = [1 + k * step for k in range(WRITES)]
            graph = [writer.graph_patch(i) for i in users]
            exchange = [writer.set_mail_user(i, str(uuid.uuid4())) for i in users]
            created = [writer.new_mail_user(k) for k in range(WRITES)]
            writer.close()
            peak = _peak_rss_mb(proc.pid)
        finally:
            stop = _stop(proc)
        on_disk_after_stop = _dir_bytes(state)
        proc, profile, restart = _start(state, None)
        try:
            writer = Writer(profile)
            kept = str(uuid.uuid4())
            writer.set_mail_user(users[0], kept)
            writer.close()
            restart_peak = _peak_rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGKILL)  # killed: the acknowledged write must survive
            proc.wait(timeout=60)
        proc, profile, after_kill = _start(state, None)
        try:
            writer = Writer(profile)
            survived = writer.exchange_guid(users[0]) == kept
            writer.close()
        finally:
            _stop(proc)
        return {
            "mailboxesPerTenant": n,
            "firstStartSeconds": round(first_start, 2),
            "graphPatchUserMs": _ms(graph),
            "setMailUserMs": _ms(exchange),
            "newMailUserMs": _ms(created),
            "peakRssMB": peak,
            "stopSeconds": round(stop, 2),
            "stateFilesAfterStop": on_disk_after_stop,
            "restartSeconds": round(restart, 2),
            "restartPeakRssMB": restart_peak,
            "startAfterKillSeconds": round(after_kill, 2),
            "survivesKill": survived,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--label", required=True, help="the run's name in the results file")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 50_000])
    args = parser.parse_args()
    results = [run(n) for n in args.sizes]
    document: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    document.update(
        {
            "benchmark": "sandbox store: write request, start, stop, peak memory",
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "writesPerSurface": WRITES,
        }
    )
    document.setdefault("runs", {})[args.label] = results
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
