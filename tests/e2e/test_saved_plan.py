"""Saved plans: apply what was reviewed, and refuse when the world or the spec moved."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import t2t
from t2t.apply.origin import cloud_origin
from t2t.apply.saved import SAVED_FORMAT, save_plan
from t2t.clients import GLOBAL
from tests.apply.saved_files import ORIGIN, reseal
from tests.apply.scratch import scratch_action, scratch_plan
from tests.conftest import SandboxHandle
from tests.e2e.helpers import ROOT, invoke, run, stats, t2t_cli

SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"
AGAIN = "make the plan here with `t2t plan --out`"


def test_saved_plan_moved_with_its_spec_applies_without_asking(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Planned in one checkout, applied from another: the plan finds its spec by the path
    relative to its own folder."""
    state, _ = served
    shutil.copytree(ROOT / "specs", tmp_path / "repo" / "specs")
    saved = tmp_path / "repo" / "plans" / "plan.json"
    saved.parent.mkdir()
    spec = tmp_path / "repo" / "specs" / SPEC.name
    made = run("plan", str(spec), "--out", str(saved), state=state)
    assert made.returncode == 0, made.stderr
    assert f"apply it with: t2t apply {saved}" in made.stderr
    document = json.loads(saved.read_bytes())
    assert document["plan"]["spec_path"] == f"../specs/{SPEC.name}"
    assert document["made_against"] == {"kind": "sandbox", "state_dir": str(state.resolve())}
    shutil.move(tmp_path / "repo", tmp_path / "checkout")  # the first checkout is gone
    saved = tmp_path / "checkout" / "plans" / "plan.json"
    applied = run("apply", str(saved), state=state)  # no --auto-approve: it was reviewed
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # the batch waits for the licences to provision (T2T-E320): a later apply creates it
    assert "Apply incomplete:" in applied.stdout and " 0 failed" in applied.stdout
    again = run("apply", str(saved), state=state)
    assert again.returncode == 1
    assert "The saved plan is stale" in again.stderr
    assert "no longer needed" in again.stderr


def test_outside_change_makes_the_saved_plan_stale(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    saved = tmp_path / "plan.json"
    assert run("plan", str(SPEC), "--out", str(saved), state=state).returncode == 0
    invoke(
        profile,
        "fabrikam",
        "New-OrganizationRelationship",
        {"Name": "someone else", "DomainNames": ["northwind.example"]},
    )
    before = stats(profile)
    refused = run("apply", str(saved), state=state)
    assert refused.returncode == 1
    assert "target:orgrel.create:contoso-to-fabrikam: the object changed since the plan" in (
        refused.stderr
    )
    assert stats(profile)["writes"] == before["writes"]  # refused before acting


def test_changed_spec_makes_the_saved_plan_stale(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, _ = served
    work = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", work)
    spec = work / "contoso-to-fabrikam.yaml"
    saved = tmp_path / "plan.json"
    assert run("plan", str(spec), "--out", str(saved), state=state).returncode == 0
    spec.write_text(
        spec.read_text().replace("maxConcurrentMigrations: 20", "maxConcurrentMigrations: 30")
    )
    refused = run("apply", str(saved), state=state)
    assert refused.returncode == 1
    assert "the spec (or a CSV it reads) changed since the plan was made" in refused.stderr


def test_malformed_saved_plan_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    head = {
        "kind": SAVED_FORMAT,
        "sha256": "0" * 64,
        "t2t_version": t2t.__version__,
        "made_against": ORIGIN.model_dump(),
    }
    bad.write_bytes(reseal(json.dumps(head)[:-1].encode() + b', "plan": {}}\n'))
    out = run("apply", str(bad), state=tmp_path / "sb")
    assert out.returncode == 1
    assert f"error: {bad}: missing field plan.spec_name (and " in out.stderr
    assert "Traceback" not in out.stderr


# -- a plan applies only where it was made ------------------------------------------------


def test_a_plan_of_one_sandbox_is_refused_in_another_and_in_the_cloud(
    served: tuple[Path, dict[str, Any]], sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """Both sandboxes hold the same seeded tenants, so the fresh re-read would let the plan
    through: the recorded origin refuses it, in one line, before anything is sent."""
    state, profile = served
    saved = tmp_path / "plan.json"
    assert run("plan", str(SPEC), "--out", str(saved), state=state).returncode == 0
    before = stats(profile)
    made, other = state.resolve(), sandbox.server.state_dir
    elsewhere = run("apply", str(saved), state=other)
    assert elsewhere.returncode == 1
    assert elsewhere.stderr.splitlines() == [
        f"error: {saved}: the plan was made against the sandbox in '{made}', this apply runs"
        f" against the sandbox in '{other}'; apply it there (--sandbox '{made}'), or {AGAIN}"
    ]
    assert sandbox.stats()["total"] == 0  # the other sandbox heard nothing

    env = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    cloud = t2t_cli("apply", str(saved), env=env)  # refused before reaching for Microsoft
    assert cloud.returncode == 1
    assert cloud.stderr.splitlines() == [
        f"error: {saved}: the plan was made against the sandbox in '{made}', this apply runs"
        " against Microsoft's 'global' cloud ('https://login.microsoftonline.com');"
        f" apply it there (--sandbox '{made}'), or {AGAIN}"
    ]
    after = stats(profile)
    assert (after["writes"], after["total"]) == (before["writes"], before["total"])


def test_a_plan_of_the_cloud_is_refused_in_a_sandbox(tmp_path: Path) -> None:
    """Refused before the sandbox is even started: its folder is never made."""
    saved = tmp_path / "plan.json"
    save_plan(scratch_plan(scratch_action("target:test.a:a")), saved, cloud_origin(GLOBAL))
    here = tmp_path / "sandbox"
    out = run("apply", str(saved), state=here)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        f"error: {saved}: the plan was made against Microsoft's 'global' cloud"
        f" ('https://login.microsoftonline.com'), this apply runs against the sandbox in"
        f" '{here.resolve()}'; apply it there (without --sandbox or T2T_SANDBOX), or {AGAIN}"
    ]
    assert not here.exists()
