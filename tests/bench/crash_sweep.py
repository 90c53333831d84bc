"""Crash sweep (issue 16): the real `t2t apply` of a 200-mailbox spec, SIGKILLed after every
action it completes and at 50 seeded moments mid-request, always brought back to convergence;
then the sandbox's whole state is searched for anything doubled, left behind, provisioned by
mistake or changed in the source beyond the spec.

    .venv/bin/python tests/bench/crash_sweep.py [--mailboxes 200] [--boundaries N]
        [--stride S] [--from K] [--moments 50] [--per-cycle 10] [--seed 16] [--sources COMMIT]

The spec (tests/e2e/crash.py `write_crash_spec`) registers the migration app itself, sends the
invitation and runs the wave (``phase: sync``), so every kind of object t2t creates is in play;
the sandbox is `t2t sandbox serve` on the default seed plus N generated mailboxes, strict
profile (secret delay, replication refusals, Microsoft's throttling budgets, licences that
provision in 120 s). Nothing of t2t is patched; apply runs in its own process each time.

1. **Action boundaries.** A chain of runs of `t2t apply --parallelism 1` (one action at a
   time), each SIGKILLed as soon as its JSON log reports one action done: the actions done
   are not planned again, so run after run is killed after every action of the plan, between
   it and the next. The JSON says which planned actions had no kill of their own
   (``plannedNotKilledAfter``: one finishing beside an action that handed its slot on during
   a long wait) and which actions killed after were not in the first plan
   (``killedAfterUnplanned``). ``--from K`` starts the chain later: one run stopped after K
   actions, then a kill after every action from there (segments of one chain side by side on
   two sandboxes: ``--boundaries K`` and ``--from K``). ``--boundaries N`` stops the chain
   after N kills (default: none — every boundary); ``--stride S`` then goes on killing after
   every S-th action done, to the end of the plan. Then apply runs to convergence and the
   state is checked.
2. **Mid-request.** ``--moments`` seeded moments, in cycles of ``--per-cycle`` that each start
   from the seed again (``/_sandbox/reset``), so every organization-level write is pending at
   the start of each: each moment draws (``random.Random(seed)``), among the writes the
   pending plan still sends and those drawn least often so far, one of them — the app
   registration, a service principal, a consent, the invitation, addPassword, removePassword,
   a scope member, a relationship, the endpoint (New-/Set-), a MailUser (New-/Set-), a Graph
   `$batch` (usage location, licences), the batch, the apply lease, or any write — how many of
   its kind to let through first (per-mailbox writes), and whether the sandbox handles it
   before the kill (its answer withheld: 70 %) or not; apply is killed while the sandbox holds
   it. A cycle ends, is applied to convergence and checked, after its kills or once its plan
   is empty.

Every check is whole (tests/e2e/crash.py `inventory`): the final plan empty (exit 0); no
duplicate of any kind; exactly one client secret of t2t's, the endpoint's; no target mailbox
provisioned; the source changed only as the spec asks. Writes
tests/bench/results/crash_sweep.json (counts, timings, every moment drawn).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.results_file import write_results  # noqa: E402
from tests.e2e.apply_order import served, write_seed  # noqa: E402
from tests.e2e.crash import (  # noqa: E402
    ENDPOINT,
    SETTLE_SECONDS,
    WRITES,
    Convergence,
    Inventory,
    Run,
    Sandbox,
    SweepSpec,
    converge,
    inventory,
    kill_after_done,
    kill_mid_request,
    plan_actions,
    write_crash_spec,
)

OUT = ROOT / "tests" / "bench" / "results" / "crash_sweep.json"
#: Share of mid-request moments handled by the sandbox before the kill (answer withheld).
AFTER_HANDLING = 0.7
#: Per-mailbox writes: at most this many of the kind are let through before the one held.
MAX_SKIP = 40


@dataclass
class Cycle:
    """From a fresh state to a checked convergence."""

    kills: list[dict[str, Any]] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    """The ids of the actions planned at the start (the boundary phase)."""
    fast_forward: dict[str, Any] | None = None
    """``--from K``: the one run stopped after K actions, before this segment's kills."""
    unfired: list[dict[str, Any]] = field(default_factory=list)
    convergence: Convergence | None = None
    inventory: Inventory | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        assert self.convergence is not None and self.inventory is not None
        return {
            "kills": len(self.kills),
            "unfiredMoments": len(self.unfired),
            "convergeRuns": [r.code for r in self.convergence.runs],
            "converged": self.convergence.converged,
            "left": self.convergence.left,
            "seconds": round(self.seconds, 1),
            **self.inventory.to_json(),
        }


def _check(
    sandbox: Sandbox, spec: SweepSpec, log: Path, cycle: Cycle, initial: dict[str, Any]
) -> None:
    cycle.convergence = converge(sandbox, spec.path, log)
    cycle.inventory = inventory(initial, sandbox.state_json(), spec)


def boundaries(
    sandbox: Sandbox,
    spec: SweepSpec,
    log: Path,
    limit: int | None,
    stride: int | None,
    start: int = 0,
) -> Cycle:
    """Kill after every action done (the first ``limit``), then every ``stride``-th; with
    ``start``, first one run stopped after that many actions (a later segment of the chain)."""
    cycle, started = Cycle(), time.monotonic()
    initial = sandbox.state_json()
    if start:
        ahead = kill_after_done(sandbox.state, spec.path, log, actions=start)
        assert ahead.killed, f"the plan ended before {start} actions were done"
        cycle.fast_forward = {**ahead.moments[-1], "actions": start, "seconds": ahead.seconds}
    cycle.planned = [a["id"] for a in plan_actions(sandbox.state, spec.path)[1]]
    waited = False
    while True:
        every = 1 if limit is None or len(cycle.kills) < limit else stride
        if every is None:
            break
        run = kill_after_done(sandbox.state, spec.path, log, actions=every)
        if not run.killed:
            print(f"run ended by itself (exit {run.code}, {run.done} done)", flush=True)
            # Ended by itself: done, or the batch waits for licences to provision (T2T-E320).
            # Once per wait, move the clock past provisioning and go on.
            if waited or plan_actions(sandbox.state, spec.path)[0] == 0:
                break  # (a batch held for licences is a finding, not an action: exit 3)
            sandbox("POST", "clock", {"advanceSeconds": SETTLE_SECONDS})
            waited = True
            continue
        waited = False
        cycle.kills.append({**run.moments[-1], "seconds": run.seconds, "every": every})
        if len(cycle.kills) % 10 == 0:
            print(f"boundary kills: {len(cycle.kills)} ({time.monotonic() - started:.0f} s)")
    _check(sandbox, spec, log, cycle, initial)
    cycle.seconds = time.monotonic() - started
    print(json.dumps(cycle.to_json())[:2000], flush=True)
    return cycle


def _markers(sandbox: Sandbox) -> int:
    target = next(t for t in sandbox.state_json()["tenants"] if t["name"] == "fabrikam")
    marker = f"t2t:endpoint:{ENDPOINT}"
    return sum(
        1
        for a in target["applications"]
        for p in a["password_credentials"]
        if p["display_name"] == marker
    )


def draw(
    rng: random.Random, kinds: Counter[str], markers: int, drawn: Counter[str]
) -> tuple[str, dict[str, Any]]:
    """One moment among the writes the pending plan (its action kinds, counted) still
    sends, those drawn least often so far first (every kind of write gets its turn); a
    per-mailbox write lets through a number of its kind the plan still has room for."""
    names = [
        name
        for name, write in WRITES.items()
        if write.pending(set(kinds)) and (name != "removePassword" or markers)
    ]
    fewest = min(drawn[n] for n in names)
    name = rng.choice(sorted(n for n in names if drawn[n] == fewest))
    write = WRITES[name]
    rule: dict[str, Any] = {"match": write.match, "afterHandling": rng.random() < AFTER_HANDLING}
    if write.per_mailbox:
        pending = sum(n for k, n in kinds.items() if not write.kinds or k in write.kinds)
        rule["skip"] = rng.randrange(max(1, min(MAX_SKIP, pending // write.per_request // 2)))
    return name, rule


def mid_request(
    sandbox: Sandbox, spec: SweepSpec, log: Path, moments: int, seed: int, per_cycle: int
) -> list[Cycle]:
    """``moments`` seeded kills mid-request, in cycles from the seed of at most ``per_cycle``
    kills each (a fresh cycle has every organization-level write pending again)."""
    rng = random.Random(seed)
    cycles: list[Cycle] = []
    drawn: Counter[str] = Counter()
    fired = 0
    while fired < moments:
        sandbox("POST", "reset")
        cycle, started = Cycle(), time.monotonic()
        initial = sandbox.state_json()
        while fired < moments and len(cycle.kills) < per_cycle:
            _, actions = plan_actions(sandbox.state, spec.path)
            kinds = Counter(a["kind"] for a in actions)
            if not kinds:
                break
            name, rule = draw(rng, kinds, _markers(sandbox), drawn)
            drawn[name] += 1
            if WRITES[name].last:  # the batch waits for its licences to provision
                sandbox("POST", "clock", {"advanceSeconds": SETTLE_SECONDS})
            run: Run = kill_mid_request(sandbox, spec.path, log, [rule])
            moment = {"write": name, **rule, "seconds": run.seconds}
            if run.killed:
                fired += 1
                held = run.moments[0]
                moment.update(held=held.get("cmdlet") or held["path"], status=held.get("status"))
                cycle.kills.append(moment)
                print(f"moment {fired}: {name} {json.dumps(rule)} ({run.seconds} s)", flush=True)
            else:
                cycle.unfired.append({**moment, "exit": run.code})
                print(f"moment not reached: {name} (apply exited {run.code})", flush=True)
        _check(sandbox, spec, log, cycle, initial)
        cycle.seconds = time.monotonic() - started
        print(json.dumps(cycle.to_json())[:2000], flush=True)
        cycles.append(cycle)
    return cycles


def _summary(cycles: list[Cycle]) -> dict[str, Any]:
    inventories = [c.inventory for c in cycles if c.inventory is not None]
    return {
        "everyRunConverged": all(c.convergence and c.convergence.converged for c in cycles),
        "duplicates": sum(i.duplicate_total for i in inventories),
        "mailboxesProvisioned": sum(i.counts.get("mailboxesProvisioned", 0) for i in inventories),
        "sourceChanges": sum(i.counts.get("sourceChanges", 0) for i in inventories),
        "problems": [p for i in inventories for p in i.problems],
    }


def _write(row: dict[str, Any]) -> None:
    """The results so far (after each phase: a long sweep that stops keeps what it did)."""
    write_results(OUT, "crash sweep: t2t apply SIGKILLed at every boundary and mid-request", [row])


def main() -> None:
    parser = argparse.ArgumentParser(description="crash sweep (issue 16)")
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--boundaries", type=int, default=None, metavar="N")
    parser.add_argument("--stride", type=int, default=None, metavar="S")
    parser.add_argument("--from", dest="start", type=int, default=0, metavar="K")
    parser.add_argument("--moments", type=int, default=50)
    parser.add_argument("--per-cycle", type=int, default=10, metavar="K")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--sources", default=None, help="what t2t was run from (a commit)")
    args = parser.parse_args()
    started = time.monotonic()
    row: dict[str, Any] = {"sources": args.sources, "mailboxes": args.mailboxes, "seed": args.seed}
    cycles: list[Cycle] = []
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.yaml"
        write_seed(seed, args.mailboxes)
        spec = write_crash_spec(Path(tmp) / "spec.yaml", args.mailboxes)
        log = Path(tmp) / "apply.log"
        with served(Path(tmp) / "state", seed) as profile:
            sandbox = Sandbox(Path(tmp) / "state", profile)
            first = boundaries(sandbox, spec, log, args.boundaries, args.stride, args.start)
            cycles.append(first)
            after = {k["action"] for k in first.kills}
            row["boundaries"] = {
                "from": args.start,
                "fastForward": first.fast_forward,
                "limit": args.boundaries,
                "stride": args.stride,
                "planned": len(first.planned),
                "kills": len(first.kills),
                "plannedNotKilledAfter": [a for a in first.planned if a not in after],
                "killedAfterUnplanned": sorted(after - set(first.planned)),
                "killedAfter": dict(Counter(k["kind"] for k in first.kills)),
                "seconds": round(first.seconds, 1),
                "cycle": first.to_json(),
            }
            row.update(_summary(cycles))
            _write(row)
            moments = mid_request(sandbox, spec, log, args.moments, args.seed, args.per_cycle)
            cycles.extend(moments)
            sandbox.close()
    kills = [k for c in moments for k in c.kills]
    row["midRequest"] = {
        "moments": len(kills),
        "afterHandling": sum(1 for k in kills if k["afterHandling"]),
        "byWrite": dict(Counter(k["write"] for k in kills)),
        "unfired": sum(len(c.unfired) for c in moments),
        "seconds": round(sum(c.seconds for c in moments), 1),
        "cycles": [c.to_json() for c in moments],
        "drawn": kills,
    }
    row.update(_summary(cycles), wallSeconds=round(time.monotonic() - started, 1))
    _write(row)
    print(json.dumps({k: v for k, v in row.items() if k != "midRequest"}, indent=2))


if __name__ == "__main__":
    main()
