"""Probe benchmark: requests, wall time and client peak memory at 1,000 / 10,000 / 50,000
mailboxes per tenant (source mailboxes and as many target mail users), against
`t2t sandbox serve` in its own process.

    .venv/bin/python tests/bench/bench_probe.py [N ...]

Writes tests/bench/results/probe.json. Each size runs in a fresh process, so its peak RSS
(client only; the sandbox is another process) is its own. "minimum" is Σ over the
collections read of
ceil(items ÷ page size) (1,000 for InvokeCommand, 999 for Graph /users, one page for the
small ones) plus the per-object reads the probes justify (one per scope group; one
Get-MailboxStatistics and one Get-MailboxPermission per mailbox a decision needs, the mailbox
usage report's two requests: t2t/probes/cost.py); the ratio requests ÷ minimum must stay
≤ 1.1 (issue 6).

Wall time depends on what else the machine runs; ``clientCpuSeconds`` and
``sandboxCpuSeconds`` (each process's user + system CPU time during the reads) do not.

The request is `t2t plan`'s for a spec naming every generated mailbox (`probe_request` of
tests/e2e/apply_order.py `write_spec`: waves of 2,000 in phase prepare, the first ``DUE`` in a
wave of their own in phase sync, whose batch is about to be created), with every part read as
`t2t show` reads them (issue 14: a benchmark naming none hides the per-mailbox reads). So the
due wave's sizes are read fresh (the rest come from Graph's mailbox usage report) and its
mailboxes' permissions one Get-MailboxPermission each (the later waves' are not read: `t2t plan
--report` would). Requests by kind are the sandbox's byOperation and byCmdlet counters.
tests/bench/bench_plan_cli.py times the whole `t2t plan SPEC` on the same seed and spec.
"""

from __future__ import annotations

import json
import os
import resource
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
from t2t.cli.app import probe_request
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.logs import configure_logging
from t2t.probes import SOURCE_PARTS, TARGET_PARTS, ProbeRequest, read_snapshot
from t2t.probes.cost import minimum_requests
from t2t.spec import load_spec
from t2t.state import Snapshot
from tests.bench.results_file import write_results
from tests.e2e.apply_order import APP_ID, served, write_seed, write_spec
from tests.real_clients import identity_of

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "bench" / "results" / "probe.json"
#: Mailboxes of the due wave (phase sync, no batch yet): their sizes and permissions are read
#: one call each.
DUE = 100


def cpu_seconds(sandbox_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by this process and by the sandbox's: unlike the wall time,
    they do not grow with the load others put on a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    fields = Path(f"/proc/{sandbox_pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return own.ru_utime + own.ru_stime, (int(fields[11]) + int(fields[12])) / ticks


def sandbox_get(profile: dict[str, Any], path: str, method: str = "GET") -> Any:
    ctx = ssl.create_default_context(cafile=profile["caFile"])
    req = urllib.request.Request(profile["baseUrl"] + path, method=method)
    with urllib.request.urlopen(req, context=ctx) as response:
        body = response.read()
    return json.loads(body) if body else None


def seed_and_spec(folder: Path, n: int) -> tuple[Path, Path]:
    """The seed (N mailboxes, N target mail users) and the spec naming all N, in `folder`: the
    lists in CSV files beside it, as an administrator keeps 50,000 addresses (the README's
    advice: this spec at 10,000 loaded in 4.1 s with its 20,000 addresses inline in the YAML,
    0.9 s with them in CSV, on the shared 2-core machine) — identities in the
    SourceEmail,TargetEmail form, each wave in Microsoft's batch CSV (EmailAddress: target
    addresses)."""
    seed, spec = folder / "seed.yaml", folder / "spec.yaml"
    write_seed(seed, n, target_mail_users=True)
    write_spec(spec, n, due=DUE)
    doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    (rule,) = doc["identities"]["rewrite"]

    def target(source: str) -> str:
        return source.replace(f"@{rule['from']}", f"@{rule['to']}")

    ids = doc["identities"]
    rows = "".join(f"{a},{target(a)}\n" for a in ids["mailboxes"])
    (folder / "mailboxes.csv").write_text("SourceEmail,TargetEmail\n" + rows, encoding="utf-8")
    ids["mailboxes"] = [{"csv": "mailboxes.csv"}]
    for wave in doc["batches"]:
        name = f"{wave['name']}.csv"
        rows = "".join(f"{target(a)}\n" for a in wave["mailboxes"])
        (folder / name).write_text("EmailAddress\n" + rows, encoding="utf-8")
        wave["mailboxes"] = {"csv": name}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return seed, spec


async def read_both(profile: dict[str, Any], request: ProbeRequest) -> tuple[Snapshot, int]:
    """Both tenants read with `request` as the sandbox's admin apps; the requests sent."""
    hosts = sandbox_hosts(profile)
    tenants = {t["name"]: t for t in profile["tenants"]}

    async with HttpLayer(ca_file=hosts.ca_file) as http:
        src = connect(http, hosts, identity_of(tenants["contoso"]))
        tgt = connect(http, hosts, identity_of(tenants["fabrikam"]))
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
        seed, spec = seed_and_spec(Path(tmp), n)
        started = time.monotonic()
        with served(Path(tmp) / "state", seed) as profile:
            seed_seconds = time.monotonic() - started
            sandbox_get(profile, "/_sandbox/stats", "DELETE")
            request = probe_request(load_spec(spec), SOURCE_PARTS, TARGET_PARTS)
            cpu = cpu_seconds(profile["pid"])
            t0 = time.perf_counter()
            # asyncio.run, its result unformatted
            snap, sent = event_loop.run(read_both(profile, request))
            wall = time.perf_counter() - t0
            after = cpu_seconds(profile["pid"])
            client_cpu, sandbox_cpu = after[0] - cpu[0], after[1] - cpu[1]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            stats = sandbox_get(profile, "/_sandbox/stats")
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
        "mailboxesNamed": len(request.source_mailboxes),
        "waveMailboxes": len(request.wave_mailboxes),
        "dueMailboxes": len(request.due_mailboxes or ()),
        "loadAverage": os.getloadavg(),
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
    write_results(
        OUT,
        "read_snapshot of both tenants (all parts), with t2t plan's request for a spec naming "
        "every mailbox in a wave",
        results,
    )


if __name__ == "__main__":
    main()
