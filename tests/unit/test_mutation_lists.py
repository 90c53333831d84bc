"""The mutation run's two hand-kept lists (tests/bench/mutation_equivalents.toml and
mutation_survivors.toml) stay readable by the script: every entry names its module, function,
both changed lines and a reason, a triaged survivor one of the four kinds, and every module
named exists — a list that drifted would silently stop matching."""

from __future__ import annotations

import json
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


OLD = """
def same(x):
    return x + 1


class Box:
    @property
    def size(self):
        return 1

    def grow(self):
        return 2
"""

NEW = """
import os


def same(x):
    return x + 1


class Box:
    @property
    def size(self):
        return 2

    def grow(self):
        return 2


def added():
    return 3
"""


def test_an_incremental_run_carries_only_the_unchanged_functions_earlier_kills() -> None:
    """A function whose text is the same keeps the earlier run's kills; its earlier survivors and
    equivalents run again, and so does every mutant of a changed or new function."""
    prior = {
        "commit": "abc",
        "timeout": 1,
        "survivors": [{"mutant": "t2t.planner.m.x_same__mutmut_2"}],
        "equivalents": [{"mutant": "t2t.planner.m.xǁBoxǁgrow__mutmut_1"}],
    }
    carry = mutation.Carry("t2t/planner/m.py", prior, NEW, OLD)
    assert carry.since == "abc" and carry.prior_timeouts == 1
    assert carry.unchanged == {"same", "Box.grow"}
    assert carry.patterns == [
        "t2t.planner.m.x_same__mutmut_2",
        "t2t.planner.m.xǁBoxǁgrow__mutmut_1",
        "t2t.planner.m.xǁBoxǁsize__mutmut_*",
        "t2t.planner.m.x_added__mutmut_*",
    ]
    assert carry.carries("t2t.planner.m.x_same__mutmut_1")
    assert carry.carries("t2t.planner.m.xǁBoxǁgrow__mutmut_2")
    assert not carry.carries("t2t.planner.m.x_same__mutmut_2")  # an earlier survivor
    assert not carry.carries("t2t.planner.m.xǁBoxǁgrow__mutmut_1")  # an earlier equivalent
    assert not carry.carries("t2t.planner.m.xǁBoxǁsize__mutmut_1")  # changed
    assert not carry.carries("t2t.planner.m.x_added__mutmut_1")  # new


def test_a_decorator_is_part_of_a_functions_text() -> None:
    """mutmut mutates a decorated function only when its decorator allows it (see the script),
    so a changed decorator is a changed function."""
    before = "@check\ndef f():\n    return 1\n"
    after = "@other\ndef f():\n    return 1\n"
    assert mutation.function_sources(before) != mutation.function_sources(after)
    assert mutation.function_sources(before) == {"f": before.rstrip("\n")}


def test_collect_counts_carried_kills_and_keeps_the_earlier_timeouts(tmp_path: Path) -> None:
    """Carried mutants count as killed, less the earlier run's (unnamed) timeouts, which stay
    timeouts; a mutant run again counts by its new exit code."""
    module = "t2t/planner/m.py"
    (tmp_path / "t2t" / "planner").mkdir(parents=True)
    (tmp_path / module).write_text(NEW)
    codes = {
        "t2t.planner.m.x_same__mutmut_1": None,  # carried
        "t2t.planner.m.x_same__mutmut_3": None,  # carried
        "t2t.planner.m.xǁBoxǁgrow__mutmut_2": None,  # carried
        "t2t.planner.m.x_same__mutmut_2": 1,  # an earlier survivor, killed now
        "t2t.planner.m.xǁBoxǁsize__mutmut_1": 1,  # changed, killed
    }
    meta = tmp_path / "mutants" / (module + ".meta")
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    prior = {
        "commit": "abc",
        "timeout": 1,
        "survivors": [{"mutant": "t2t.planner.m.x_same__mutmut_2"}],
    }
    carry = mutation.Carry(module, prior, NEW, OLD)
    result = mutation.collect(tmp_path, module, [], [], carry=carry)
    assert {k: result[k] for k in ("mutants", "killed", "timeout", "survived", "carried")} == {
        "mutants": 5,
        "killed": 4,
        "timeout": 1,
        "survived": 0,
        "carried": 3,
    }
    assert result["carried_from"] == "abc" and result["score"] == 0.8


def test_the_readme_table_is_mutation_json_row_by_row() -> None:
    module = {
        "mutants": 10,
        "killed": 8,
        "carried": 5,
        "equivalent": 1,
        "survived": 1,
        "timeout": 0,
        "no_tests": 0,
        "untriaged": 0,
        "score": 8 / 9,
        "tests": ["tests/apply", "tests/unit"],
        "commit": "0123456789ab",
    }
    empty = {**module, "mutants": 0}
    doc = {
        "modules": {
            "t2t/apply/x.py": module,
            "t2t/apply/y.py": {**module, "tests": ["tests/unit"]},
            "t2t/apply/__init__.py": empty,
        },
        "total": {
            "mutants": 20,
            "killed": 16,
            "equivalent": 2,
            "survived": 2,
            "timeout": 0,
            "no_tests": 0,
            "score": 16 / 18,
        },
    }
    assert mutation.table(doc).splitlines()[2:] == [
        "| `t2t/apply/x.py` | 0123456 | selection | 10 | 8 (5) | 1 | 1 | 0 | 0 | 0 | 88.9 % |",
        "| `t2t/apply/y.py` | 0123456 | fast | 10 | 8 (5) | 1 | 1 | 0 | 0 | 0 | 88.9 % |",
        "| all 2 with mutants | | | 20 | 16 | 2 | 2 | 0 | 0 | | 88.9 % |",
    ]


def test_a_resumed_run_names_only_the_selected_mutants_without_a_result(tmp_path: Path) -> None:
    module = "t2t/apply/m.py"
    meta = tmp_path / "mutants" / (module + ".meta")
    meta.parent.mkdir(parents=True)
    codes = {
        "t2t.apply.m.x_f__mutmut_1": 1,  # done
        "t2t.apply.m.x_f__mutmut_2": None,  # selected, not run yet
        "t2t.apply.m.x_g__mutmut_1": None,  # not selected (carried)
        "t2t.apply.m.x_g__mutmut_2": None,  # selected by name
    }
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    patterns = ["t2t.apply.m.x_f__mutmut_*", "t2t.apply.m.x_g__mutmut_2"]
    assert mutation.unfinished(tmp_path, [module, "t2t/apply/absent.py"], patterns) == [
        "t2t.apply.m.x_f__mutmut_2",
        "t2t.apply.m.x_g__mutmut_2",
    ]


def test_a_mutant_run_is_hung_only_when_long_and_idle() -> None:
    """Ten minutes of wall time with under ten seconds of CPU: a deadlock, ended as a timeout;
    a long run that works (CPU used) or a short idle one is left to mutmut."""
    wall, cpu = mutation.IDLE_WALL_SECONDS, mutation.IDLE_CPU_SECONDS
    assert mutation.hung(wall + 1, cpu - 0.1)
    assert not mutation.hung(wall, cpu - 0.1)
    assert not mutation.hung(wall + 1, cpu)
    assert not mutation.hung(60, 0)


def test_proc_times_reads_wall_and_cpu_after_the_name() -> None:
    """proc(5) stat: utime + stime (fields 14, 15) and starttime (22) in clock ticks, counted
    after the name's closing parenthesis (a name may hold spaces and parentheses)."""
    name = "(mutmut: t2t.x (y) z)"
    rest = ["S", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "250", "150"]
    rest += ["0", "0", "20", "0", "1", "0", "5000"]
    stat = f"4242 {name} " + " ".join(rest)
    assert mutation.proc_times(stat, 100, uptime=1000.0) == (950.0, 4.0)
