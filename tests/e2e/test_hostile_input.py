"""No malformed input ever reaches a tenant: `t2t plan` and `t2t apply`, run as a user runs
them against the session's sandbox, refuse every case of the corpus with a clear error that
names the file (and, for specs and CSVs, the line and column), exit non-zero, print no
traceback, and leave the sandbox without a single write — its counters
(`GET /_sandbox/stats`), its Graph write log and its Exchange request log say so.

The corpus: every case of tests/data/specs/invalid, hostile specs and CSV files made here (too
large to keep in git, or not files at all), and saved plans tampered with or cut short. A
spec, CSV or saved plan refused as unreadable sends nothing at all; a saved plan edited and
resealed (its checksum recomputed, as a careful attacker would) passes the file's own checks,
so apply re-reads the tenants — reads only — and refuses it as stale. One control applies the
untouched plan and sees the sandbox count its writes, so that zero means something.

Each case runs the CLI's real entry point in a process of its own, forked from one that has
imported t2t once (tests/e2e/forked_cli.py): a hundred cases cost seconds, not minutes. A test
shows that such a run prints and exits exactly as `python -m t2t` does.
"""

from __future__ import annotations

import json
import os
import random
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from t2t.spec.limits import (
    CSV_MAX_BYTES,
    CSV_MAX_ROWS,
    SHOWN_CHARS,
    SPEC_MAX_BYTES,
    VALUE_MAX_CHARS,
    printable,
)
from tests.apply.saved_files import edited, reseal, with_top_level
from tests.conftest import SandboxHandle
from tests.e2e.forked_cli import ForkedCli
from tests.e2e.helpers import ROOT, run

INVALID = sorted(p for p in (ROOT / "tests" / "data" / "specs" / "invalid").iterdir() if p.is_dir())
SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"
#: A spec error as t2t prints it: PATH:LINE:COL: message.
_POSITIONED = re.compile(r"^(?P<path>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): \S")


def _state(sandbox: SandboxHandle) -> Path:
    return sandbox.server.state_dir


@pytest.fixture(scope="module")
def cli() -> Iterator[ForkedCli]:
    with ForkedCli() as forked:
        yield forked


def _t2t(cli: ForkedCli, sandbox: SandboxHandle, *args: str) -> CompletedProcess[str]:
    """`t2t ARGS` against the session's sandbox, in a process of its own (forked_cli.py)."""
    return cli.run(*args, env={"T2T_SANDBOX": str(_state(sandbox))})


def _writes(sandbox: SandboxHandle) -> dict[str, Any]:
    """Everything the sandbox saw written: its counters and both write logs."""
    graph = sandbox.http.get(f"{sandbox.base_url}/_sandbox/graph/writes").json()["writes"]
    exchange = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests").json()
    return {
        "counted": sandbox.stats()["writes"],
        "graph": graph,
        "exchange": [
            r["cmdlet"]
            for r in exchange["requests"]
            if not str(r["cmdlet"]).startswith(("Get-", "Test-"))
        ],
    }


_NONE = {"counted": 0, "graph": [], "exchange": []}


def _clean_refusal(out: Any, *, named: Path) -> None:
    """Non-zero, no traceback, nothing unprintable or huge, and the file named."""
    assert out.returncode != 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    assert all(line.isprintable() for line in out.stderr.splitlines()), out.stderr[:2000]
    assert len(out.stderr) < 20_000, out.stderr[:500]
    assert str(named) in out.stderr, out.stderr


def _positioned(stderr: str, folder: Path) -> list[str]:
    """The error lines, each checked to be PATH:LINE:COL for a file of ``folder``."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines
    for line in lines:
        found = _POSITIONED.match(line)
        assert found is not None, line
        assert Path(found["path"]).is_relative_to(folder), line
    return lines


# -- the project's corpus of invalid specs ------------------------------------------------


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_spec_is_refused_before_anything_is_sent(
    cli: ForkedCli, sandbox: SandboxHandle, case: Path
) -> None:
    out = _t2t(cli, sandbox, "apply", "--auto-approve", str(case / "spec.yaml"))
    _clean_refusal(out, named=case)
    assert out.returncode == 1
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert _positioned(out.stderr, case) == [printable(f"{case}/{line}") for line in expected]
    assert sandbox.stats()["total"] == 0  # not even a token was asked for
    assert _writes(sandbox) == _NONE


# -- hostile specs and CSV files ---------------------------------------------------------


def _folder(tmp: Path) -> Path:
    folder = tmp / "spec"
    folder.mkdir()
    return folder


def _spec(
    tmp: Path, edit: Callable[[str], str] = lambda text: text, csv: bytes | None = None
) -> Path:
    """specs/contoso-to-fabrikam.yaml, edited, in a folder of its own (naming wave.csv, with
    these bytes, when ``csv`` is given)."""
    folder = _folder(tmp)
    text = SPEC.read_text(encoding="utf-8")
    if csv is not None:
        last = "    - nestor@contoso.com\n"
        text = text.replace(last, last + "    - {csv: wave.csv}\n", 1)
        (folder / "wave.csv").write_bytes(csv)
    spec = folder / "spec.yaml"
    spec.write_text(edit(text), encoding="utf-8")
    return spec


def _replace(find: str, replace: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert find in text
        return text.replace(find, replace, 1)

    return edit


def _raw_spec(tmp: Path, data: bytes) -> Path:
    spec = _folder(tmp) / "spec.yaml"
    spec.write_bytes(data)
    return spec


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:  # no disk space used: t2t refuses it by its size alone
        handle.truncate(size)
    return path


def _garbage(seed: int) -> bytes:
    return random.Random(seed).randbytes(4096)


def _alias_bomb(tmp: Path) -> Path:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return _spec(tmp, _replace("version: 1\n", "version: 1\n" + "\n".join(lines) + "\n"))


def _csv_as(tmp: Path, make: Callable[[Path], object]) -> Path:
    """The spec naming wave.csv, which ``make`` turns into something that is no CSV file."""
    spec = _spec(tmp, csv=b"")
    (spec.parent / "wave.csv").unlink()
    make(spec.parent / "wave.csv")
    return spec


def _rows(count: int) -> bytes:
    rows = (b"u%d@contoso.com,u%d@fabrikam.com\n" % (i, i) for i in range(count))
    return HEADER + b"".join(rows)


HEADER = b"SourceEmail,TargetEmail\n"
ROW = b"adele@contoso.com,adele@fabrikam.com\n"
BIG = "x" * 10_000_000

#: name → (how to make the spec, what the error must show)
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "spec-10mb-value": (
        lambda t: _spec(t, _replace("name: contoso-to-fabrikam", f"name: {BIG}")),
        f"bytes; t2t reads at most {SPEC_MAX_BYTES // (1024 * 1024)} MiB",
    ),
    "spec-2mb-value": (
        lambda t: _spec(t, _replace("name: contoso-to-fabrikam", f"name: {BIG[:2_000_000]}")),
        f"this value is too long: '{'x' * SHOWN_CHARS}…' (2,000,000 characters); t2t reads at most"
        f" {VALUE_MAX_CHARS:,} characters in one",
    ),
    "spec-long-key": (
        lambda t: _spec(t, _replace("version: 1\n", "version: 1\n? " + "k" * 5000 + "\n: 1\n")),
        f"this key is too long: '{'k' * SHOWN_CHARS}…' (5,000 characters)",
    ),
    "spec-deep-flow": (
        lambda t: _spec(t, _replace("version: 1\n", "version: 1\nx: " + "[" * 50_000 + "\n")),
        "the spec nests deeper than 64 levels",
    ),
    "spec-deep-block": (
        lambda t: _spec(
            t,
            _replace(
                "version: 1\n", "version: 1\n" + "".join(" " * i + "k:\n" for i in range(200))
            ),
        ),
        "the spec nests deeper than 64 levels",
    ),
    "spec-alias-bomb": (_alias_bomb, "the spec expands to too many values through YAML aliases"),
    "spec-oversize": (lambda t: _sparse(_spec(t), SPEC_MAX_BYTES + 1), "t2t reads at most 8 MiB"),
    "spec-binary-garbage": (lambda t: _raw_spec(t, _garbage(16)), "the spec is not UTF-8 text"),
    "spec-latin-1": (
        lambda t: _raw_spec(
            t,
            SPEC.read_text(encoding="utf-8")
            .replace("Source", "Sourcé", 1)
            .encode("latin-1", "replace"),
        ),
        "the spec is not UTF-8 text (byte 0xe9); save it as UTF-8",
    ),
    "spec-utf-16": (
        lambda t: _raw_spec(t, SPEC.read_text(encoding="utf-8").encode("utf-16")),
        "the spec is not UTF-8 text (byte 0xff)",
    ),
    "spec-terminal-escapes": (
        lambda t: _spec(t, _replace("name: contoso-to-fabrikam", r'name: "evil\e[2J\u202e"')),
        r"'evil\x1b[2J\u202e' is not a usable name",
    ),
    "spec-is-a-folder": (lambda t: _folder(t), "cannot read the spec: it is a folder, not a file"),
    "spec-missing": (lambda t: t / "nowhere.yaml", "cannot read the spec: no such file"),
    "spec-fifo": (
        lambda t: (os.mkfifo(t / "spec.yaml"), t / "spec.yaml")[1],
        "cannot read the spec: it is not a regular file (a device, pipe or socket)",
    ),
    "csv-10mb-field": (
        lambda t: _spec(t, csv=HEADER + BIG.encode() + b"@contoso.com,b@fabrikam.com\n"),
        f"this row is too long: '{'x' * SHOWN_CHARS}…' (10,000,027 characters)",
    ),
    "csv-long-cell": (
        lambda t: _spec(t, csv=HEADER + ROW + b"a" * 5000 + b"@contoso.com,b@fabrikam.com\n"),
        f"wave.csv:3:1: this cell is too long: '{'a' * SHOWN_CHARS}…' (5,012 characters)",
    ),
    "csv-too-many-rows": (
        lambda t: _spec(t, csv=_rows(CSV_MAX_ROWS + 1)),
        f"wave.csv:{CSV_MAX_ROWS + 2}:1: the CSV file has more than {CSV_MAX_ROWS:,} rows",
    ),
    "csv-oversize": (
        lambda t: _csv_as(t, lambda p: _sparse(p, CSV_MAX_BYTES + 1)),
        "the CSV file is 33,554,433 bytes; t2t reads at most 32 MiB",
    ),
    "csv-binary-garbage": (lambda t: _spec(t, csv=_garbage(64)), "wave.csv:1:"),
    "csv-latin-1": (
        lambda t: _spec(t, csv=HEADER + "zoë@contoso.com,zoe@fabrikam.com\n".encode("latin-1")),
        "wave.csv:2:3: the CSV file is not UTF-8 text (byte 0xeb); save it as UTF-8",
    ),
    "csv-is-a-folder": (
        lambda t: _csv_as(t, lambda p: p.mkdir()),
        "wave.csv:1:1: cannot read the CSV file: it is a folder, not a file",
    ),
    "csv-fifo": (
        lambda t: _csv_as(t, os.mkfifo),
        "wave.csv:1:1: cannot read the CSV file: it is not a regular file",
    ),
    "csv-symlink-to-dev-zero": (
        lambda t: _csv_as(t, lambda p: p.symlink_to("/dev/zero")),
        "'wave.csv' leaves the spec's folder through a symbolic link",
    ),
    "csv-missing": (
        lambda t: _csv_as(t, lambda p: None),
        "wave.csv:1:1: cannot read the CSV file: no such file",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_spec_or_csv_is_refused_before_anything_is_sent(
    cli: ForkedCli, sandbox: SandboxHandle, tmp_path: Path, name: str
) -> None:
    build, shown = HOSTILE[name]
    spec = build(tmp_path)
    for command in (["plan"], ["apply", "--auto-approve"]):
        out = _t2t(cli, sandbox, *command, str(spec))
        _clean_refusal(out, named=tmp_path)  # the spec, or the CSV at fault beside it
        assert out.returncode == 1
        _positioned(out.stderr, tmp_path)
        assert shown in out.stderr, out.stderr[:2000]
    assert sandbox.stats()["total"] == 0
    assert _writes(sandbox) == _NONE


# -- saved plans tampered with ------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(_sandbox_handle: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A plan of specs/contoso-to-fabrikam.yaml saved against the sandbox's seed state."""
    _sandbox_handle.reset()
    path = tmp_path_factory.mktemp("saved") / "plan.json"
    made = run("plan", str(SPEC), "--out", str(path), state=_sandbox_handle.server.state_dir)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # owner-only, as `t2t plan --out` wrote it
    data = path.read_bytes()
    assert len(json.loads(data)["plan"]["actions"]) > 10
    return data


def _set_parameter(plan: dict[str, Any]) -> None:
    action = next(a for a in plan["actions"] if a["parameters"])
    key = sorted(action["parameters"])[0]
    action["parameters"][key] = "tampered"


def _rename_action(plan: dict[str, Any]) -> None:
    plan["actions"][0]["id"] += "-renamed"


def _remove_action(plan: dict[str, Any]) -> None:
    del plan["actions"][-1]


def _cmdlet(plan: dict[str, Any]) -> None:
    plan["actions"][0]["cmdlet"] = "Remove-OrganizationRelationship"


def _unknown_field(plan: dict[str, Any]) -> None:
    plan["actions"][0]["run_as"] = "Global Administrator"


def _version(document: dict[str, Any]) -> None:
    document["t2t_version"] = "9.9.9"


def _digits(data: bytes) -> bytes:
    start = data.index(b'"sha256": "') + len('"sha256": "')
    return data[:start] + bytes(reversed(data[start : start + 64])) + data[start + 64 :]


#: name → (the file made from the pristine plan's bytes, what the error must show, whether
#: apply may read the tenants first: only a resealed edit gets that far)
TAMPERED: dict[str, tuple[Callable[[bytes], bytes], str, bool]] = {
    "parameter-changed": (
        lambda d: edited(d, _set_parameter, seal=False),
        "the content does not match its checksum",
        False,
    ),
    "parameter-changed-resealed": (
        lambda d: edited(d, _set_parameter),
        "would now send different parameters",
        True,
    ),
    "action-id-changed": (
        lambda d: edited(d, _rename_action, seal=False),
        "the content does not match its checksum",
        False,
    ),
    "action-id-changed-resealed": (
        lambda d: edited(d, _rename_action),
        "-renamed: no longer needed",
        True,
    ),
    "action-removed": (
        lambda d: edited(d, _remove_action, seal=False),
        "the content does not match its checksum",
        False,
    ),
    "action-removed-resealed": (
        lambda d: edited(d, _remove_action),
        "a new change appeared that the saved plan does not hold",
        True,
    ),
    "cmdlet-changed-resealed": (
        lambda d: edited(d, _cmdlet),
        "its cmdlet differ from a fresh plan's",
        True,
    ),
    "truncated-at-1": (lambda d: d[:1], "not a t2t saved plan", False),
    "truncated-at-60": (lambda d: d[:60], "the checksum is missing", False),
    "truncated-at-500": (lambda d: d[:500], "the content does not match its checksum", False),
    "truncated-in-half": (lambda d: d[: len(d) // 2], "was changed or cut short", False),
    "truncated-by-2": (lambda d: d[:-2], "was changed or cut short", False),
    "empty": (lambda d: b"", "not a t2t saved plan", False),
    "another-format": (
        lambda d: d.replace(b"t2t-saved-plan/3", b"t2t-saved-plan/2", 1),
        "saved in format 't2t-saved-plan/2'; this t2t reads t2t-saved-plan/3 only",
        False,
    ),
    "another-t2t-resealed": (
        lambda d: with_top_level(d, _version),
        "made by t2t '9.9.9'",
        False,
    ),
    "checksum-mismatch": (_digits, "the content does not match its checksum", False),
    "unknown-field-resealed": (
        lambda d: edited(d, _unknown_field),
        "unknown field at plan.actions[0].run_as",
        False,
    ),
    "reformatted": (
        lambda d: json.dumps(json.loads(d), indent=4).encode(),
        "the checksum is missing from the first line",
        False,
    ),
    "binary-garbage": (lambda d: _garbage(32), "not a t2t saved plan", False),
    "json-bomb-resealed": (
        lambda d: reseal(d.replace(b'"notices": [', b'"notices": [' + b"[" * 200_000, 1)),
        "Invalid JSON: recursion limit exceeded",
        False,
    ),
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_tampered_saved_plan_never_writes(
    cli: ForkedCli, sandbox: SandboxHandle, pristine: bytes, tmp_path: Path, name: str
) -> None:
    make, shown, reads = TAMPERED[name]
    path = tmp_path / "plan.json"
    path.write_bytes(make(pristine))
    out = _t2t(cli, sandbox, "apply", str(path))
    _clean_refusal(out, named=path)
    assert out.returncode == 1
    assert f"error: {path}: " in out.stderr, out.stderr
    assert shown in out.stderr, out.stderr
    if not reads:
        assert sandbox.stats()["total"] == 0  # refused before anything was sent
    assert _writes(sandbox) == _NONE


@pytest.mark.parametrize("what", ["folder", "missing"])
def test_a_saved_plan_that_is_no_file_is_refused(
    cli: ForkedCli, sandbox: SandboxHandle, tmp_path: Path, what: str
) -> None:
    path = tmp_path / "plan.json"
    if what == "folder":
        path.mkdir()
    out = _t2t(cli, sandbox, "apply", str(path))
    _clean_refusal(out, named=path)
    shown = "it is a folder, not a file" if what == "folder" else "no such file"
    assert f"error: {path}: cannot read the saved plan: {shown}" in out.stderr
    assert sandbox.stats()["total"] == 0


def test_a_plan_whose_spec_changed_is_refused_before_anything_is_sent(
    cli: ForkedCli, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    path = tmp_path / "plan.json"
    assert _t2t(cli, sandbox, "plan", str(spec), "--out", str(path)).returncode == 0
    spec.write_text(
        spec.read_text().replace("maxConcurrentMigrations: 20", "maxConcurrentMigrations: 21")
    )
    sandbox.reset()
    out = _t2t(cli, sandbox, "apply", str(path))
    _clean_refusal(out, named=path)
    assert f"error: {path}: the spec (or a CSV it reads) changed since the plan was made" in (
        out.stderr
    )
    assert sandbox.stats()["total"] == 0


def test_the_untouched_plan_does_write_so_zero_means_something(
    sandbox: SandboxHandle, pristine: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(pristine)
    out = run("apply", str(path), state=_state(sandbox))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    writes = _writes(sandbox)
    assert writes["counted"] > 0 and writes["graph"] and writes["exchange"]


@pytest.mark.parametrize(
    "args",
    [
        ("apply", "--auto-approve", str(INVALID[0] / "spec.yaml")),
        (
            "plan",
            str(ROOT / "tests" / "data" / "specs" / "invalid" / "csv_row_problems" / "spec.yaml"),
        ),
        ("validate", str(SPEC), str(INVALID[-1] / "spec.yaml")),
    ],
    ids=["apply", "plan", "validate"],
)
def test_a_forked_run_is_the_same_as_python_m_t2t(
    cli: ForkedCli, sandbox: SandboxHandle, args: tuple[str, ...]
) -> None:
    forked = _t2t(cli, sandbox, *args)
    real = run(*args, state=_state(sandbox))
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        real.returncode,
        real.stdout,
        real.stderr,
    )
    assert forked.returncode == 1 and forked.stdout + forked.stderr
