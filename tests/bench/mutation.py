"""Mutation testing of the planner and the applier (mutmut 3), outside the default test command.

Runs mutmut in a throwaway git worktree of HEAD (never in the work tree: another change may be
under way there), once per test selection (`SELECTION`) for all the modules that share it —
mutmut's clean run of those tests, minutes for the applier's, then happens once, not once per
module — each mutant against the tests of its module's selection (mutmut then runs only the
tests that call the mutated function).
Writes tests/bench/results/mutation.json: per module the killed / survived / timeout /
equivalent counts, the score killed ÷ (total − equivalent), and each surviving mutant with its
file:line and diff. Equivalent mutants — no test can tell them from the original — are listed
with a one-line reason in tests/bench/mutation_equivalents.toml, which this script reads.
Survivors that change behaviour only harmlessly (wording, diagnostics, a defensive branch) are
judged one by one in tests/bench/mutation_survivors.toml — never one touching an ordering
constraint, an unknown guard, a re-read or a verify, which a test must kill — and each
survivor carries its `triage` when listed there; `untriaged` counts the rest per module.

    .venv/bin/python tests/bench/mutation.py [MODULE_OR_FOLDER ...] [--jobs N] [--keep]

With no argument: every module of t2t/planner and t2t/apply. A run over some modules replaces
only their entries in mutation.json. `make mutation` runs it.

`--incremental` runs, per module, only what may have changed since its entry in mutation.json
was measured: every mutant of a function whose text changed (or is new) and the earlier
survivors and equivalents; the earlier run's kills in unchanged functions are carried
(`carried`, `carried_from`), as mutmut's own incremental mode keeps results of functions whose
hash is unchanged. `--resume --worktree W` goes on with an interrupted run kept in W (`--keep`),
running only the mutants it has no result for. `--table` prints mutation.json as the README's table.

mutmut skips every decorated function; t2t registers its checks (`@check`) and executors
(`@executes`) with decorators and keeps some logic in properties, so the child process that
runs mutmut patches it to mutate those too (`_patch_mutmut`): the decorator stays on the
trampoline only, and the original and mutated copies are left undecorated, so a registry
still holds one function per name.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "tests" / "bench" / "results" / "mutation.json"
EQUIVALENTS = ROOT / "tests" / "bench" / "mutation_equivalents.toml"
DEFAULT_TARGETS = ("t2t/planner", "t2t/apply")
MUTMUT_VERSION = "3.8.1"

#: Which tests may kill a mutant of a module, by the longest matching path prefix. The planner
#: is pure: its cases, properties and registry tests run in seconds. The applier's tests talk
#: to the sandbox (tests/apply, about a minute in all), so only its modules get them.
SELECTION: dict[str, list[str]] = {
    "t2t/planner/": ["tests/planner", "tests/unit"],
    "t2t/apply/": ["tests/apply", "tests/unit"],
    # the `$batch` coalescer's own tests hold a `$batch` in flight at the sandbox
    "t2t/apply/graph_batch.py": [
        "tests/apply",
        "tests/unit",
        "tests/clients/test_graph_batcher.py",
    ],
    # ... and are the coalescer's too: only merged user reads queue more calls than `size`
    # (coalesce.py `_fits`), which nothing in tests/apply arranges behind a held request
    "t2t/apply/coalesce.py": [
        "tests/apply",
        "tests/unit",
        "tests/clients/test_graph_batcher.py",
    ],
}

#: Decorators whose functions mutmut may mutate after `_patch_mutmut`: registrations that
#: return the function unchanged, and properties.
MUTABLE_DECORATORS = frozenset({"check", "executes", "property"})

STATUS_BY_EXIT_CODE = {
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    24: "timeout",
    36: "timeout",
    152: "timeout",
    255: "timeout",
    -24: "timeout",
}


def selection_for(module: str) -> list[str]:
    prefixes = [p for p in SELECTION if module.startswith(p)]
    if not prefixes:
        raise SystemExit(f"{module}: no test selection (SELECTION in {Path(__file__).name})")
    return SELECTION[max(prefixes, key=len)]


def expand(targets: list[str]) -> list[str]:
    modules: list[str] = []
    for target in targets:
        path = ROOT / target
        if path.is_dir():
            modules += sorted(str(p.relative_to(ROOT)) for p in path.rglob("*.py"))
        elif path.is_file() and path.suffix == ".py":
            modules.append(str(path.relative_to(ROOT)))
        else:
            raise SystemExit(f"{target}: not a Python module or folder of the repository")
    return list(dict.fromkeys(modules))


def dotted(module: str) -> str:
    name = module.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


# -- the equivalent mutants ------------------------------------------------------------------


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added lines of a mutant's diff, stripped and joined with ' / '."""
    lines = diff.splitlines()
    body = [ln for ln in lines if not ln.startswith(("---", "+++", "@@"))]
    removed = " / ".join(ln[1:].strip() for ln in body if ln.startswith("-"))
    added = " / ".join(ln[1:].strip() for ln in body if ln.startswith("+"))
    return removed, added


def load_equivalents() -> list[dict[str, Any]]:
    if not EQUIVALENTS.exists():
        return []
    data = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data.get("equivalent", [])
    for e in entries:
        missing = {"file", "function", "original", "mutant", "reason"} - set(e)
        if missing:
            raise SystemExit(f"{EQUIVALENTS.name}: an entry lacks {sorted(missing)}: {e}")
    return entries


SURVIVORS = ROOT / "tests" / "bench" / "mutation_survivors.toml"
TRIAGE_KINDS = frozenset({"wording", "diagnostics", "defensive", "other"})


def load_triaged() -> list[dict[str, Any]]:
    """Survivors a person judged harmless (mutation_survivors.toml): never one touching an
    ordering constraint, an unknown guard, a re-read or a verify (issue 11)."""
    if not SURVIVORS.exists():
        return []
    entries: list[dict[str, Any]] = tomllib.loads(SURVIVORS.read_text(encoding="utf-8")).get(
        "survivor", []
    )
    for e in entries:
        missing = {"file", "function", "original", "mutant", "kind", "reason"} - set(e)
        if missing or e.get("kind") not in TRIAGE_KINDS:
            raise SystemExit(f"{SURVIVORS.name}: an entry lacks {sorted(missing)} or a kind: {e}")
    return entries


def is_equivalent(entry: dict[str, Any], module: str, function: str, diff: str) -> bool:
    removed, added = changed_lines(diff)
    return bool(
        entry["file"] == module
        and entry["function"] == function
        and entry["original"] == removed
        and entry["mutant"] == added
    )


# -- reading mutmut's results ----------------------------------------------------------------


def function_of(mutant: str) -> str:
    """`t2t.x.xǁClassǁmethod__mutmut_3` → `Class.method`; `t2t.x.x_fn__mutmut_3` → `fn`."""
    leaf = mutant.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
    if leaf.startswith("xǁ"):
        _, cls, name = leaf.split("ǁ")
        return f"{cls}.{name}"
    return leaf.removeprefix("x_")


def line_of(source: str, function: str, diff: str) -> int:
    """The line of the original module the mutant changes: the first removed line of its diff,
    looked for inside the function."""
    tree = ast.parse(source)
    parts = function.split(".")
    body: list[ast.stmt] = tree.body
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for part in parts:
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == part
            ),
            None,
        )
        if node is None:
            return 0
        body = node.body
    assert node is not None
    start = node.lineno
    end = node.end_lineno or start
    removed = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and ln[1:4] != "--"]
    lines = source.splitlines()
    for wanted in removed:
        for i in range(start - 1, end):
            if wanted and lines[i].strip() == wanted:
                return i + 1
    return start


def collect(
    work: Path,
    module: str,
    equivalents: list[dict[str, Any]],
    triaged: list[dict[str, Any]] | None = None,
    carry: Carry | None = None,
) -> dict[str, Any]:
    triaged = load_triaged() if triaged is None else triaged
    meta = work / "mutants" / (module + ".meta")
    if not meta.exists():
        return {
            "mutants": 0,
            "killed": 0,
            "survived": 0,
            "timeout": 0,
            "no_tests": 0,
            "equivalent": 0,
            "score": None,
            "survivors": [],
            "untriaged": 0,
            "equivalents": [],
        }
    exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    source = (work / module).read_text(encoding="utf-8")
    counts: Counter[str] = Counter()
    survivors: list[dict[str, Any]] = []
    equivalent: list[dict[str, Any]] = []
    shown = mutmut_diffs(
        work,
        module,
        [
            name
            for name, code in exit_codes.items()
            if (code is None and not (carry is not None and carry.carries(name)))
            or (code is not None and STATUS_BY_EXIT_CODE.get(code) not in {"killed", "timeout"})
        ],
    )
    for name, code in sorted(exit_codes.items(), key=lambda kv: natural(kv[0])):
        if code is None and carry is not None and carry.carries(name):
            counts["killed"] += 1
            counts["carried"] += 1
            continue
        status = STATUS_BY_EXIT_CODE.get(code, "suspicious") if code is not None else "not checked"
        if status == "killed" or status == "timeout":
            counts[status] += 1
            continue
        diff = shown[name]
        function = function_of(name)
        line = line_of(source, function, diff)
        entry = next((e for e in equivalents if is_equivalent(e, module, function, diff)), None)
        record = {
            "mutant": name,
            "status": status,
            "at": f"{module}:{line}",
            "function": function,
            "diff": diff,
        }
        if entry is not None and status == "survived":
            counts["equivalent"] += 1
            equivalent.append({**record, "reason": entry["reason"]})
        else:
            counts["survived" if status == "survived" else status.replace(" ", "_")] += 1
            judged = next((t for t in triaged if is_equivalent(t, module, function, diff)), None)
            if judged is not None:
                record["triage"] = {"kind": judged["kind"], "reason": judged["reason"]}
            survivors.append(record)
    if carry is not None:  # the earlier run's timeouts, unnamed: counted as still timing out
        moved = min(carry.prior_timeouts, counts["carried"])
        counts["killed"] -= moved
        counts["timeout"] += moved
    total = len(exit_codes)
    scored = total - counts["equivalent"]
    incremental = (
        {"carried": counts["carried"], "carried_from": carry.since} if carry is not None else {}
    )
    return {
        "mutants": total,
        "killed": counts["killed"],
        "survived": counts["survived"],
        "timeout": counts["timeout"],
        "no_tests": counts["no_tests"],
        "other": sum(
            v
            for k, v in counts.items()
            if k not in {"killed", "survived", "timeout", "no_tests", "equivalent", "carried"}
        ),
        "equivalent": counts["equivalent"],
        "score": round(counts["killed"] / scored, 4) if scored else None,
        "survivors": survivors,
        "untriaged": sum(1 for r in survivors if "triage" not in r),
        "equivalents": equivalent,
        **incremental,
    }


def natural(name: str) -> tuple[str, int]:
    stem, _, n = name.rpartition("_")
    return stem, int(n) if n.isdigit() else 0


# -- incremental runs ------------------------------------------------------------------------


def function_sources(source: str) -> dict[str, str]:
    """Each top-level function's and method's text (decorators included) by the name
    `function_of` gives its mutants: mutmut numbers a function's mutants from its own text
    alone, so a function whose text is unchanged has the same mutants under the same names."""
    tree = ast.parse(source)
    lines = source.splitlines()

    def text(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return "\n".join(lines[start - 1 : node.end_lineno])

    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[node.name] = text(node)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                    out[f"{node.name}.{sub.name}"] = text(sub)
    return out


def mangled(module: str, function: str) -> str:
    """mutmut's name stem for a function's mutants (the inverse of `function_of`)."""
    cls, _, name = function.rpartition(".")
    return f"{dotted(module)}.xǁ{cls}ǁ{name}" if cls else f"{dotted(module)}.x_{function}"


class Carry:
    """What an incremental run takes from a module's earlier result (mutation.json): the
    functions whose text is the same at HEAD as at the earlier run's commit keep that run's
    verdicts — their mutants it killed count as killed without running again (`carried`), its
    survivors and equivalents run again — and every mutant of a changed or new function runs.
    Tests only grew since (a kill is not re-proven, which is what makes it fast); the earlier
    run's timeouts, not named in mutation.json, stay timeouts."""

    def __init__(self, module: str, prior: dict[str, Any], head_source: str, old_source: str):
        self.since = str(prior["commit"])
        head, old = function_sources(head_source), function_sources(old_source)
        self.unchanged = {f for f, text in head.items() if old.get(f) == text}
        self.rerun = {
            r["mutant"]
            for r in (*prior.get("survivors", []), *prior.get("equivalents", []))
            if function_of(r["mutant"]) in self.unchanged
        }
        self.prior_timeouts = int(prior.get("timeout", 0))
        self.patterns = sorted(self.rerun) + [
            f"{mangled(module, f)}__mutmut_*" for f in sorted(set(head) - self.unchanged)
        ]

    def carries(self, mutant: str) -> bool:
        return function_of(mutant) in self.unchanged and mutant not in self.rerun


def patterns_for(module: str, carry: Carry | None) -> list[str]:
    """The mutants of the module mutmut is asked to run."""
    return carry.patterns if carry is not None else [f"{dotted(module)}.x*"]


def unfinished(work: Path, modules: list[str], patterns: list[str]) -> list[str]:
    """The mutants of an earlier, interrupted run in `work` that these patterns select and that
    have no result yet, by name (mutmut reruns every mutant a pattern names, done or not)."""
    names: list[str] = []
    for module in modules:
        meta = work / "mutants" / (module + ".meta")
        if meta.exists():
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            names += [
                k
                for k, code in codes.items()
                if code is None and any(fnmatch.fnmatchcase(k, p) for p in patterns)
            ]
    return sorted(names)


def carry_for(module: str, prior: dict[str, Any] | None, work: Path) -> Carry | None:
    """The module's carry from its earlier result, or None (no earlier result, or its commit
    is not in this clone's history): then every mutant runs."""
    if not prior or not prior.get("commit"):
        return None
    try:
        old_source = git_in(work, "show", f"{prior['commit']}:{module}")
    except subprocess.CalledProcessError:
        return None
    head_source = (work / module).read_text(encoding="utf-8")
    return Carry(module, prior, head_source, old_source)


def mutmut_diffs(work: Path, module: str, names: list[str]) -> dict[str, str]:
    """Each mutant's diff as `mutmut show` prints it, read in one child process (a `mutmut show`
    per survivor took seconds each on a loaded machine)."""
    if not names:
        return {}
    return dict(json.loads(child(work, ["--diffs", module, *names])))


# -- running mutmut --------------------------------------------------------------------------


def child(work: Path, args: list[str], *, log: Path | None = None) -> str:
    """Run mutmut (patched, see `_patch_mutmut`) in `work`; its output goes to `log` if given
    (mutmut draws a progress line per mutant), else is returned."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--mutmut-child", *args]
    if log is not None:
        with log.open("w") as f:
            proc = subprocess.run(
                cmd, cwd=work, env=env, text=True, check=False, stdout=f, stderr=subprocess.STDOUT
            )
    else:
        proc = subprocess.run(cmd, cwd=work, env=env, text=True, check=False, capture_output=True)
    if proc.returncode != 0:
        where = f"see {log}" if log is not None else proc.stdout[-3000:] + proc.stderr[-3000:]
        raise SystemExit(f"mutmut {' '.join(args)} failed ({proc.returncode}): {where}")
    return "" if log is not None else proc.stdout


def configure(work: Path, modules: list[str], tests: list[str]) -> None:
    """Point mutmut at these modules and tests: a [tool.mutmut] table in the worktree's copy
    of pyproject.toml (a throwaway file)."""
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").split("\n[tool.mutmut]\n")[0]
    table = {
        "source_paths": ["t2t/"],
        "only_mutate": modules,
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"],
        "use_git_change_detection": False,
        # what the tests read beside tests/ (mutmut copies tests/ and pyproject.toml itself)
        "also_copy": ["specs/", "docs/", "README.md", "Makefile", "DESIGN.md"],
    }
    lines = [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    pyproject.write_text(text + "\n[tool.mutmut]\n" + "\n".join(lines) + "\n", encoding="utf-8")


def run(
    modules: list[str],
    jobs: int,
    keep: bool,
    worktree: Path | None,
    collect_only: bool = False,
    tests: list[str] | None = None,
    incremental: bool = False,
    resume: bool = False,
) -> dict[str, dict[str, Any]]:
    if worktree is not None:
        work, keep = worktree.resolve(), True
        commit = git_in(work, "rev-parse", "HEAD")
    else:
        commit = git("rev-parse", "HEAD")
        work = Path(tempfile.mkdtemp(prefix="t2t-mutation-"))
        work.rmdir()
        git("worktree", "add", "--detach", str(work), commit)
    equivalents = load_equivalents()
    prior: dict[str, Any] = (
        json.loads(RESULTS.read_text()).get("modules", {}) if RESULTS.exists() else {}
    )
    carries = {m: carry_for(m, prior.get(m), work) for m in modules} if incremental else {}
    for m, c in carries.items():
        if c is not None and not c.patterns:
            print(f"== {m}: unchanged since {c.since} with nothing to run again: kept", flush=True)
    modules = [m for m in modules if (c := carries.get(m)) is None or c.patterns]
    out: dict[str, dict[str, Any]] = {}
    try:
        groups: dict[tuple[str, ...], list[str]] = {}
        for m in modules:
            groups.setdefault(tuple(tests or selection_for(m)), []).append(m)
        for selected, group in groups.items():
            print(f"== {' '.join(group)} (tests: {' '.join(selected)})", flush=True)
            started = dt.datetime.now()
            if not collect_only:
                if not resume:
                    shutil.rmtree(work / "mutants", ignore_errors=True)
                configure(work, group, list(selected))
                log = work / "mutants" / "run.log"
                log.parent.mkdir(exist_ok=True)
                try:
                    patterns = [p for m in group for p in patterns_for(m, carries.get(m))]
                    if resume:
                        patterns = unfinished(work, group, patterns)
                    child(work, ["run", "--max-children", str(jobs), *patterns], log=log)
                except SystemExit:
                    if any(mutant_count(work, m) for m in group):
                        raise
                    print("   no mutants", flush=True)
            seconds = round((dt.datetime.now() - started).total_seconds())
            for module in group:
                result = collect(work, module, equivalents, carry=carries.get(module))
                result["tests"] = list(selected)
                if not collect_only:
                    # the group's run: its clean run and every module's mutants
                    result["seconds"] = seconds
                    result["run_with"] = [m for m in group if m != module]
                out[module] = result
                print(
                    f"   {module}: {result['mutants']} mutants, {result['killed']} killed, "
                    f"{result['survived']} survived, {result['equivalent']} equivalent, "
                    f"score {result['score']}",
                    flush=True,
                )
                write(out, commit)
    finally:
        if keep:
            print(f"worktree kept: {work} (git worktree remove --force {work})")
        else:
            git("worktree", "remove", "--force", str(work))
    return out


def mutant_count(work: Path, module: str) -> int | None:
    meta = work / "mutants" / (module + ".meta")
    if not meta.exists():
        return None
    return len(json.loads(meta.read_text())["exit_code_by_key"] or {})


def write(new: dict[str, dict[str, Any]], commit: str) -> None:
    old: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    modules: dict[str, Any] = old.get("modules", {})
    today = dt.date.today().isoformat()
    for name, result in new.items():
        modules[name] = {**result, "commit": commit[:12], "date": today}
    modules = dict(sorted(modules.items()))
    keys = ("mutants", "killed", "survived", "timeout", "no_tests", "equivalent")
    total = {k: sum(m[k] for m in modules.values()) for k in keys}
    scored = total["mutants"] - total["equivalent"]
    total["score"] = round(total["killed"] / scored, 4) if scored else None
    everything = expand(list(DEFAULT_TARGETS))
    doc = {
        "tool": f"mutmut {MUTMUT_VERSION} (decorated functions mutated too, see the script)",
        "score": "killed / (mutants - equivalent)",
        "selection": SELECTION,
        "total": total,
        "not_run": [m for m in everything if m not in modules],
        "modules": modules,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(RESULTS)


def table(doc: dict[str, Any]) -> str:
    """mutation.json as the README's Markdown table: one row per module measured, then the
    total; `tests` is `selection` for the module's SELECTION, `fast` for a `--tests` run (a
    lower bound), and `carried` counts the kills an incremental run took from an earlier one."""
    rows = [
        "| module | commit | tests | mutants | killed (carried) | equivalent | survived "
        "| timeout | no tests | untriaged | score |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in doc["modules"].items():
        if not m["mutants"]:
            continue
        tests = "selection" if m["tests"] == selection_for(name) else "fast"
        score = f"{m['score'] * 100:.1f} %" if m["score"] is not None else "–"
        rows.append(
            f"| `{name}` | {m['commit'][:7]} | {tests} | {m['mutants']} | {m['killed']} "
            f"({m.get('carried', 0)}) | {m['equivalent']} | {m['survived']} | {m['timeout']} "
            f"| {m['no_tests']} | {m.get('untriaged', m['survived'])} | {score} |"
        )
    t = doc["total"]
    measured = sum(1 for m in doc["modules"].values() if m["mutants"])
    rows.append(
        f"| all {measured} with mutants | | | {t['mutants']} | {t['killed']} | {t['equivalent']} "
        f"| {t['survived']} | {t['timeout']} | {t['no_tests']} | | {t['score'] * 100:.1f} % |"
    )
    return "\n".join(rows)


def git(*args: str) -> str:
    return git_in(ROOT, *args)


def git_in(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(where), *args], check=True, text=True, capture_output=True
    ).stdout.strip()


# -- inside the child process: mutmut, patched -----------------------------------------------


def _decorator_name(decorator: Any) -> str | None:
    import libcst as cst

    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Name):
        return str(node.value)
    return None


def _mutable(function: Any) -> bool:
    names = [_decorator_name(d) for d in function.decorators]
    return bool(names) and all(n in MUTABLE_DECORATORS for n in names)


def _patch_mutmut() -> None:
    """Let mutmut mutate functions decorated only by `MUTABLE_DECORATORS`.

    mutmut skips a decorated function because its copies (the original and each mutant) would
    run the decorator again; here the copies lose their decorators and only the trampoline —
    the function the module exposes — keeps them, as the original did."""
    import libcst as cst
    from mutmut.mutation import file_mutation as fm

    skip = fm.MutationVisitor._skip_node_and_children

    def skip_unless_mutable(self: Any, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef) and _mutable(node):
            decorators = node.decorators
            object.__setattr__(node, "decorators", ())
            try:
                return bool(skip(self, node))
            finally:
                object.__setattr__(node, "decorators", decorators)
        return bool(skip(self, node))

    arrange = fm.function_trampoline_arrangement

    def arrange_undecorated_copies(function: Any, mutants: Any, class_name: Any) -> Any:
        declarations, nodes, assignments, names = arrange(function, mutants, class_name)
        if _mutable(function):
            nodes = [nodes[0], *(n.with_changes(decorators=[]) for n in nodes[1:])]
        return declarations, nodes, assignments, names

    fm.MutationVisitor._skip_node_and_children = skip_unless_mutable  # type: ignore[method-assign]
    fm.function_trampoline_arrangement = arrange_undecorated_copies


#: A mutant's run idle this long (wall seconds) having used less than `IDLE_CPU_SECONDS` of CPU
#: is hung — deadlocked on a future, as the `$batch` coalescer's mutants do — and ends as a
#: timeout now: mutmut's own wall timeout (estimated test time x 15) held such runs for over
#: twenty minutes each, filling every child slot.
IDLE_WALL_SECONDS = 600.0
IDLE_CPU_SECONDS = 10.0


def hung(wall_seconds: float, cpu_seconds: float) -> bool:
    return wall_seconds > IDLE_WALL_SECONDS and cpu_seconds < IDLE_CPU_SECONDS


def proc_times(stat: str, ticks: int, uptime: float) -> tuple[float, float]:
    """(wall, cpu) seconds of a process from its /proc/<pid>/stat line (proc(5): utime and
    stime are fields 14 and 15, starttime 22, in clock ticks; the name in parentheses may hold
    spaces, so fields are counted after its closing parenthesis)."""
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return uptime - int(fields[19]) / ticks, cpu


def _stop_hung_mutants(period: float = 30.0) -> None:
    """Send SIGXCPU — the signal mutmut's wall timeout sends (mutmut/workers/timeout.py), so
    the run is recorded as a timeout — to every mutant's run (`mutmut: <name>` processes)
    that `hung`."""
    import signal
    import time

    ticks = os.sysconf("SC_CLK_TCK")
    while True:
        time.sleep(period)
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        for proc in Path("/proc").iterdir():
            try:
                if not proc.name.isdigit():
                    continue
                if not (proc / "cmdline").read_bytes().startswith(b"mutmut: "):
                    continue
                wall, cpu = proc_times((proc / "stat").read_text(), ticks, uptime)
                if hung(wall, cpu):
                    print(f"hung {wall:.0f} s at {cpu:.1f} s CPU: timeout", flush=True)
                    os.kill(int(proc.name), signal.SIGXCPU)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile


def _mutmut_child(args: list[str]) -> None:
    import mutmut

    if args[:1] == ["--diffs"]:  # mutmut_diffs: mutmut's own diff of each named mutant
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        module, names = args[1], args[2:]
        print(json.dumps({n: get_diff_for_mutant(n, path=module) for n in names}))
        return

    if mutmut.__version__ != MUTMUT_VERSION:
        raise SystemExit(
            f"mutmut {MUTMUT_VERSION} expected (the patch depends on it), "
            f"found {mutmut.__version__}: pip install mutmut=={MUTMUT_VERSION}"
        )
    _patch_mutmut()
    if args[:1] == ["run"] and Path("/proc/uptime").exists():
        import threading

        threading.Thread(target=_stop_hung_mutants, daemon=True).start()
    from mutmut.__main__ import cli

    cli(args)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--mutmut-child":
        _mutmut_child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "targets",
        nargs="*",
        default=list(DEFAULT_TARGETS),
        help="modules or folders (default: t2t/planner t2t/apply)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the worktree for inspection")
    parser.add_argument(
        "--worktree",
        type=Path,
        help="use this existing worktree (kept) instead "
        "of a fresh one of HEAD: to try new tests before committing them",
    )
    parser.add_argument(
        "--collect-only",
        action="store_true",
        help="with --worktree: read the results of an earlier run there, run nothing",
    )
    parser.add_argument(
        "--tests",
        nargs="+",
        metavar="PATH",
        help="run each mutant against these tests instead of its module's SELECTION: a faster "
        "run whose score is a lower bound (a mutant only the other tests kill counts as "
        "survived); mutation.json records the tests used",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="take each module's earlier result in mutation.json: run only the mutants of the "
        "functions changed since its commit and its earlier survivors and equivalents; the rest "
        "keep their earlier verdict (`carried` in mutation.json)",
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="print mutation.json as the README's Markdown table and run nothing",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="with --worktree: go on with an interrupted run there (same modules and options), "
        "running only the mutants it has no result for",
    )
    a = parser.parse_args()
    if a.table:
        print(table(json.loads(RESULTS.read_text(encoding="utf-8"))))
        return
    modules = expand(a.targets)
    unknown = [m for m in modules if not re.match(r"t2t/(planner|apply)/", m)]
    if unknown:
        raise SystemExit(f"only t2t/planner and t2t/apply are mutated: {unknown}")
    if (a.collect_only or a.resume) and a.worktree is None:
        raise SystemExit("--collect-only reads an earlier run: give its --worktree")
    run(modules, a.jobs, a.keep, a.worktree, a.collect_only, a.tests, a.incremental, a.resume)
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
