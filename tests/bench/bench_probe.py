"""Probe benchmark: requests, wall time and client peak memory at 1,000 / 10,000 / 50,000
mailboxes per tenant (source mailboxes and as many target mail users), against
`t2t sandbox serve` in its own process.

    .venv/bin/python tests/bench/bench_probe.py [N ...]

Writes tests/bench/results/probe.json. Each size runs in a fresh process, so its peak RSS
(client only; the sandbox is another process) is its own. "minimum" is Σ over the
collections read of
ceil(items ÷ page size) (1,000 for InvokeCommand, 999 for Graph /users, one page for the
small ones) plus the per-object reads the probes justify (one per scope group; one
Get-MailboxStatistics per mailbox read one at a time, and the mailbox usage report's two
requests: t2t/probes/cost.py); the ratio requests ÷ minimum must stay ≤ 1.1 (issue 6).

Wall time depends on what else the machine runs; ``clientCpuSeconds`` and
``sandboxCpuSeconds`` (each process's user + system CPU time during the reads) do not.

The request names every generated mailbox, as a spec of the whole merger does (issue 14: a
benchmark naming none hides the per-mailbox reads), with ``DUE`` of them in a wave whose batch
is about to be created (their sizes are read fresh; the rest come from Graph's mailbox usage
report). Requests by kind are the sandbox's byOperation and byCmdlet counters.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from t2t.cli import event_loop
from t2t.clients import HttpLayer, TenantIdentity, connect, sandbox_hosts
from t2t.clients.auth import ClientSecret
from t2t.logs import configure_logging
from t2t.probes import SOURCE_PARTS, TARGET_PARTS, ProbeRequest, read_snapshot
from t2t.probes.cost import minimum_requests
from t2t.sandbox.generate import generate_seed_data
from t2t.state import Snapshot
from tests.e2e.helpers import interruptible

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "bench" / "results" / "probe.json"
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
#: Mailboxes of a due wave (phase sync, no batch yet): read with Get-MailboxStatistics.
DUE = 100


def _serve(state: Path, seed: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "t2t",
            "sandbox",
            "serve",
            "--state",
            str(state),
            "--seed",
            str(seed),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=interruptible,  # stopped with Ctrl-C
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            profile = json.loads((state / "profile.json").read_text())
            if profile.get("pid") == proc.pid:
                return proc, profile
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("sandbox did not start")


def _cpu_seconds(sandbox_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by this process and by the sandbox's: unlike the wall time,
    they do not grow with the load others put on a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    fields = Path(f"/proc/{sandbox_pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return own.ru_utime + own.ru_stime, (int(fields[11]) + int(fields[12])) / ticks


def _get(profile: dict[str, Any], path: str, method: str = "GET") -> Any:
    ctx = ssl.create_default_context(cafile=profile["caFile"])
    req = urllib.request.Request(profile["baseUrl"] + path, method=method)
    with urllib.request.urlopen(req, context=ctx) as response:
        body = response.read()
    return json.loads(body) if body else None


async def _probe(profile: dict[str, Any], n: int) -> tuple[Snapshot, int]:
    hosts = sandbox_hosts(profile)
    tenants = {t["name"]: t for t in profile["tenants"]}

    def ident(name: str) -> TenantIdentity:
        t = tenants[name]
        return TenantIdentity(
            t["tenantId"], t["adminApp"]["clientId"], ClientSecret(t["adminApp"]["clientSecret"])
        )

    request = ProbeRequest(
        source_tenant_id=tenants["contoso"]["tenantId"],
        target_tenant_id=tenants["fabrikam"]["tenantId"],
        source_parts=SOURCE_PARTS,
        target_parts=TARGET_PARTS,
        app_id=APP_ID,
        scope_groups=("t2tmigrationscope",),
        source_mailboxes=tuple(f"user{i:05d}@contoso.com" for i in range(1, n + 1)),
        due_mailboxes=tuple(
            (f"user{i:05d}@contoso.com", f"user{i:05d}@fabrikam.com") for i in range(1, DUE + 1)
        ),
    )
    async with HttpLayer(ca_file=hosts.ca_file) as http:
        src, tgt = connect(http, hosts, ident("contoso")), connect(http, hosts, ident("fabrikam"))
        try:
            snap = await read_snapshot(
                request, (src.exchange, src.graph), (tgt.exchange, tgt.graph)
            )
        finally:
            src.tokens.close()
            tgt.tokens.close()
        return snap, http.counter.total


def run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.yaml"
        seed.write_text(
            yaml.dump(
                generate_seed_data(n, target_mail_users=True),
                Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                sort_keys=False,
            ),
            encoding="utf-8",
        )
        started = time.monotonic()
        proc, profile = _serve(Path(tmp) / "state", seed)
        seed_seconds = time.monotonic() - started
        try:
            _get(profile, "/_sandbox/stats", "DELETE")
            cpu = _cpu_seconds(proc.pid)
            t0 = time.perf_counter()
            snap, sent = event_loop.run(_probe(profile, n))  # asyncio.run, result unformatted
            wall = time.perf_counter() - t0
            after = _cpu_seconds(proc.pid)
            client_cpu, sandbox_cpu = after[0] - cpu[0], after[1] - cpu[1]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            stats = _get(profile, "/_sandbox/stats")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    api = stats["byService"].get("exchange", 0) + stats["byService"].get("graph", 0)
    minimum = minimum_requests(snap, APP_ID)
    return {
        "mailboxes": n,
        "sourceMailboxesRead": len(snap.source.recipients.get()),  # type: ignore[union-attr]
        "apiRequests": api,
        "tokenRequests": stats["byService"].get("identity", 0),
        "minimum": minimum,
        "ratio": round(api / minimum, 3),
        "writes": stats["writes"],
        "unknownParts": len(snap.unknowns()),
        "clientSentIncludingRetries": sent,
        "wallSeconds": round(wall, 3),
        "clientCpuSeconds": round(client_cpu, 2),
        "sandboxCpuSeconds": round(sandbox_cpu, 2),
        "clientPeakRssMiB": round(peak / 2**20, 1),
        "sandboxStartSeconds": round(seed_seconds, 1),
        "mailboxesNamed": n,
        "dueMailboxes": DUE,
        "byKind": {
            **{f"exchange {k}": v for k, v in sorted(stats.get("byCmdlet", {}).items())},
            **{f"graph {k}": v for k, v in sorted(stats.get("byOperation", {}).items())},
        },
    }


def main() -> None:
    configure_logging("console", "warning")
    if sys.argv[1:2] == ["--one"]:  # one size in a fresh process: its peak RSS is its own
        print(json.dumps(run(int(sys.argv[2]))), flush=True)
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000, 50000]
    results = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        results.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "benchmark": "read_snapshot of both tenants (all parts), naming every mailbox",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
