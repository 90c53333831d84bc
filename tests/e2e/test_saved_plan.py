"""Saved plans: apply what was reviewed, and refuse when the world or the spec moved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import t2t
from tests.apply.saved_files import reseal
from tests.e2e.helpers import ROOT, invoke, run, stats

SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"


def test_saved_plan_applies_without_asking(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, _ = served
    saved = tmp_path / "plan.json"
    made = run("plan", str(SPEC), "--out", str(saved), state=state)
    assert made.returncode == 0, made.stderr
    assert f"apply it with: t2t apply {saved}" in made.stderr
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
    head = {"kind": "t2t-saved-plan/2", "sha256": "0" * 64, "t2t_version": t2t.__version__}
    bad.write_bytes(reseal(json.dumps(head)[:-1].encode() + b', "plan": {}}\n'))
    out = run("apply", str(bad), state=tmp_path / "sb")
    assert out.returncode == 1
    assert f"error: {bad}: missing field plan.spec_name (and " in out.stderr
    assert "Traceback" not in out.stderr
