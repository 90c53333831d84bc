"""Fuzzing every reader of untrusted input: the YAML spec, the CSV files it names and the saved
plan. Whatever the bytes, each reader either loads them or raises t2t's own user-facing error,
naming the file, in a message of bounded length with nothing in it that could drive the
terminal — never another exception, a traceback or a MemoryError.

Inputs are valid files mutated the way accidents and attackers do (cut, spliced, repeated,
bytes flipped, hostile fragments inserted: aliases, deep brackets, control characters, invalid
UTF-8, long runs), so most examples get past the first line and reach the deeper checks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2t.apply.saved import SavedPlanError, load_saved_plan, save_plan
from t2t.spec import Desired, SpecInvalid, load_spec
from t2t.spec.csvfile import read_mailbox_csv
from t2t.spec.errors import ErrorSink, SpecError
from tests.apply.saved_files import ORIGIN, reseal
from tests.apply.scratch import scratch_action, scratch_plan

VALID = Path(__file__).resolve().parents[1] / "data" / "specs" / "valid"
CASES = ("minimal", "csv_forms", "yaml_niceties", "key_vault_register_app")
CSV = VALID / "csv_forms" / "waves" / "pairs.csv"

#: Longest message a reader may print for one error: values are quoted cut short.
MESSAGE_MAX = 1500

_FRAGMENTS = [
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"[" * 80,
    b"]" * 80,
    b"{" * 80,
    b"- " * 80,
    b"? ",
    b": ",
    b"!!python/object:os.system ",
    b"!!binary ",
    b"\t",
    b"\r",
    b"\x00",
    b"\x1b[2J",
    b"\xe2\x80\xae",  # U+202E, right-to-left override
    b"\xff\xfe",
    b"\xc3",
    b"\xef\xbb\xbf",
    b'"',
    b"'",
    b",",
    b"\n\n",
    b"x" * 3000,
    b"@" * 40,
    b"9" * 5000,
    b"1e999999",
    b"2026-02-30",
    b"csv: ../../etc/passwd",
    b"csv: /dev/zero",
    b"file:",
    b"env:",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
]


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` after a few random edits of the kinds files really suffer."""
    data = base
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 200)))
        edit = draw(st.sampled_from(["cut", "insert", "replace", "repeat", "flip", "truncate"]))
        piece = draw(st.sampled_from(_FRAGMENTS) | st.binary(min_size=1, max_size=40))
        if edit == "cut":
            data = data[:at] + data[end:]
        elif edit == "insert":
            data = data[:at] + piece + data[at:]
        elif edit == "replace":
            data = data[:at] + piece + data[end:]
        elif edit == "repeat":
            data = data[:at] + data[at:end] * draw(st.integers(2, 50)) + data[end:]
        elif edit == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif edit == "truncate":
            data = data[:at]
    return data


def _folder(tmp_path: Path, case: str) -> Path:
    """A fresh copy of a valid case (its CSV files included)."""
    folder = tmp_path / "case"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(VALID / case, folder)
    return folder


def _user_facing(errors: list[SpecError], folder: Path, named: Path) -> None:
    """Every error names a file of the case (``named`` among them) at a real position, in a
    bounded message that prints as it reads."""
    assert errors
    assert any(e.path == str(named) for e in errors)
    for error in errors:
        assert Path(error.path).is_relative_to(folder), error
        assert error.line >= 1 and error.col >= 1, error
        shown = str(error)
        assert len(shown) < MESSAGE_MAX, shown[:200]
        assert shown.isprintable(), shown[:200]


_FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_FUZZ
@given(st.data())
def test_any_spec_loads_or_is_refused_naming_the_file(tmp_path: Path, data: st.DataObject) -> None:
    folder = _folder(tmp_path, data.draw(st.sampled_from(CASES)))
    spec = folder / "spec.yaml"
    spec.write_bytes(data.draw(mutated(spec.read_bytes())))
    try:
        loaded = load_spec(spec, check_git=False)
    except SpecInvalid as exc:
        errors = exc.errors
        assert any(e.path == str(spec) for e in errors) or all(
            Path(e.path).suffix == ".csv" for e in errors
        )
        _user_facing(errors, folder, Path(errors[0].path))
    else:
        assert isinstance(loaded, Desired)


@_FUZZ
@given(st.data())
def test_any_csv_is_read_or_refused_naming_the_file(tmp_path: Path, data: st.DataObject) -> None:
    folder = _folder(tmp_path, "csv_forms")
    csv = folder / "waves" / "pairs.csv"
    csv.write_bytes(data.draw(mutated(CSV.read_bytes())))
    sink = ErrorSink()
    table = read_mailbox_csv(csv, str(csv), sink)
    if sink:
        _user_facing(sink.errors, folder, csv)
    else:
        assert table is not None
    try:
        load_spec(folder / "spec.yaml", check_git=False)
    except SpecInvalid as exc:
        _user_facing(exc.errors, folder, Path(exc.errors[0].path))


def _sealed_plan(path: Path) -> bytes:
    first = scratch_action("target:test.a:één").model_copy(
        update={"parameters": {"Name": "Zoë", "Values": [1, {"deep": [True, None, 2.5]}]}}
    )
    plan = scratch_plan(first, scratch_action("target:test.b:b", depends_on=(first.id,)))
    save_plan(plan, path, ORIGIN)
    return path.read_bytes()


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _sealed_plan(tmp_path_factory.mktemp("plan") / "plan.json")


@_FUZZ
@given(st.data())
def test_any_saved_plan_loads_or_is_refused_naming_the_file(
    tmp_path: Path, sealed: bytes, data: st.DataObject
) -> None:
    """Resealed or not, a changed file never loads unless it is still a whole, valid plan;
    an unsealed change never loads at all."""
    changed = data.draw(mutated(sealed))
    resealed = data.draw(st.booleans())
    if resealed:
        try:
            changed = reseal(changed)
        except ValueError:  # the checksum's place is gone: keep the file as it is
            resealed = False
    path = tmp_path / "plan.json"
    path.write_bytes(changed)
    try:
        loaded = load_saved_plan(path)
    except SavedPlanError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: "), message[:200]
        assert len(message) < MESSAGE_MAX, message[:200]
        assert message.isprintable(), message[:200]
        assert exc.path == path
    else:
        assert resealed or changed == sealed
        assert len(loaded.plan.actions) <= 2 * len(changed)
