"""Benchmark: load_spec on specs of 10,000 and 50,000 mailboxes given by CSV.

Run: .venv/bin/python tests/bench/bench_spec_load.py
Writes tests/bench/results/spec_load.json and prints it. Not collected by pytest
(benchmarks are figures in a file, never timed assertions; DESIGN.md "Tests").

Each size is loaded in both CSV forms (SourceEmail,TargetEmail and Microsoft's EmailAddress,
which needs the rewrite rules reversed), with every mailbox also named by a batch CSV,
so a row is parsed, validated, registered and batched.
"""

from __future__ import annotations

import gc
import json
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from t2t.spec import load_spec

SIZES = (10_000, 50_000)
REPEATS = 5
RESULT = Path(__file__).resolve().parent / "results" / "spec_load.json"

SPEC = """version: 1
name: bench
source:
  tenantId: 6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20
  domain: contoso.onmicrosoft.com
  auth: {{clientId: 0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d, secret: env:T2T_SOURCE_SECRET}}
target:
  tenantId: 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60
  domain: fabrikam.onmicrosoft.com
  auth: {{clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e, secret: env:T2T_TARGET_SECRET}}
relationship:
  app: {{appId: 5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f}}
  credential: clientSecret
  scopeGroup: t2tmigrationscope
identities:
  rewrite: [{{from: contoso.com, to: fabrikam.com}}]
  upnDomain: fabrikam.onmicrosoft.com
  mailboxes: [{{csv: {csv}}}]
batches:
  - name: everyone
    mailboxes: {{csv: {csv}}}
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: sync
"""


def _write(folder: Path, size: int, form: str) -> Path:
    csv = f"{form}-{size}.csv"
    if form == "pairs":
        rows = "".join(f"user{i}@contoso.com,first.last{i}@fabrikam.com\n" for i in range(size))
        text = "SourceEmail,TargetEmail\n" + rows
    else:
        text = "EmailAddress\n" + "".join(f"user{i}@fabrikam.com\n" for i in range(size))
    (folder / csv).write_text(text, encoding="utf-8")
    spec = folder / f"{form}-{size}.yaml"
    spec.write_text(SPEC.format(csv=csv), encoding="utf-8")
    return spec


def _measure(spec: Path, size: int) -> dict[str, float | int]:
    times = []
    for _ in range(REPEATS):
        gc.collect()
        start = time.perf_counter()
        desired = load_spec(spec, check_git=False)
        times.append(time.perf_counter() - start)
        assert len(desired.mailboxes) == size
        assert len(desired.batches[0].mailboxes) == size
    gc.collect()
    tracemalloc.start()
    load_spec(spec, check_git=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = min(times)
    return {
        "mailboxes": size,
        "best_seconds": round(best, 4),
        "median_seconds": round(sorted(times)[len(times) // 2], 4),
        "microseconds_per_mailbox": round(best / size * 1e6, 2),
        "tracemalloc_peak_mib": round(peak / 2**20, 1),
    }


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in SIZES:
            for form in ("pairs", "emailaddress"):
                results.append({"csv_form": form, **_measure(_write(folder, size, form), size)})
    report = {
        "benchmark": "load_spec with mailboxes from CSV (declared and batched)",
        "repeats": REPEATS,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "results": results,
    }
    text = json.dumps(report, indent=2) + "\n"
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
