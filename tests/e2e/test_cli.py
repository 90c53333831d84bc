"""The CLI as a user runs it (subprocesses), on an embedded sandbox started per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"


def t2t(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    return subprocess.run(
        [sys.executable, "-m", "t2t", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        input=stdin,
    )


def test_validate_examples_and_a_bad_spec(tmp_path: Path) -> None:
    ok = t2t("validate", *(str(p) for p in sorted((ROOT / "specs").glob("*.yaml"))))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\nsourc: {}\n", encoding="utf-8")
    out = t2t("validate", str(bad))
    assert out.returncode == 1
    assert f"{bad}:3:1: unknown key 'sourc'" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_schema_command_prints_the_committed_schema() -> None:
    out = t2t("schema")
    assert out.returncode == 0
    committed = json.loads((ROOT / "schemas" / "t2t-spec.schema.json").read_text())
    assert json.loads(out.stdout) == committed


def test_plan_formats_and_show(tmp_path: Path) -> None:
    box = str(tmp_path / "sb")
    ps = t2t("plan", str(SPEC), "--sandbox", box, "--format", "powershell")
    assert ps.returncode == 0, ps.stderr
    assert "New-OrganizationRelationship -Name 'contoso-to-fabrikam'" in ps.stdout
    js = t2t("plan", str(SPEC), "--sandbox", box, "--format", "json", "--detailed-exitcode")
    assert js.returncode == 2
    plan = json.loads(js.stdout)
    assert plan["summary"]["runnable"] == 2
    assert {a["kind"] for a in plan["actions"]} == {"orgrel.create"}
    shown = t2t("show", str(SPEC), "--sandbox", box, "--format", "json")
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr
    data = json.loads(shown.stdout)
    assert data["source"]["parts"]["recipients"]["status"] == "present"
    assert data["target"]["parts"]["accepted_domains"]["status"] == "present"


def test_apply_without_a_terminal_refuses_without_auto_approve(tmp_path: Path) -> None:
    out = t2t("apply", str(SPEC), "--sandbox", str(tmp_path / "sb"), stdin="yes\n")
    assert out.returncode == 1
    assert "pass --auto-approve" in out.stderr


def test_a_tenant_missing_from_the_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    text = SPEC.read_text(encoding="utf-8").replace(
        "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20", "11111111-2222-4333-8444-555555555555"
    )
    spec.write_text(text, encoding="utf-8")
    out = t2t("plan", str(spec), "--sandbox", str(tmp_path / "sb"))
    assert out.returncode == 1
    assert "source tenant 11111111-2222-4333-8444-555555555555 is not in the sandbox" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("fmt", ["json"])
def test_json_logs_never_carry_the_secret(tmp_path: Path, fmt: str) -> None:
    box = tmp_path / "sb"
    out = t2t("--log-format", fmt, "--log-level", "debug", "plan", str(SPEC), "--sandbox", str(box))
    assert out.returncode == 0, out.stderr[-2000:]
    profile = json.loads((box / "profile.json").read_text())
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    assert lines, "debug logging produced JSON lines"
    for tenant in profile["tenants"]:
        assert tenant["adminApp"]["clientSecret"] not in out.stderr + out.stdout
    assert "eyJ" not in out.stderr
