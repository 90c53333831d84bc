"""Faults that end in convergence, not failure (issue 16): the real `t2t apply --auto-approve`
of a 200-mailbox spec against `t2t sandbox serve` under each fault, then a plan that must be
empty.

    .venv/bin/python tests/bench/bench_faults.py [--mailboxes N] [--scenarios a,b,...]

Scenarios (each on a fresh sandbox: the default seed plus N generated Contoso mailboxes, the
strict profile; the spec and seed are tests/e2e/apply_order.py's — specs/quickstart.yaml's
tenants, app and client-secret credential, one wave of N in ``phase: prepare``):

- ``baseline`` — no fault, for reference;
- ``throttle`` — Microsoft's own budgets lowered to Exchange 40 requests and Graph 20 identity
  writes per 10 s (``POST /_sandbox/throttle``: every InvokeCommand call counts, every Graph
  write and each write inside ``$batch``; t2t/sandbox/throttle.py);
- ``identity`` — the token endpoint throttled to 5 tokens per 10 s (429 with Retry-After and
  Entra's "Too Many Requests") and 20 of its answers 503;
- ``exchange503`` — 60 InvokeCommand answers 503;
- ``drops`` — 40 connections dropped mid-answer, all on writes (a dropped read is simply sent
  again): 10 Exchange and 10 Graph writes dropped before the service saw them, 10 of each
  after it acted (``afterHandling``: the answer is lost). A rule on every request would spend
  its drops on the first requests sent (the identity platform's OIDC discovery, then the
  plan's reads) and measure nothing else;
- ``lag`` — every object a New- cmdlet creates stays invisible to reads for 45 s;
- ``all`` — all of them at once.

A run that exits 5 (some outcome unknown; its summary asks for a second apply) is followed by
another, up to ``MAX_RUNS``. Before each further run and before the final plan the sandbox
clock moves on ``licensing_seconds`` (120 s, strictness.py): the licences a run assigned are
provisioned then, as Exchange does within minutes (T2T-E320 would otherwise hold the plan at
exit 3, which is Microsoft's wait, not a fault). Each scenario passes when its last apply
exits 0 and `t2t plan --detailed-exitcode` then exits 0.

Writes tests/bench/results/faults.json: per scenario each run's exit code, wall time and
summary line, the final plan's exit code, the sandbox's request counters, throttle refusals
and early retries (a refused request resent before its Retry-After), and how often each fault
rule fired. Results of scenarios not run this time are kept from the file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.results_file import write_results  # noqa: E402
from tests.e2e.apply_order import (  # noqa: E402
    apply,
    control,
    prepare_logs,
    served,
    write_seed,
    write_spec,
)
from tests.e2e.helpers import T2T  # noqa: E402

OUT = ROOT / "tests" / "bench" / "results" / "faults.json"
#: What `t2t apply` exits with when a second run finishes the work (t2t/cli/app.py).
EXIT_RUN_AGAIN = 5
MAX_RUNS = 3
#: The strict profile's licence provisioning time (t2t/sandbox/strictness.py STRICT).
LICENSING_SECONDS = 120
#: Every cmdlet that creates an object the sandbox can hide (faults.py ``lag``).
NEW_CMDLETS = (
    "New-OrganizationRelationship",
    "New-MigrationEndpoint",
    "New-DistributionGroup",
    "New-MailUser",
    "New-MigrationBatch",
    "New-MailContact",
)
TOKEN = {"service": "identity", "path": "/oauth2/"}

HARSH_BUDGETS = {
    "exchangeTenant": {"limit": 40, "windowSeconds": 10},
    "graphAppTenant": {"limit": 20, "windowSeconds": 10},
}
FAULTS: dict[str, list[dict[str, Any]]] = {
    "baseline": [],
    "throttle": [],
    "identity": [
        {"kind": "throttle", "budget": 5, "windowSeconds": 10, "match": TOKEN},
        {"kind": "error", "status": 503, "count": 20, "match": TOKEN},
    ],
    "exchange503": [
        {"kind": "error", "status": 503, "count": 60, "match": {"service": "exchange"}}
    ],
    "drops": [
        {"kind": "drop", "count": 10, "match": {"service": service, "access": "write"}, **when}
        for service in ("exchange", "graph")
        for when in ({}, {"afterHandling": True})
    ],
    "lag": [
        {"kind": "lag", "seconds": 45, "match": {"service": "exchange", "cmdlet": c}}
        for c in NEW_CMDLETS
    ],
}
FAULTS["all"] = [
    rule for name in ("identity", "exchange503", "drops", "lag") for rule in FAULTS[name]
]
THROTTLED = frozenset({"throttle", "all"})
SCENARIOS = tuple(FAULTS)


def _rule_key(rule: dict[str, Any]) -> str:
    after = " afterHandling" if rule.get("afterHandling") else ""
    return f"{rule['kind']}{after} {json.dumps(rule['match'], sort_keys=True)}"


def _summary(stdout: str) -> str | None:
    lines = [line for line in stdout.splitlines() if line.startswith(("Apply ", "Nothing to"))]
    return lines[-1] if lines else None


def _plan(state: Path, spec: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, T2T_SANDBOX=str(state))
    return subprocess.run(
        [*T2T, "plan", str(spec), "--detailed-exitcode"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1800,
    )


def run(scenario: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed, spec, state = Path(tmp) / "seed.yaml", Path(tmp) / "spec.yaml", Path(tmp) / "state"
        write_seed(seed, n)
        write_spec(spec, n)
        with served(state, seed) as profile:
            prepare_logs(profile, n)
            if scenario in THROTTLED:
                control(profile, "POST", "throttle", {"budgets": HARSH_BUDGETS})
            for rule in FAULTS[scenario]:
                control(profile, "POST", "faults", rule)
            runs: list[dict[str, Any]] = []
            started = time.perf_counter()
            tracebacks = 0
            for attempt in range(MAX_RUNS):
                if attempt:
                    control(profile, "POST", "clock", {"advanceSeconds": LICENSING_SECONDS})
                done, wall = apply(state, spec, timeout=7200)
                tracebacks += (done.stdout + done.stderr).count("Traceback")
                runs.append(
                    {
                        "exitCode": done.returncode,
                        "wallSeconds": round(wall, 1),
                        "summary": _summary(done.stdout),
                        "unknown": done.stdout.count(": unknown — "),
                        "waiting": done.stdout.count(": waiting — "),
                        "failed": done.stdout.count(": failed — "),
                    }
                )
                if done.returncode != EXIT_RUN_AGAIN:
                    if done.returncode != 0:
                        print(done.stdout[-4000:], done.stderr[-2000:], file=sys.stderr)
                    break
            total = time.perf_counter() - started
            control(profile, "POST", "clock", {"advanceSeconds": LICENSING_SECONDS})
            plan = _plan(state, spec)
            stats = control(profile, "GET", "stats")
            throttle = control(profile, "GET", "throttle")
            rules = control(profile, "GET", "faults")["rules"]
    left = {_rule_key(r): r["fired"] for r in rules}
    # a rule with a count is removed once spent: it fired that often
    fired = {_rule_key(r): left.get(_rule_key(r), r.get("count", 0)) for r in FAULTS[scenario]}
    converged = runs[-1]["exitCode"] == 0 and plan.returncode == 0
    if plan.returncode != 0:
        print(plan.stdout[-3000:], plan.stderr[-2000:], file=sys.stderr)
    return {
        "scenario": scenario,
        "mailboxes": n,
        "faults": FAULTS[scenario],
        "budgets": HARSH_BUDGETS if scenario in THROTTLED else None,
        "runs": runs,
        "applies": len(runs),
        "applyWallSeconds": round(total, 1),
        "finalPlanExitCode": plan.returncode,
        "converged": converged,
        "tracebacks": tracebacks,
        "requests": {
            "total": stats["total"],
            "byService": stats["byService"],
            "reads": stats.get("reads"),
            "writes": stats.get("writes"),
        },
        "throttleRefusals": throttle.get("refusals"),
        "earlyRetries": throttle.get("earlyRetries"),
        "faultsFired": fired,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="faults that end in convergence (issue 16)")
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    chosen = [s for s in args.scenarios.split(",") if s]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
    previous: dict[str, Any] = {}
    if OUT.exists():
        previous = {r["scenario"]: r for r in json.loads(OUT.read_text())["results"]}
    for scenario in chosen:
        row = run(scenario, args.mailboxes)
        print(json.dumps(row, indent=2), flush=True)
        previous[scenario] = row
        write_results(
            OUT,
            "t2t apply under faults, until converged (issue 16)",
            [previous[s] for s in SCENARIOS if s in previous],
        )


if __name__ == "__main__":
    main()
