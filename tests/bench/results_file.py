"""One way to write a benchmark's results file: what ran, on which machine, and the rows."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def write_results(path: Path, benchmark: str, results: list[Any], **extra: Any) -> None:
    """``path`` ← {"benchmark", "python", "machine", "cpus", **extra, "results"}, indented JSON
    (the README quotes these files; a reader diffs them in git)."""
    document = {
        "benchmark": benchmark,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        **extra,
        "results": results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
