"""The CLI as a user runs it (subprocesses), on an embedded sandbox started per command."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from t2t.cli.app import EXIT_USAGE
from tests.e2e.helpers import t2t_cli

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"


def t2t(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    if stdin is None:
        return t2t_cli(*args, env=env)
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
    assert "# Graph POST /invitations (Microsoft Graph, Azure or by hand, not Exchange):" in (
        ps.stdout
    )
    assert "# ARM PUT /subscriptions/3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d/resourcegroups/" in (
        ps.stdout
    )
    # the certificate's version is known once it exists: the script reads it, as the
    # walkthrough's does ($certificatePublicKey.Id)
    assert (
        "-AppSecretKeyVaultUrl (Get-AzKeyVaultCertificate -VaultName 'fabrikam-t2t-kv' "
        "-Name 't2t-cert').Id"
    ) in ps.stdout
    js = t2t("plan", str(SPEC), "--sandbox", box, "--format", "json", "--detailed-exitcode")
    assert js.returncode == 2
    plan = json.loads(js.stdout)
    kinds = {a["kind"] for a in plan["actions"]}
    assert {"orgrel.create", "consent.grant", "group.add_members", "endpoint.create"} <= kinds
    shown = t2t("show", str(SPEC), "--sandbox", box, "--format", "json")
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr
    data = json.loads(shown.stdout)
    assert data["source"]["parts"]["recipients"]["status"] == "present"
    assert data["target"]["parts"]["accepted_domains"]["status"] == "present"
    # keyVaultCertificate mode: the target's Azure is read — no resource group in a new sandbox
    assert data["target"]["parts"]["key_vault"] == {"status": "present", "value": []}
    assert data["target"]["parts"]["vault_certificates"] == {"status": "present", "value": []}
    assert "key_vault" not in data["source"]["parts"]


def test_apply_without_a_terminal_refuses_without_auto_approve(tmp_path: Path) -> None:
    out = t2t("apply", str(SPEC), "--sandbox", str(tmp_path / "sb"), stdin="yes\n")
    assert out.returncode == 1
    assert "pass --auto-approve" in out.stderr


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_parallelism_below_one_is_refused_before_anything_is_read(
    tmp_path: Path, value: str
) -> None:
    sandbox = tmp_path / "sb"
    out = t2t("apply", str(SPEC), "--sandbox", str(sandbox), "--parallelism", value)
    assert out.returncode == EXIT_USAGE, out.stdout + out.stderr
    assert "--parallelism" in out.stderr and "Traceback" not in out.stderr
    assert not sandbox.exists()  # refused before a sandbox was even started


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


def test_the_endpoint_secret_never_reaches_output_or_logs(tmp_path: Path) -> None:
    """clientSecret mode: the secret t2t creates (addPassword) goes straight to -Credentials.
    The sandbox keeps only its SHA-256; no token of the secret's shape in any output hashes
    to it."""
    box = tmp_path / "sb"
    merger = str(ROOT / "specs" / "contoso-fabrikam-merger.yaml")
    out = t2t(
        "--log-format", "json", "--log-level", "debug",
        "apply", merger, "--sandbox", str(box), "--auto-approve",
    )  # fmt: skip
    assert " 0 failed" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
    assert "endpoint.create" in out.stdout
    state = (box / "state.json").read_text()
    stored = set(re.findall(r'"secret_sha256": *"([0-9a-f]{64})"', state))
    assert stored, "the endpoint's secret was created"
    text = out.stdout + out.stderr
    runs = re.findall(r"[A-Za-z0-9~._-]{40,}", text)
    candidates = {r[i : i + 40] for r in runs for i in range(len(r) - 39)}
    assert not {hashlib.sha256(c.encode()).hexdigest() for c in candidates} & stored
    assert "secretText" not in text
