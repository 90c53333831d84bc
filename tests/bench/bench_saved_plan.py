"""Benchmark: the size of a saved plan (`t2t plan --out`) per mailbox, and the time to write it
and read it back, on tests/render/large_plan.py's merger (the org setup from nothing, N
mailboxes: half without a target, a quarter to stamp, a quarter prepared; 1 in 50 on hold).

Issue 14's target: a 20,000-mailbox saved plan under 10 MB, i.e. a few hundred bytes per
mailbox. A plan over 1 MiB of JSON is saved gzip-compressed (t2t/apply/saved.py): also shown,
the sealed JSON inside and the same plan as `--format json`, to show what repetition costs.
Writes tests/bench/results/saved_plan.json.

    .venv/bin/python tests/bench/bench_saved_plan.py [N ...]      # default: 1000 10000 20000
"""

from __future__ import annotations

import gzip
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.apply.saved import load_saved_plan, save_plan  # noqa: E402
from t2t.render import render_plan_json  # noqa: E402
from tests.apply.saved_files import ORIGIN  # noqa: E402
from tests.render.large_plan import large_plan  # noqa: E402

OUT = ROOT / "tests" / "bench" / "results" / "saved_plan.json"


def _inner(data: bytes) -> bytes:
    """The sealed JSON of a saved plan, compressed or not."""
    return gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data


def measure(n: int) -> dict[str, object]:
    plan = large_plan(n)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        started = time.perf_counter()
        save_plan(plan, path, ORIGIN)
        saved_s = time.perf_counter() - started
        data = path.read_bytes()
        started = time.perf_counter()
        load_saved_plan(path)
        load_s = time.perf_counter() - started
    json_bytes = len(render_plan_json(plan).encode())
    return {
        "mailboxes": n,
        "actions": len(plan.actions),
        "saved_bytes": len(data),
        "saved_bytes_per_mailbox": round(len(data) / n),
        "saved_mb": round(len(data) / 1e6, 1),
        "save_s": round(saved_s, 2),
        "load_s": round(load_s, 2),
        "compressed": data.startswith(b"\x1f\x8b"),
        "sealed_json_bytes_per_mailbox": round(len(_inner(data)) / n),
        "format_json_bytes_per_mailbox": round(json_bytes / n),
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 20_000]
    results = []
    for n in sizes:
        results.append(measure(n))
        print(json.dumps(results[-1]), flush=True)
    out = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "command": "tests/bench/bench_saved_plan.py " + " ".join(map(str, sizes)),
        "results": results,
    }
    OUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
