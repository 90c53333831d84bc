"""A saved plan records the service it was made against and its spec's path relative to the
plan file's folder: apply refuses a plan of another cloud or sandbox, naming both, and finds
the spec of a plan moved together with it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from t2t.apply.origin import CloudOrigin, SandboxOrigin, cloud_origin, sandbox_origin
from t2t.apply.saved import (
    SavedPlanError,
    check_origin,
    load_saved_plan,
    save_plan,
    saved_spec,
    spec_path_from,
)
from t2t.cli.session import made_against
from t2t.clients import CLOUDS, GLOBAL
from tests.apply.saved_files import with_top_level
from tests.apply.scratch import scratch_action, scratch_plan

AGAIN = "make the plan here with `t2t plan --out`"


def _save(plan_file: Path, spec: str, made: CloudOrigin | SandboxOrigin) -> Path:
    plan = scratch_plan(scratch_action("target:test.a:a")).model_copy(update={"spec_path": spec})
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    save_plan(plan, plan_file, made)
    return plan_file


def _refusal(plan_file: Path, here: CloudOrigin | SandboxOrigin) -> str:
    with pytest.raises(SavedPlanError) as caught:
        check_origin(load_saved_plan(plan_file), here, plan_file)
    assert caught.value.path == plan_file
    return str(caught.value)


# -- the spec's path, relative to the plan file's folder ----------------------------------


def test_the_spec_is_recorded_relative_to_the_plan_and_found_after_both_moved(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "repo" / "specs" / "move.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text("name: move\n")
    plan_file = _save(tmp_path / "repo" / "plans" / "p.json", str(spec), sandbox_origin(tmp_path))
    assert load_saved_plan(plan_file).plan.spec_path == "../specs/move.yaml"

    moved = tmp_path / "another-checkout"
    shutil.move(tmp_path / "repo", moved)  # a CI artifact, another clone
    plan_file = moved / "plans" / "p.json"
    found = saved_spec(plan_file, load_saved_plan(plan_file))
    assert found == moved / "plans" / "../specs/move.yaml"
    assert found.read_text() == "name: move\n"


def test_a_plan_moved_without_its_spec_says_so(tmp_path: Path) -> None:
    spec = tmp_path / "specs" / "move.yaml"
    spec.parent.mkdir()
    spec.write_text("name: move\n")
    plan_file = _save(tmp_path / "plans" / "p.json", str(spec), sandbox_origin(tmp_path))
    alone = tmp_path / "elsewhere" / "deeper" / "p.json"  # its ../specs is not there
    alone.parent.mkdir(parents=True)
    shutil.move(plan_file, alone)
    with pytest.raises(SavedPlanError) as caught:
        saved_spec(alone, load_saved_plan(alone))
    assert str(caught.value) == (
        f"{alone}: its spec is not at '{alone.parent}/../specs/move.yaml' (the plan records it"
        " relative to its own folder); keep the plan and its spec together as they were, or"
        " make the plan again with `t2t plan --out`"
    )


def test_a_spec_given_relative_to_the_working_folder_is_rewritten_for_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "specs" / "waves").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "specs")
    plan_file = _save(tmp_path / "p.json", "waves/w1.yaml", sandbox_origin(tmp_path))
    assert load_saved_plan(plan_file).plan.spec_path == "specs/waves/w1.yaml"  # POSIX '/'
    plan_file = _save(Path("waves/p.json"), "waves/w1.yaml", sandbox_origin(tmp_path))
    assert load_saved_plan(plan_file).plan.spec_path == "w1.yaml"


def test_a_plan_saved_through_a_link_still_leads_to_its_spec(tmp_path: Path) -> None:
    """The `..` of the recorded path are followed by the kernel from the real folder, so the
    path is counted from the real folders, not from the link's name."""
    spec = tmp_path / "repo" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text("name: linked\n")
    real = tmp_path / "deep" / "er" / "out"
    real.mkdir(parents=True)
    (tmp_path / "repo" / "out").symlink_to(real)
    plan_file = _save(tmp_path / "repo" / "out" / "p.json", str(spec), sandbox_origin(tmp_path))
    assert load_saved_plan(plan_file).plan.spec_path == "../../../repo/spec.yaml"
    assert saved_spec(plan_file, load_saved_plan(plan_file)).read_text() == "name: linked\n"


def test_a_spec_on_another_drive_stays_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows' relpath raises ValueError for two drives (ntpath.relpath: "path is on mount
    'D:', start on mount 'C:'"); the path is then kept whole."""

    def two_drives(path: Any, start: Any = None) -> str:
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    spec = tmp_path / "elsewhere" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text("name: far\n")
    monkeypatch.setattr(os.path, "relpath", two_drives)
    assert spec_path_from(tmp_path / "p.json", str(spec)) == spec.as_posix()
    plan_file = _save(tmp_path / "out" / "p.json", str(spec), sandbox_origin(tmp_path))
    monkeypatch.undo()
    saved = load_saved_plan(plan_file)
    assert saved.plan.spec_path == spec.as_posix()
    assert saved_spec(plan_file, saved) == spec  # not taken from the plan's folder
    spec.unlink()
    with pytest.raises(SavedPlanError) as caught:
        saved_spec(plan_file, saved)
    assert f"its spec is not at '{spec}' (the plan records it at that path);" in str(caught.value)


# -- where the plan was made --------------------------------------------------------------


def test_the_origin_is_where_the_command_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    here = SandboxOrigin(state_dir=str((tmp_path / "real").resolve()))
    assert made_against(Path("real")) == here
    assert made_against(Path("link")) == here  # the same folder by another name
    assert made_against(None) == CloudOrigin(
        cloud="global",
        login="https://login.microsoftonline.com",
        graph="https://graph.microsoft.com/v1.0",
        exchange="https://outlook.office365.com/adminapi/beta",
        arm="https://management.azure.com",
    )


def test_a_plan_applied_where_it_was_made_is_accepted(tmp_path: Path) -> None:
    state = tmp_path / "sandbox"
    sandbox = _save(tmp_path / "s.json", "t.yaml", sandbox_origin(state))
    check_origin(load_saved_plan(sandbox), sandbox_origin(state), sandbox)
    cloud = _save(tmp_path / "c.json", "t.yaml", cloud_origin(GLOBAL))
    check_origin(load_saved_plan(cloud), cloud_origin(GLOBAL), cloud)


def test_a_plan_of_one_sandbox_is_refused_in_another(tmp_path: Path) -> None:
    """Named whole, however long the folders' names, to be pasted after `--sandbox`."""
    made, other = (tmp_path / ("a" * 200)).resolve(), (tmp_path / "b").resolve()
    plan_file = _save(tmp_path / "p.json", "t.yaml", sandbox_origin(made))
    assert _refusal(plan_file, sandbox_origin(other)) == (
        f"{plan_file}: the plan was made against the sandbox in '{made}', this apply runs"
        f" against the sandbox in '{other}'; apply it there (--sandbox '{made}'), or {AGAIN}"
    )


def test_a_plan_of_a_sandbox_is_refused_in_the_cloud(tmp_path: Path) -> None:
    made = (tmp_path / "a").resolve()
    plan_file = _save(tmp_path / "p.json", "t.yaml", sandbox_origin(made))
    assert _refusal(plan_file, cloud_origin(GLOBAL)) == (
        f"{plan_file}: the plan was made against the sandbox in '{made}', this apply runs"
        " against Microsoft's 'global' cloud ('https://login.microsoftonline.com');"
        f" apply it there (--sandbox '{made}'), or {AGAIN}"
    )


def test_a_plan_of_the_cloud_is_refused_in_a_sandbox(tmp_path: Path) -> None:
    here = (tmp_path / "b").resolve()
    plan_file = _save(tmp_path / "p.json", "t.yaml", cloud_origin(GLOBAL))
    assert _refusal(plan_file, sandbox_origin(here)) == (
        f"{plan_file}: the plan was made against Microsoft's 'global' cloud"
        f" ('https://login.microsoftonline.com'), this apply runs against the sandbox in"
        f" '{here}'; apply it there (without --sandbox or T2T_SANDBOX), or {AGAIN}"
    )


def test_a_plan_of_another_cloud_is_refused(tmp_path: Path) -> None:
    plan_file = _save(tmp_path / "p.json", "t.yaml", cloud_origin(CLOUDS["usgov"]))
    assert _refusal(plan_file, cloud_origin(GLOBAL)).startswith(
        f"{plan_file}: the plan was made against Microsoft's 'usgov' cloud"
        " ('https://login.microsoftonline.us'), this apply runs against Microsoft's 'global'"
    )


def test_a_cloud_plan_whose_endpoints_differ_is_refused(tmp_path: Path) -> None:
    """The same cloud's name reached at other hosts (another t2t's table) is another service."""
    moved = cloud_origin(GLOBAL).model_copy(update={"graph": "https://graph.example/v1.0"})
    plan_file = _save(tmp_path / "p.json", "t.yaml", moved)
    assert "this apply runs against Microsoft's 'global' cloud" in _refusal(
        plan_file, cloud_origin(GLOBAL)
    )


def test_an_origin_of_an_unknown_kind_is_refused_even_resealed(tmp_path: Path) -> None:
    plan_file = _save(tmp_path / "p.json", "t.yaml", sandbox_origin(tmp_path))

    def edit(document: dict[str, Any]) -> None:
        document["made_against"] = {"kind": "moon", "state_dir": "/"}

    plan_file.write_bytes(with_top_level(plan_file.read_bytes(), edit))
    with pytest.raises(SavedPlanError) as caught:
        load_saved_plan(plan_file)
    assert str(caught.value).startswith(f"{plan_file}: malformed saved plan at made_against: ")
    assert str(caught.value).endswith(
        "(found a mapping); make the plan again with `t2t plan --out`"
    )


def test_a_plan_without_an_origin_is_refused_even_resealed(tmp_path: Path) -> None:
    plan_file = _save(tmp_path / "p.json", "t.yaml", sandbox_origin(tmp_path))

    def edit(document: dict[str, Any]) -> None:
        del document["made_against"]

    plan_file.write_bytes(with_top_level(plan_file.read_bytes(), edit))
    with pytest.raises(SavedPlanError) as caught:
        load_saved_plan(plan_file)
    assert str(caught.value) == (
        f"{plan_file}: missing field made_against; make the plan again with `t2t plan --out`"
    )
