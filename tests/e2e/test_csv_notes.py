"""A batch CSV as an admin exported it (issue 15): `t2t validate` says which columns t2t
ignores, as a note beside "valid" (exit 0); `t2t plan` says it on stderr, so its JSON on
stdout stays whole."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.e2e.helpers import ROOT, t2t_cli

NOTE = (
    "waves/wave-2-sales.csv:1:14: note: t2t reads only EmailAddress; it ignores 'DisplayName', "
    "'UsageLocation'; a usage location is not read per mailbox: every mailbox gets "
    "identities.usageLocation from the spec"
)


def _merger_with_an_exported_csv(tmp_path: Path) -> Path:
    """The merger example, its sales wave saved by Excel with two more columns (BOM, CRLF)."""
    shutil.copy(ROOT / "specs" / "contoso-fabrikam-merger.yaml", tmp_path / "spec.yaml")
    shutil.copytree(ROOT / "specs" / "waves", tmp_path / "waves")
    sales = tmp_path / "waves" / "wave-2-sales.csv"
    rows = sales.read_text(encoding="utf-8").splitlines()[1:]
    exported = ["EmailAddress,DisplayName,UsageLocation"]
    exported += [f'{row},"{row.split("@")[0].title()}, Sales",NL' for row in rows if row]
    sales.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(exported).encode() + b"\r\n")
    return tmp_path / "spec.yaml"


def _t2t(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "T2T_SANDBOX"}
    return t2t_cli(*args, env=env, cwd=cwd)


def test_validate_and_plan_note_the_ignored_columns(tmp_path: Path) -> None:
    spec = _merger_with_an_exported_csv(tmp_path)
    checked = _t2t("validate", "spec.yaml", cwd=tmp_path)
    assert (checked.returncode, checked.stdout) == (0, f"{NOTE}\nspec.yaml: valid\n")
    planned = _t2t(
        "plan", str(spec), "--sandbox", str(tmp_path / "sb"), "--format", "json", cwd=tmp_path
    )
    assert planned.returncode in (0, 3, 6), planned.stderr[-2000:]  # 3, 6: the example's checks
    assert planned.stderr.splitlines()[0] == f"{tmp_path}/{NOTE}"
    plan = json.loads(planned.stdout)
    # the exported wave's mailboxes are planned: into the scope group, say
    assert any("johanna@contoso.com" in json.dumps(a) for a in plan["actions"])
