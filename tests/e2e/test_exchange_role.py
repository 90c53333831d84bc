"""Identities without the Exchange role t2t needs: `t2t plan` warns with the fix before anything
is applied (T2T-W121: app-only Exchange RBAC comes from the token's directory roles), and the
403 apply meets (at its first write, the lease) names the same fix. Two seed clients in
Fabrikam: "t2t no exchange role" (Exchange.ManageAsApp, no role at all: even reads are
refused) and "t2t plan (read-only)" (View-Only Organization Management: reads pass, writes
are refused)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from t2t.planner.checks import EXCHANGE_ROLE_FIX
from t2t.planner.plan import EXIT_UNKNOWN
from tests.e2e.helpers import ROOT, run

TARGET_ADMIN = "1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e"
NO_EXCHANGE_ROLE = "998c92df-0521-4e3f-8f35-ff16f79a59ce"
VIEW_ONLY = "4a9c5e6f-7b8c-4d9e-8f01-2b3c4d5e6f70"
DENIED = "CmdletAccessDeniedException: the identity holds no Exchange role that allows this cmdlet"


def _spec(tmp_path: Path, client_id: str) -> Path:
    text = (ROOT / "specs" / "quickstart.yaml").read_text(encoding="utf-8")
    assert TARGET_ADMIN in text
    spec = tmp_path / f"{client_id}.yaml"
    spec.write_text(text.replace(TARGET_ADMIN, client_id), encoding="utf-8")
    return spec


def _w121(stdout: str) -> list[str]:
    """The T2T-W121 finding's own lines (header, prevents, fix — each may wrap onto lines
    indented deeper than the header), joined per finding."""
    lines = stdout.splitlines()
    found = []
    for i, line in enumerate(lines):
        if "T2T-W121" in line:
            depth = len(line) - len(line.lstrip())
            block = [line]
            for more in lines[i + 1 :]:
                if not more.strip() or len(more) - len(more.lstrip()) <= depth:
                    break
                block.append(more)
            found.append(" ".join(ln.strip() for ln in block))
    return found


def test_no_exchange_role_at_all_is_warned_before_apply(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, _ = served
    plan = run("plan", str(_spec(tmp_path, NO_EXCHANGE_ROLE)), state=state)
    assert plan.returncode == EXIT_UNKNOWN, plan.stdout + plan.stderr
    [warning] = _w121(plan.stdout)
    assert warning.startswith("T2T-W121 warning target  Exchange RBAC")
    assert warning.endswith(f"fix: {EXCHANGE_ROLE_FIX}")
    # Nothing is planned on top of the Exchange parts it could not read (the reason wraps
    # between words at 200 characters: compared with the whitespace folded).
    assert (
        "? target organization: Get-OrganizationConfig failed: HTTP 403 "
        f"CmdletAccessDeniedException: Get-OrganizationConfig: {DENIED}"
    ) in " ".join(plan.stdout.split())
    assert "target:mailuser.create" not in plan.stdout


def test_apply_names_the_plans_fix_when_exchange_refuses_a_write(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, _ = served
    spec = _spec(tmp_path, VIEW_ONLY)
    plan = run("plan", str(spec), state=state)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    [warning] = _w121(plan.stdout)
    assert warning.endswith(f"fix: {EXCHANGE_ROLE_FIX}")
    assert "? target" not in plan.stdout  # View-Only Organization Management reads everything

    applied = run("apply", str(spec), "--auto-approve", state=state)
    assert applied.returncode == 1
    # apply's first write in the target is its lease (t2t/apply/lease.py): refused, nothing runs
    [refused] = [ln.strip() for ln in applied.stderr.splitlines() if DENIED in ln]
    assert refused.startswith("error: could not take the apply lease t2t-lease-quickstart-")
    assert "New-MailContact" in refused
    assert refused.endswith(f"{DENIED} — {EXCHANGE_ROLE_FIX}")
    assert "Apply complete" not in applied.stdout and "Apply incomplete" not in applied.stdout
    assert "Traceback" not in applied.stdout + applied.stderr
