"""Apply at the tenants' throttle limit (issue 14): the real `t2t apply --auto-approve` of N
prepared-from-empty mailboxes against `t2t sandbox serve`, every request delayed 100 ms, and
what the sandbox's own records say about requests per mailbox, budget use and wall time.

    .venv/bin/python tests/bench/bench_apply.py [N] [--scenario throughput|tight|both]
        [--latency-ms 100] [--deadline SECONDS] [--replication-refusals 2]

N defaults to 1,000. The issue's 10,000-mailbox run is
``tests/bench/bench_apply.py 10000 --scenario throughput --deadline 5400``.

Scenarios (each on a fresh sandbox: the default seed plus N generated Contoso mailboxes, the
strict profile — replication refusals, 120 s licensing, Microsoft's budgets —; the spec is
tests/e2e/apply_order.py's: specs/quickstart.yaml's tenants, app and client-secret credential,
waves of 2,000 in ``phase: prepare``, so each mailbox gets its scope-group membership in the
source, its MailUser created and stamped, its usageLocation and its licences in the target):

- ``throughput`` — the sandbox's default budgets (t2t/sandbox/throttle.py: Graph identity
  writes 3,000 per 150 s per app and tenant, i.e. 20/s; InvokeCommand 2,400 per 60 s per
  tenant, 40/s). Not scaled: t2t paces itself to Microsoft's documented budgets
  (t2t/clients/http.py DEFAULT_PACE), so a sandbox budget scaled up would not be used;
- ``tight`` — InvokeCommand 100 per 10 s per tenant (10/s) and Graph 200 identity writes per
  10 s per app and tenant (20/s), set with ``POST /_sandbox/throttle``.

A ``latency`` fault rule (faults.py) delays every request to every Microsoft surface by
``--latency-ms`` (a ``$batch`` once, not per item).

``--replication-refusals N`` sets how many writes naming a just-created object the sandbox
refuses as not replicated yet (``POST /_sandbox/replication``, t2t/sandbox/replication.py;
default the sandbox's own, 2). Microsoft's real windows are "minutes, at times none": a run with
0 shows t2t's own cost above the floor without them. The row records the setting, and rows are
kept per scenario, size and setting.

Figures (tests/bench/results/apply.json, one row per scenario), all from the sandbox's records
— the request counters (``/_sandbox/stats``; ``total - batchItems`` is HTTP requests), the
InvokeCommand request log and the Graph write log (``receivedAt`` per write) — and the apply's
own exit code and summary line:

- ``requestsPerMailbox``: HTTP requests of the whole apply (its plan's reads, sign-in, the org
  setup, every action's reads, writes and verifies; a ``$batch`` counts once) ÷ N, by service;
  Exchange calls by cmdlet and Graph operations (``$batch`` items one by one) per mailbox;
- ``floorPerMailbox``: the requests no client can avoid — every write the sandbox received
  (replication refusals included, since the strict sandbox refuses the first two writes to a
  new object deterministically; also given without them), Graph writes packed 20 to a
  ``$batch``, and the per-mailbox reads t2t/probes/cost.py justifies (Get-MailboxPermission);
- ``graphBudget``: Graph writes of the target's app+tenant key from the first write to a user
  to the last, their rate, and the utilisation = writes ÷ (budget rate × that span); also the
  writes per 10 s;
- ``exchangeBudget``: the same for the target's InvokeCommand calls, from its first
  New-MailUser to its last Set-MailUser;
- ``budgetSeconds``: what the budgets allow, Σ budgeted operations ÷ budget rate, taking the
  slowest key (each tenant's InvokeCommand calls, the target's Graph writes) — once for every
  budgeted operation the run made (``all``) and once for its writes alone (``writes``);
  ``wallVsBudget`` = the apply's wall time ÷ each;
- ``batchFill``: operations per ``$batch`` request;
- ``failedActions``, ``unknownActions``, ``throttleRefusals``, ``earlyRetries``, replication
  refusals, and the CPU seconds the sandbox and the apply used (a 2-core machine: when their
  sum nears the wall time, the machine, not the budget, set the pace).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.sandbox.replication import DEFAULT_REFUSALS  # noqa: E402
from tests.bench.results_file import write_results  # noqa: E402
from tests.e2e.apply_order import (  # noqa: E402
    control,
    prepare_logs,
    served,
    start_apply,
    write_seed,
    write_spec,
)

OUT = ROOT / "tests" / "bench" / "results" / "apply.json"
#: Graph's $batch limit (wire-protocols.md §2.8).
BATCH = 20
TIGHT_BUDGETS = {
    "exchangeTenant": {"limit": 100, "windowSeconds": 10},
    "graphAppTenant": {"limit": 200, "windowSeconds": 10},
}
SCENARIOS: dict[str, dict[str, Any] | None] = {"throughput": None, "tight": TIGHT_BUDGETS}
#: Exchange verbs that only read (t2t/sandbox/stats.py READ_VERBS).
READ_VERBS = ("Get-", "Test-")
#: Graph writes to a user's Entra object (usageLocation, assignLicense).
USER_WRITE = re.compile(r"^/v1\.0/users/[^/]+(/assignLicense)?$")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a running process (/proc/PID/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _at(entry: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(entry["receivedAt"]).timestamp()


def _rate(budget: dict[str, Any]) -> float:
    return float(budget["limit"]) / float(budget["windowSeconds"])


def _counts(summary: str | None) -> dict[str, int]:
    """'Apply complete: 166 done, 0 noop, 0 failed, …' → {done: 166, noop: 0, failed: 0, …}."""
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary or "")}


def _per(n: int, value: float) -> float:
    return round(value / n, 3)


def _graph_budget(writes: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """Utilisation of the target's Graph write budget while writes to users remained."""
    users = [w for w in writes if USER_WRITE.match(w["path"])]
    if not users:
        return {"writes": 0}
    start, end = _at(users[0]), _at(users[-1])
    span = [w for w in writes if start <= _at(w) <= end]
    seconds = max(end - start, 1e-9)
    bins = Counter(int((_at(w) - start) // 10) for w in span)
    return {
        **_budget_use("writes", len(span), seconds, rate),
        "writesPer10s": [bins.get(i, 0) for i in range(max(bins, default=-1) + 1)],
    }


def _budget_use(unit: str, count: int, seconds: float, rate: float) -> dict[str, Any]:
    """``count`` operations in ``seconds`` against a budget of ``rate`` a second."""
    return {
        unit: count,
        "spanSeconds": round(seconds, 1),
        f"{unit}PerSecond": round(count / seconds, 2),
        "budgetPerSecond": rate,
        "utilisation": round(count / (rate * seconds), 3),
    }


def _exchange_budget(entries: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """The target's InvokeCommand calls from its first New-MailUser to its last Set-MailUser,
    against its budget: whether Exchange, not Graph, set the pace."""
    chain = [i for i, e in enumerate(entries) if e["cmdlet"] in ("New-MailUser", "Set-MailUser")]
    if not chain:
        return {"calls": 0}
    span = entries[chain[0] : chain[-1] + 1]
    seconds = max(_at(span[-1]) - _at(span[0]), 1e-9)
    return _budget_use("calls", len(span), seconds, rate)


def _figures(
    n: int,
    stats: dict[str, Any],
    throttle: dict[str, Any],
    exchange_log: list[dict[str, Any]],
    graph_log: list[dict[str, Any]],
    wall: float,
    names: dict[str, str],
) -> dict[str, Any]:
    """``names``: tenant id → name (the request log names a tenant by its path segment)."""
    budgets = throttle["budgets"]
    by_service = stats["byService"]
    graph_http = by_service.get("graph", 0) - stats["batchItems"]
    http = stats["total"] - stats["batchItems"]
    batches = stats["byOperation"].get("POST /$batch", 0)

    calls = Counter(names.get(e["tenant"], e["tenant"]) for e in exchange_log)
    exchange_writes = [e for e in exchange_log if not str(e["cmdlet"]).startswith(READ_VERBS)]
    write_calls = Counter(names.get(e["tenant"], e["tenant"]) for e in exchange_writes)
    exchange_refused = [e for e in exchange_writes if e["status"] == 404]
    target_graph = [w for w in graph_log if w["tenant"] == "fabrikam"]
    graph_refused = [w for w in target_graph if w["status"] == 404]
    per_mailbox_reads = stats["byCmdlet"].get("Get-MailboxPermission", 0)

    ex_rate, graph_rate = _rate(budgets["exchangeTenant"]), _rate(budgets["graphAppTenant"])

    def allowed(exchange: Counter[str], graph: int) -> float:
        return max([graph / graph_rate, *(c / ex_rate for c in exchange.values())])

    budget_all = allowed(calls, len(target_graph))
    budget_writes = allowed(write_calls, len(target_graph))
    floor = len(exchange_writes) + math.ceil(len(graph_log) / BATCH) + per_mailbox_reads
    floor_no_refusals = (
        len(exchange_writes)
        - len(exchange_refused)
        + math.ceil((len(graph_log) - len(graph_refused)) / BATCH)
        + per_mailbox_reads
    )
    return {
        "requestsPerMailbox": {
            "http": _per(n, http),
            "exchange": _per(n, by_service.get("exchange", 0)),
            "graph": _per(n, graph_http),
            "identity": _per(n, by_service.get("identity", 0)),
        },
        "exchangePerMailbox": {
            "byTenant": {t: _per(n, c) for t, c in sorted(calls.items())},
            "byCmdlet": {
                k: _per(n, v)
                for k, v in sorted(stats["byCmdlet"].items(), key=lambda kv: -kv[1])
                if v >= n / 10
            },
        },
        "graphOperationsPerMailbox": {
            "all": _per(n, by_service.get("graph", 0) - batches),
            "byOperation": {
                k: _per(n, v)
                for k, v in sorted(stats["byOperation"].items(), key=lambda kv: -kv[1])
                if v >= n / 10 and k != "POST /$batch"
            },
        },
        "floorPerMailbox": {
            "withReplicationRefusals": _per(n, floor),
            "withoutReplicationRefusals": _per(n, floor_no_refusals),
            "rule": "every write received (Exchange calls; Graph writes 20 per $batch) + "
            "Get-MailboxPermission per wave mailbox (t2t/probes/cost.py)",
        },
        "replicationRefusals": {
            "exchange": len(exchange_refused),
            "graph": len(graph_refused),
        },
        "batchFill": {
            "batches": batches,
            "operations": stats["batchItems"],
            "perBatch": round(stats["batchItems"] / batches, 2) if batches else None,
        },
        "graphBudget": _graph_budget(target_graph, graph_rate),
        "exchangeBudget": _exchange_budget(
            [e for e in exchange_log if names.get(e["tenant"]) == "fabrikam"], ex_rate
        ),
        "budgetSeconds": {"all": round(budget_all, 1), "writes": round(budget_writes, 1)},
        "wallVsBudget": {
            "all": round(wall / budget_all, 2) if budget_all else None,
            "writes": round(wall / budget_writes, 2) if budget_writes else None,
        },
        "budgetedOperations": {
            "exchangeCallsByTenant": dict(calls),
            "exchangeWriteCallsByTenant": dict(write_calls),
            "graphWritesTarget": len(target_graph),
        },
        "throttleRefusals": throttle.get("refusals"),
        "earlyRetries": throttle.get("earlyRetries"),
    }


def run(
    scenario: str, n: int, latency_ms: int, deadline: float | None, refusals: int
) -> dict[str, Any]:
    budgets = SCENARIOS[scenario]
    with tempfile.TemporaryDirectory() as tmp:
        seed, spec, state = Path(tmp) / "seed.yaml", Path(tmp) / "spec.yaml", Path(tmp) / "state"
        write_seed(seed, n)
        write_spec(spec, n)
        with served(state, seed) as profile:
            prepare_logs(profile, n)
            if budgets is not None:
                control(profile, "POST", "throttle", {"budgets": budgets})
            replication = control(profile, "POST", "replication", {"refusals": refusals})
            if latency_ms:
                control(
                    profile, "POST", "faults", {"kind": "latency", "ms": latency_ms, "match": {}}
                )
            load_before = os.getloadavg()
            sandbox_cpu = _cpu_seconds(profile["pid"])
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = start_apply(state, spec, Path(tmp) / "apply.out")
            try:
                code: int | None = proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = None
                proc.wait()
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            sandbox_cpu = _cpu_seconds(profile["pid"]) - sandbox_cpu
            load_after = os.getloadavg()
            stats = control(profile, "GET", "stats")
            throttle = control(profile, "GET", "throttle")
            exchange_log = control(profile, "GET", "exchange/requests")["requests"]
            graph_log = control(profile, "GET", "graph/writes")["writes"]
            names = {t["tenantId"]: t["name"] for t in profile["tenants"]}
        output = (Path(tmp) / "apply.out").read_text(encoding="utf-8", errors="replace")
    lines = [line for line in output.splitlines() if line.startswith(("Apply ", "Nothing to"))]
    summary = lines[-1] if lines else None
    if code != 0:
        print(output[-3000:], file=sys.stderr)
    counts = _counts(summary)
    return {
        "scenario": scenario,
        "mailboxes": n,
        "latencyMs": latency_ms,
        "replication": {k: replication[k] for k in ("refusals", "windowSeconds", "seed")},
        "budgets": throttle["budgets"],
        "applyExitCode": code,
        "finished": code is not None,
        "applySummary": summary,
        "failedActions": counts.get("failed"),
        "unknownActions": output.count(": unknown — "),
        "applyWallSeconds": round(wall, 1),
        **_figures(n, stats, throttle, exchange_log, graph_log, wall, names),
        "cpuSeconds": {
            "apply": round(
                after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 1
            ),
            "sandbox": round(sandbox_cpu, 1),
        },
        "loadAverage": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="apply at the throttle limit (issue 14)")
    parser.add_argument("mailboxes", type=int, nargs="?", default=1000)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "both"], default="both")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--deadline", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--replication-refusals", type=int, default=DEFAULT_REFUSALS, metavar="N")
    args = parser.parse_args()
    chosen = list(SCENARIOS) if args.scenario == "both" else [args.scenario]

    def key(row: dict[str, Any]) -> tuple[str, int, int]:
        """Rows from before the setting was recorded ran with the sandbox's default."""
        refusals = row.get("replication", {}).get("refusals", DEFAULT_REFUSALS)
        return row["scenario"], row["mailboxes"], refusals

    previous: dict[tuple[str, int, int], Any] = {}
    if OUT.exists():
        previous = {key(r): r for r in json.loads(OUT.read_text())["results"]}
    for scenario in chosen:
        row = run(
            scenario, args.mailboxes, args.latency_ms, args.deadline, args.replication_refusals
        )
        print(json.dumps(row, indent=2), flush=True)
        previous[key(row)] = row
        write_results(
            OUT,
            "t2t apply at the tenants' throttle limit (issue 14)",
            [previous[k] for k in sorted(previous)],
        )


if __name__ == "__main__":
    main()
