"""Apply-order benchmark (issue 11): on an N-mailbox apply (default 2,000) in the sandbox, after
how many New-MailUser calls is the first mailbox fully prepared — created, stamped
(Set-MailUser with its ExchangeGuid), located (usageLocation) and licensed?

    .venv/bin/python tests/bench/bench_apply_order.py [N] [--deadline SECONDS]

Starts `t2t sandbox serve` on the default seed plus N generated Contoso mailboxes
(t2t/sandbox/generate.py), writes a spec declaring all N (specs/quickstart.yaml's tenants,
app and client-secret credential; waves of 2,000 in ``phase: prepare``, so each MailUser also
gets its target-delivery-domain proxy as a real wave is prepared and no migration batch is
created), runs the real `t2t apply SPEC --auto-approve` in a subprocess over HTTPS, and
reconstructs the order of the writes from the sandbox's own records — the InvokeCommand
request log and the Graph write log, numbered from one sequence (tests/e2e/apply_order.py).
Nothing of t2t is patched.

The sandbox keeps its strict default profile (strictness.py): the 10 s secret delay,
replication refusals (two per fresh object and operation within 300 s), Microsoft's
throttling budgets and 120 s licence provisioning. No knob is turned; the only settings
changed are the capacities of the two request logs, so they hold the whole run.

Writes tests/bench/results/apply_order.json: the index (among New-MailUser calls) at which
the first mailbox's chain was complete, for the spec's first mailbox and for the first the
sandbox created; how far behind its own creation each chain completed; the apply's wall
time and exit code; the sandbox's request counters and throttle refusals.

``--deadline SECONDS``: if the apply still runs then, the figures are taken from the sandbox's
records at that moment (the first mailbox's chain is long complete by then) and the apply is
stopped with Ctrl-C (SIGINT: it starts nothing new, lets in-flight writes finish, exits 130);
the result says ``"finished": false`` with the New-MailUser rate so far. Why it exists: the
sandbox, not t2t, bounds a 2,000-mailbox run on a 2-core machine — it writes its whole state
file (about 5 MB at this size) after every write request and runs at one core, creating well
under one MailUser per second (see the README's figures).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.apply.runner import DEFAULT_CONCURRENCY  # noqa: E402
from tests.bench.results_file import write_results  # noqa: E402
from tests.e2e.apply_order import (  # noqa: E402
    control,
    prepare_logs,
    reconstruct,
    served,
    start_apply,
    summary,
    write_seed,
    write_spec,
)

OUT = ROOT / "tests" / "bench" / "results" / "apply_order.json"
#: The runner's Exchange slots per tenant (apply_plan's default).
CONCURRENCY = DEFAULT_CONCURRENCY


def run(n: int, deadline: float | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed, spec, state = Path(tmp) / "seed.yaml", Path(tmp) / "spec.yaml", Path(tmp) / "state"
        write_seed(seed, n)
        write_spec(spec, n)
        started = time.monotonic()
        with served(state, seed) as profile:
            sandbox_start = time.monotonic() - started
            prepare_logs(profile, n)
            t0 = time.perf_counter()
            proc = start_apply(state, spec, Path(tmp) / "apply.out")
            try:
                code: int | None = proc.wait(timeout=deadline)
                finished = True
            except subprocess.TimeoutExpired:
                code, finished = None, False
            wall = time.perf_counter() - t0
            stats = control(profile, "GET", "stats")
            throttle = control(profile, "GET", "throttle")
            order = reconstruct(profile)
            if not finished:
                proc.send_signal(signal.SIGINT)  # t2t's interrupt: in-flight writes finish
                code = proc.wait(timeout=600)
            output = (Path(tmp) / "apply.out").read_text(encoding="utf-8", errors="replace")
    tail = [line for line in output.splitlines() if line.startswith("Apply")]
    if finished and code != 0:
        print(output[-3000:], file=sys.stderr)
    figures = summary(order)
    first = figures["declaredFirst"]["preparedAfterNewMailUsers"]
    k = max(1, n // 20)
    return {
        "mailboxes": n,
        "finished": finished,
        **figures,
        "bound": {
            "newMailUsers": k,
            "rule": "the first mailbox fully prepared before the (5 % of N)-th New-MailUser",
            "met": first is not None and first < k,
        },
        "applyExitCode": code,
        "applySummary": tail[-1] if tail else None,
        "applyWallSeconds": round(wall, 1),
        "newMailUsersPerSecond": round(len(order.creations) / wall, 2),
        "requests": {
            "total": stats["total"],
            "byService": stats["byService"],
            "reads": stats.get("reads"),
            "writes": stats.get("writes"),
            "newMailUser": stats.get("byCmdlet", {}).get("New-MailUser"),
            "setMailUser": stats.get("byCmdlet", {}).get("Set-MailUser"),
        },
        "throttleRefusals": throttle.get("refusals"),
        "sandboxStartSeconds": round(sandbox_start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="apply-order benchmark (issue 11)")
    parser.add_argument("mailboxes", type=int, nargs="?", default=2000)
    parser.add_argument("--deadline", type=float, default=None, metavar="SECONDS")
    args = parser.parse_args()
    row = run(args.mailboxes, args.deadline)
    print(json.dumps(row, indent=2), flush=True)
    write_results(
        OUT,
        "order of a mailbox apply's writes (t2t apply vs t2t sandbox serve)",
        [row],
        runnerConcurrency=CONCURRENCY,
    )


if __name__ == "__main__":
    main()
