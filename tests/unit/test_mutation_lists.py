"""The mutation run's two hand-kept lists (tests/bench/mutation_equivalents.toml and
mutation_survivors.toml) stay readable by the script: every entry names its module, function,
both changed lines and a reason, a triaged survivor one of the four kinds, and every module
named exists — a list that drifted would silently stop matching."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import mutation  # noqa: E402


def test_every_equivalent_and_triaged_survivor_is_well_formed() -> None:
    equivalents = mutation.load_equivalents()
    triaged = mutation.load_triaged()
    assert equivalents and triaged
    assert {t["kind"] for t in triaged} <= mutation.TRIAGE_KINDS
    for entry in (*equivalents, *triaged):
        assert (ROOT / entry["file"]).is_file(), entry
        assert entry["reason"].strip(), entry


def test_a_triaged_survivor_is_matched_as_the_script_reads_a_diff() -> None:
    entry = mutation.load_triaged()[0]
    diff = f"--- a\n+++ b\n@@ -1 +1 @@\n-    {entry['original']}\n+    {entry['mutant']}\n"
    assert mutation.is_equivalent(entry, entry["file"], entry["function"], diff)
    assert not mutation.is_equivalent(entry, entry["file"], "another", diff)
