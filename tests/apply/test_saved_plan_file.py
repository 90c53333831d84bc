"""The saved-plan file itself: sealed, owner-only, written all or nothing, and refused whole
(naming the file and what is wrong) when anything in it is not what t2t wrote."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

import t2t
from t2t.apply.origin import SandboxOrigin
from t2t.apply.saved import (
    SAVED_FORMAT,
    SavedPlanError,
    check_spec,
    load_saved_plan,
    looks_like_saved_plan,
    save_plan,
    staleness,
)
from t2t.planner import Plan
from t2t.planner.checks import finding
from t2t.planner.plan import spec_fingerprint
from t2t.spec.limits import SAVED_PLAN_MAX_BYTES, SHOWN_CHARS
from t2t.spec.loader import load_spec
from tests.apply.saved_files import ORIGIN, edited, reseal, with_top_level
from tests.apply.scratch import scratch_action, scratch_plan

ROOT = Path(__file__).resolve().parents[2]


def _plan() -> Plan:
    """Two actions with nested parameters and text beyond ASCII, and a finding."""
    first = scratch_action("target:test.a:één").model_copy(
        update={"parameters": {"Name": "Zoë", "Values": [1, {"deep": [True, None]}]}}
    )
    second = scratch_action("target:test.b:b", depends_on=(first.id,))
    warn = finding("T2T-E110", "target", "fabrikam", "IsDehydrated is $true", fixed_by_plan=False)
    return scratch_plan(first, second).model_copy(update={"findings": (warn,)})


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plan saved beside its spec (`t.yaml`, opened from the folder it is in)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "plan.json"
    save_plan(_plan(), path, ORIGIN)
    return path


def _refused(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    with pytest.raises(SavedPlanError) as caught:
        load_saved_plan(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert caught.value.path == path
    return message[len(f"{path}: ") :]


# -- written sealed, owner-only, all or nothing ------------------------------------------


def test_a_saved_plan_loads_back_equal(saved: Path) -> None:
    loaded = load_saved_plan(saved)
    assert loaded.plan == _plan()
    assert loaded.kind == SAVED_FORMAT
    assert loaded.t2t_version == t2t.__version__
    assert loaded.made_against == ORIGIN
    assert staleness(loaded.plan, _plan()) == []


def test_the_file_is_json_sealed_by_the_documented_recipe(saved: Path) -> None:
    data = saved.read_bytes()
    document = json.loads(data)
    assert list(document) == ["kind", "sha256", "t2t_version", "made_against", "plan"]
    assert document["made_against"] == {"kind": "sandbox", "state_dir": "/srv/t2t/.sandbox"}
    unsealed = data.replace(document["sha256"].encode(), b"0" * 64, 1)
    assert hashlib.sha256(unsealed).hexdigest() == document["sha256"]
    assert reseal(data) == data


def test_the_plan_is_one_value_a_line_to_be_read_and_diffed(saved: Path) -> None:
    """The plan's JSON indented one space a level (the file's first line is the seal)."""
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith('"plan": {')
    assert lines[1:3] == [' "format": 1,', ' "spec_name": "t",']
    assert ' "actions": [' in lines and "  {" in lines


def test_a_sandbox_folder_named_like_an_unsealed_checksum_is_sealed_right(tmp_path: Path) -> None:
    """The seal goes where t2t writes it, the first 64 zeros, whatever the origin holds."""
    zeros = SandboxOrigin(state_dir="/srv/" + "0" * 64)
    path = tmp_path / "plan.json"
    save_plan(_plan(), path, zeros)
    assert load_saved_plan(path).made_against == zeros


def test_the_file_is_owner_only_whatever_the_umask_and_whatever_was_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "plan.json"
    path.write_text("an older, world-readable file")
    path.chmod(0o644)
    old = os.umask(0)
    try:
        save_plan(_plan(), path, ORIGIN)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # no temporary left


def test_a_save_that_fails_leaves_the_old_plan_and_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "plan.json"  # a folder where the plan should go: the rename fails
    folder.mkdir()
    (folder / "inside").write_text("kept")
    with pytest.raises(OSError):
        save_plan(_plan(), folder, ORIGIN)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    assert (folder / "inside").read_text() == "kept"


_SAVER = """
import sys
import tempfile
from pathlib import Path
from t2t.apply.saved import save_plan
from tests.apply.saved_files import ORIGIN
from tests.apply.scratch import scratch_action, scratch_plan

big = {"Members": ["user%d@fabrikam.com" % i for i in range(100)]}
plans = [
    scratch_plan(*(scratch_action(f"target:test.x:{v}-{i}").model_copy(
        update={"parameters": big}) for i in range(1000)))
    for v in ("one", "two")
]
save_plan(plans[1], Path(sys.argv[1]), ORIGIN)
print("ready", flush=True)
n = 0
while True:
    save_plan(plans[n % 2], Path(sys.argv[1]), ORIGIN)
    n += 1
"""


def _whole(path: Path) -> None:
    plan = load_saved_plan(path).plan
    assert len(plan.actions) == 1000
    assert plan.actions[0].id in ("target:test.x:one-0", "target:test.x:two-0")


def test_a_plan_being_saved_or_killed_mid_save_is_always_whole(tmp_path: Path) -> None:
    """Read while another process saves it again and again, then after that process is
    killed mid-write: the plan on disk is always one whole plan."""
    path = tmp_path / "plan.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            _whole(path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    _whole(path)


# -- refused whole, naming the file -------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 1, 10, 40, 90, 200, -300, -3, -2, -1])
def test_a_truncated_plan_is_refused(saved: Path, offset: int) -> None:
    data = saved.read_bytes()
    cut = data[:offset] if offset >= 0 else data[: len(data) + offset]
    message = _refused(saved, cut)
    assert (
        "cut short" in message
        or message.startswith("not a t2t saved plan")
        or message.startswith("the checksum is missing")
    ), message


def test_every_changed_byte_breaks_the_seal(saved: Path) -> None:
    data = saved.read_bytes()
    sealed = data.index(b'"sha256": "') + len('"sha256": "') + len("0" * 64 + '", ')
    for at in range(len(data)):
        changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
        message = _refused(saved, changed)
        if at >= sealed:
            assert message.startswith("the content does not match its checksum"), (at, message)
        else:  # the first line: no longer the shape t2t writes, or another checksum
            assert message.startswith(
                (
                    "not a t2t saved plan",
                    "saved in format",
                    "the checksum is missing",
                    "the content does not match its checksum",
                )
            ), (at, message)


def test_a_changed_parameter_without_a_new_checksum_is_refused(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"][0]["parameters"]["Name"] = "Mallory"

    message = _refused(saved, edited(saved.read_bytes(), edit, seal=False))
    assert message == (
        f"the content does not match its checksum: the file was changed or cut short"
        f" ({saved.stat().st_size:,} bytes now) since t2t wrote it; make the plan again with"
        " `t2t plan --out`"
    )


def test_a_wrong_checksum_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    start = data.index(b'"sha256": "') + len('"sha256": "')
    message = _refused(saved, data[:start] + b"f" * 64 + data[start + 64 :])
    assert message.startswith("the content does not match its checksum")


def test_a_plan_of_another_format_is_refused(saved: Path) -> None:
    data = saved.read_bytes().replace(SAVED_FORMAT.encode(), b"t2t-saved-plan/2", 1)
    assert _refused(saved, data) == (  # format 2: no origin, the spec's path as given
        "saved in format 't2t-saved-plan/2'; this t2t reads t2t-saved-plan/3 only; make the"
        " plan again with `t2t plan --out`"
    )


def test_a_plan_of_another_t2t_is_refused(saved: Path) -> None:
    def edit(document: dict[str, Any]) -> None:
        document["t2t_version"] = "0.0.9"

    assert _refused(saved, with_top_level(saved.read_bytes(), edit)) == (
        f"made by t2t '0.0.9', this is t2t {t2t.__version__}; make the plan again with"
        " `t2t plan --out`"
    )


def test_an_unknown_field_is_refused_even_resealed(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"][1]["run_as"] = "Global Administrator"

    assert _refused(saved, edited(saved.read_bytes(), edit)) == (
        "unknown field at plan.actions[1].run_as; make the plan again with `t2t plan --out`"
    )


def test_an_unknown_top_level_field_is_refused_even_resealed(saved: Path) -> None:
    def edit(document: dict[str, Any]) -> None:
        document["approved_by"] = "nobody"

    assert _refused(saved, with_top_level(saved.read_bytes(), edit)) == (
        "unknown field at approved_by; make the plan again with `t2t plan --out`"
    )


def test_a_field_of_the_wrong_type_is_refused_even_resealed(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"][0]["risk"] = "harmless"
        plan["actions"][1]["depends_on"] = "x" * 5000

    message = _refused(saved, edited(saved.read_bytes(), edit))
    assert message.startswith("malformed saved plan at plan.actions[0].risk: Input should be")
    assert message.endswith(
        "(found 'harmless') (and 1 more problems); make the plan again with `t2t plan --out`"
    )


def test_a_huge_value_is_shown_cut_short(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["spec_name"] = ["x" * 10_000_000]

    message = _refused(saved, edited(saved.read_bytes(), edit))
    assert message == (
        "malformed saved plan at plan.spec_name: Input should be a valid string (found a list);"
        " make the plan again with `t2t plan --out`"
    )

    def edit_text(plan: dict[str, Any]) -> None:
        plan["format"] = "y" * 10_000_000

    message = _refused(saved, edited(saved.read_bytes(), edit_text))
    assert f"(found '{'y' * SHOWN_CHARS}…' (10,000,000 characters))" in message
    assert len(message) < 300


def test_json_broken_inside_a_resealed_plan_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    message = _refused(saved, reseal(data[:-2] + b",}\n"))
    assert message.startswith("Invalid JSON: "), message


def test_deeply_nested_json_is_refused_not_a_recursion_error(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"][0]["parameters"]["Name"] = "HOLE"

    data = edited(saved.read_bytes(), edit, seal=False)
    deep = data.replace(b'"HOLE"', b"[" * 100_000 + b"]" * 100_000)
    message = _refused(saved, reseal(deep))
    assert message.startswith("Invalid JSON: recursion limit exceeded"), message


def test_an_oversized_plan_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    with path.open("wb") as sparse:  # no disk space used: the size is all that is read
        sparse.truncate(SAVED_PLAN_MAX_BYTES + 1)
    with pytest.raises(SavedPlanError) as caught:
        load_saved_plan(path)
    assert str(caught.value) == (
        f"{path}: the saved plan is {SAVED_PLAN_MAX_BYTES + 1:,} bytes; t2t reads at most 1,024 MiB"
    )


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: None, "cannot read the saved plan: no such file"),
        (lambda p: p.mkdir(), "cannot read the saved plan: it is a folder, not a file"),
        (
            lambda p: os.mkfifo(p),
            "cannot read the saved plan: it is not a regular file (a device, pipe or socket)",
        ),
        (lambda p: p.write_bytes(b"\xff\xfe garbage \x00"), "not a t2t saved plan"),
        (lambda p: p.write_text("version: 1\nname: x\n"), "not a t2t saved plan"),
    ],
    ids=["missing", "folder", "pipe", "binary", "a-spec"],
)
def test_what_is_no_saved_plan_file_is_refused(tmp_path: Path, make: Any, problem: str) -> None:
    path = tmp_path / "plan.json"
    make(path)
    assert looks_like_saved_plan(path)  # by its name: refused as a plan, not read as a spec
    with pytest.raises(SavedPlanError) as caught:
        load_saved_plan(path)
    assert str(caught.value).startswith(f"{path}: {problem}")


def test_a_yaml_spec_is_not_taken_for_a_saved_plan(tmp_path: Path, saved: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\n")
    plan = tmp_path / "reviewed"
    plan.write_bytes(saved.read_bytes())
    assert not looks_like_saved_plan(spec)
    assert looks_like_saved_plan(plan)  # by its content
    assert not looks_like_saved_plan(tmp_path)


# -- a resealed edit still cannot run: apply compares it with a fresh plan ----------------


def _resealed(saved: Path, edit: Any) -> Plan:
    saved.write_bytes(edited(saved.read_bytes(), edit))
    return load_saved_plan(saved).plan


def test_a_changed_cmdlet_is_stale(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"][1]["cmdlet"] = "Remove-Mailbox"

    assert staleness(_resealed(saved, edit), _plan()) == [
        "target:test.b:b: its cmdlet differ from a fresh plan's"
    ]


def test_a_duplicated_action_is_stale(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"].append(plan["actions"][0])

    assert staleness(_resealed(saved, edit), _plan()) == ["target:test.a:één: listed twice"]


def test_reordered_actions_are_stale(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["actions"].reverse()

    assert staleness(_resealed(saved, edit), _plan()) == [
        "the actions are listed in another order than a fresh plan's"
    ]


def test_a_renamed_spec_is_stale(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["spec_name"] = "another"  # the lease is named after it

    assert staleness(_resealed(saved, edit), _plan()) == [
        "the plan's spec_name differs from the spec's"
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "true/false"), (7, "a number"), (1.5, "a number"), (None, "null"), ({}, "a mapping")],
)
def test_a_value_of_the_wrong_type_is_named_by_its_kind(
    saved: Path, value: object, shown: str
) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["spec_name"] = value

    assert _refused(saved, edited(saved.read_bytes(), edit)) == (
        f"malformed saved plan at plan.spec_name: Input should be a valid string (found {shown});"
        " make the plan again with `t2t plan --out`"
    )


def test_a_file_that_cannot_be_read_is_not_taken_for_a_saved_plan() -> None:
    """/proc/self/mem is a regular file whose first bytes cannot be read (address 0 is never
    mapped): the spec reader, not the saved-plan reader, says what it is."""
    mem = Path("/proc/self/mem")
    assert mem.is_file()
    with pytest.raises(OSError), mem.open("rb") as handle:
        handle.read(256)
    assert not looks_like_saved_plan(mem)


def test_a_plan_is_refused_once_its_spec_changed(saved: Path, tmp_path: Path) -> None:
    spec = tmp_path / "quickstart.yaml"
    text = (ROOT / "specs" / "quickstart.yaml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    desired = load_spec(spec, check_git=False)
    loaded = load_saved_plan(saved)
    made = loaded.model_copy(
        update={
            "plan": loaded.plan.model_copy(update={"spec_fingerprint": spec_fingerprint(desired)})
        }
    )
    check_spec(made, desired, saved)  # unchanged: accepted
    spec.write_text(text.replace("usageLocation: NL", "usageLocation: BE"), encoding="utf-8")
    with pytest.raises(SavedPlanError) as caught:
        check_spec(made, load_spec(spec, check_git=False), saved)
    assert str(caught.value) == (
        f"{saved}: the spec (or a CSV it reads) changed since the plan was made ({spec}); run "
        "t2t plan again and review the new plan"
    )


def test_a_key_that_is_no_plain_name_is_shown_quoted(saved: Path) -> None:
    def edit(plan: dict[str, Any]) -> None:
        plan["permissions"] = {"Graph.Read All": 5}

    assert _refused(saved, edited(saved.read_bytes(), edit)) == (
        "malformed saved plan at plan.permissions['Graph.Read All']: Input should be a valid "
        "array (found a number); make the plan again with `t2t plan --out`"
    )


def test_an_unknown_field_beginning_with_x_is_named_whole(saved: Path) -> None:
    def edit(document: dict[str, Any]) -> None:
        document["X_approved_by"] = "nobody"

    assert _refused(saved, with_top_level(saved.read_bytes(), edit)) == (
        "unknown field at X_approved_by; make the plan again with `t2t plan --out`"
    )


def test_types_are_strict_not_coerced_even_resealed(saved: Path) -> None:
    """A JSON value t2t never writes for a field — "yes" for a boolean — is refused, not read
    as the nearest thing (pydantic's lax mode would take "yes" for true)."""

    def edit(plan: dict[str, Any]) -> None:
        plan["findings"][0]["fixed_by_plan"] = "yes"

    assert _refused(saved, edited(saved.read_bytes(), edit)) == (
        "malformed saved plan at plan.findings[0].fixed_by_plan: Input should be a valid "
        "boolean (found 'yes'); make the plan again with `t2t plan --out`"
    )


# -- issue 11's mutation survivors: what the operator reads, and where the temporary goes --


def test_a_file_that_is_no_plan_is_refused_saying_how_a_plan_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    assert _refused(path, b"version: 1\nname: x\n") == (
        'not a t2t saved plan: it does not begin with {"kind": "t2t-saved-plan/3" (a spec is '
        "YAML; `t2t plan --out FILE` saves a plan)"
    )


def test_a_format_name_that_is_not_utf8_is_shown_not_a_crash(saved: Path) -> None:
    """The format is shown as the file spells it, undecodable bytes replaced: the operator
    reads which format it is instead of a UnicodeDecodeError."""
    data = saved.read_bytes().replace(b"t2t-saved-plan/3", b"t2t-\xff\xfe-plan/3", 1)
    assert _refused(saved, data) == (
        "saved in format 't2t-\ufffd\ufffd-plan/3'; this t2t reads t2t-saved-plan/3 only; make "
        "the plan again with `t2t plan --out`"
    )


def test_a_second_checksum_further_on_is_refused_even_resealed(saved: Path) -> None:
    """The seal covers the first "sha256"; a JSON reader keeps the last one. A file holding two
    is refused, whichever one a reader would believe."""
    data = saved.read_bytes().replace(
        b'"t2t_version": ', b'"sha256": "' + b"a" * 64 + b'", "t2t_version": ', 1
    )
    assert _refused(saved, reseal(data)) == (
        "the file holds two checksums; make the plan again with `t2t plan --out`"
    )


def test_the_temporary_file_is_made_beside_the_plan_not_in_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.replace cannot move a file across file systems, so the temporary file is made in the
    plan's own folder: a temp folder that is unusable (or on another file system) does not
    stop the save."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-temp-folder"))
    path = tmp_path / "plan.json"
    save_plan(_plan(), path, ORIGIN)
    assert load_saved_plan(path).plan == _plan()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
