"""End-to-end plan benchmark (issue 14): the real `t2t plan SPEC` — the CLI in its own process,
as an administrator runs it — against `t2t sandbox serve` seeded with N mailboxes per tenant.

    .venv/bin/python tests/bench/bench_plan_cli.py [N ...]

The seed and the spec are tests/bench/bench_probe.py's (`seed_and_spec`: N source mailboxes and
N target mail users; a spec naming all N in waves of 2,000 in phase prepare, the first ``DUE``
in a wave of their own in phase sync). For each size, in a fresh sandbox with its counters
reset: `python -m t2t plan SPEC` (T2T_SANDBOX, text output to a file), waited for with
`os.wait4`, whose resource usage is that process's own — its peak RSS (``ru_maxrss``) and CPU
seconds — and the wall time from start to exit (spec loading, sign-in, both tenants' reads,
planning, rendering). Then the sandbox's counters (requests by kind, writes: 0), and the
minimum: the same request t2t plan sends (`probe_request` of the spec) read once more in this
process from the unchanged sandbox, `minimum_requests` of that snapshot (t2t/probes/cost.py).

Writes tests/bench/results/plan_cli.json. Wall time depends on what else the shared machine
runs (``loadAverage`` is recorded at the end of each run); CPU seconds much less.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.cli import event_loop  # noqa: E402
from t2t.cli.app import probe_request  # noqa: E402
from t2t.logs import configure_logging  # noqa: E402
from t2t.probes.cost import minimum_requests  # noqa: E402
from t2t.spec import load_spec  # noqa: E402
from tests.bench.bench_probe import (  # noqa: E402
    DUE,
    cpu_seconds,
    read_both,
    sandbox_get,
    seed_and_spec,
)
from tests.bench.results_file import write_results  # noqa: E402
from tests.e2e.apply_order import APP_ID, served  # noqa: E402
from tests.e2e.helpers import T2T, interruptible  # noqa: E402

OUT = ROOT / "tests" / "bench" / "results" / "plan_cli.json"
#: The plan's count of wave mailboxes whose permissions it did not read (planner/delegates).
NOT_READ = re.compile(r"Note: delegates: the [a-z ]+ permissions of (\d+) wave mailbox")


def _plan(state: Path, spec: Path, out: Path) -> tuple[int, float, Any]:
    """`t2t plan SPEC` to its end: exit code, wall seconds, its own resource usage."""
    env = dict(os.environ, T2T_SANDBOX=str(state))
    with out.open("wb") as sink:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*T2T, "plan", str(spec)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            preexec_fn=interruptible,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return proc.returncode, wall, usage


def run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seed, spec = seed_and_spec(folder, n)
        with served(folder / "state", seed) as profile:
            sandbox_get(profile, "/_sandbox/stats", "DELETE")
            sandbox_cpu = cpu_seconds(profile["pid"])[1]
            code, wall, usage = _plan(folder / "state", spec, folder / "plan.txt")
            sandbox_cpu = cpu_seconds(profile["pid"])[1] - sandbox_cpu
            stats = sandbox_get(profile, "/_sandbox/stats")
            load = os.getloadavg()
            request = probe_request(load_spec(spec))
            snap, _ = event_loop.run(read_both(profile, request))
        output = (folder / "plan.txt").read_text(encoding="utf-8", errors="replace")
    if code not in (0, 2, 3, 6):
        raise SystemExit(f"t2t plan exited {code}:\n{output[-3000:]}")
    api = stats["byService"].get("exchange", 0) + stats["byService"].get("graph", 0)
    minimum = minimum_requests(snap, APP_ID)
    return {
        "mailboxes": n,
        "exitCode": code,
        "apiRequests": api,
        "tokenRequests": stats["byService"].get("identity", 0),
        "minimum": minimum,
        "ratio": round(api / minimum, 3),
        "writes": stats["writes"],
        "unknownParts": len(snap.unknowns()),
        "wallSeconds": round(wall, 2),
        "clientCpuSeconds": round(usage.ru_utime + usage.ru_stime, 2),
        "sandboxCpuSeconds": round(sandbox_cpu, 2),
        "clientPeakRssMiB": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "loadAverage": [round(x, 2) for x in load],
        "waveMailboxes": len(request.wave_mailboxes),
        "dueMailboxes": DUE,
        "outputLines": output.count("\n"),
        "permissionsNotReadFor": [int(x) for x in NOT_READ.findall(" ".join(output.split()))],
        "byKind": {
            **{f"exchange {k}": v for k, v in sorted(stats.get("byCmdlet", {}).items())},
            **{f"graph {k}": v for k, v in sorted(stats.get("byOperation", {}).items())},
        },
    }


def main() -> None:
    configure_logging("console", "warning")
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000, 50000]
    results = []
    for n in sizes:
        row = run(n)
        print(json.dumps(row), flush=True)
        results.append(row)
    write_results(
        OUT,
        "t2t plan SPEC (the CLI, its own process) against t2t sandbox serve, N mailboxes per "
        "tenant, every mailbox in a wave",
        results,
    )


if __name__ == "__main__":
    main()
