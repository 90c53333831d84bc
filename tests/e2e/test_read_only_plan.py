"""`t2t plan` with read-only credentials (pull-request CI): it plans, lists what apply needs,
and an apply with the same credentials fails cleanly without changing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.helpers import ROOT, run, stats

READ_ONLY = {  # the sandbox seed's "t2t plan (read-only)" clients
    "0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d": "3f8b4d5e-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
    "1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e": "4a9c5e6f-7b8c-4d9e-8f01-2b3c4d5e6f70",
}


def _read_only_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "spec.yaml"
    text = (ROOT / "specs" / "contoso-to-fabrikam.yaml").read_text(encoding="utf-8")
    for admin, reader in READ_ONLY.items():
        assert admin in text
        text = text.replace(admin, reader)
    spec.write_text(text, encoding="utf-8")
    return spec


def test_plan_with_read_only_credentials(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = _read_only_spec(tmp_path)
    before = stats(profile)
    plan = run("plan", str(spec), "--detailed-exitcode", state=state)
    assert plan.returncode == 3, plan.stdout + plan.stderr  # the endpoint waits for consent: E401
    assert "+ source  orgrel.create" in plan.stdout
    # The read-only source identity cannot consent: a manual gate with the consent URL.
    assert "T2T-W212" in plan.stdout
    assert "adminconsent?client_id=5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f" in plan.stdout
    assert "waits for a person" in plan.stdout
    assert "Exchange role group 'Organization Management'" in plan.stdout
    assert stats(profile)["writes"] == before["writes"]

    applied = run("apply", str(spec), "--auto-approve", state=state)
    assert applied.returncode == 1
    # Its first write, the apply lease in the target (t2t/apply/lease.py), is refused: no action
    # starts.
    assert "error: could not take the apply lease" in applied.stderr
    assert "no Exchange role that allows this cmdlet" in applied.stderr
    assert "Apply complete" not in applied.stdout and "Apply incomplete" not in applied.stdout
    assert "Traceback" not in applied.stdout + applied.stderr
    # Nothing changed: the same plan again (the sandbox counts refused Graph write attempts
    # as writes, so compare what the tenants hold, not the counter).
    again = run("plan", str(spec), "--detailed-exitcode", state=state)
    assert _actions(again.stdout) == _actions(plan.stdout)


def _actions(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(("  + ", "  ~ ", "  ! "))]
