"""Saved plans: `t2t plan --out p.json`, then `t2t apply p.json` after review.

Applying a saved plan re-reads the real tenants (there is no state file) and refuses, before
acting, when the spec or any object the plan touches changed since it was made — Terraform
only compares its own state file's serial (lessons-from-peers.md §2), which misses outside
changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

import t2t
from t2t.planner import Action, Plan

SAVED_FORMAT = "t2t-saved-plan/1"


class SavedPlanError(ValueError):
    """A saved plan that cannot be used; the message says why and what to do."""


class SavedPlan(BaseModel):
    kind: str = SAVED_FORMAT
    t2t_version: str
    plan: Plan


def save_plan(plan: Plan, path: Path) -> None:
    saved = SavedPlan(t2t_version=t2t.__version__, plan=plan)
    path.write_text(
        json.dumps(saved.model_dump(mode="json"), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def looks_like_saved_plan(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:4096].lstrip()
    except (OSError, UnicodeDecodeError):
        return False
    return head.startswith("{") and SAVED_FORMAT in head


def load_saved_plan(path: Path) -> SavedPlan:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SavedPlanError(f"{path}: cannot read the saved plan: {exc}") from exc
    except ValueError as exc:
        raise SavedPlanError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != SAVED_FORMAT:
        raise SavedPlanError(f"{path}: not a t2t saved plan (kind {SAVED_FORMAT!r} expected)")
    try:
        saved = SavedPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SavedPlanError(f"{path}: malformed saved plan at {where}: {first['msg']}") from exc
    if saved.t2t_version != t2t.__version__:
        raise SavedPlanError(
            f"{path}: made by t2t {saved.t2t_version}, this is {t2t.__version__}; plan again"
        )
    return saved


def _intent(action: Action) -> str:
    """Risk, dependencies and desired state in their JSON form (a saved plan's tuples come
    back as lists)."""
    data = action.model_dump(mode="json", include={"risk", "depends_on", "desired"})
    return json.dumps(data, sort_keys=True)


def staleness(saved: Plan, fresh: Plan) -> list[str]:
    """Why the saved plan no longer describes the world; empty when it still does."""
    problems: list[str] = []
    if saved.spec_fingerprint != fresh.spec_fingerprint:
        problems.append("the spec (or a CSV it reads) changed since the plan was made")
    now = {a.id: a for a in fresh.actions}
    for action in saved.actions:
        current = now.get(action.id)
        if current is None:
            problems.append(f"{action.id}: no longer needed (someone changed it meanwhile)")
        elif current.fingerprint != action.fingerprint:
            before = json.dumps(action.observed, sort_keys=True)
            after = json.dumps(current.observed, sort_keys=True)
            problems.append(f"{action.id}: the object changed since the plan: {before} → {after}")
        elif current.parameters != action.parameters:
            problems.append(f"{action.id}: would now send different parameters")
        elif current.blocked_by != action.blocked_by:
            now_blocked = ", ".join(current.blocked_by) or "nothing"
            problems.append(f"{action.id}: now blocked by {now_blocked}")
        elif _intent(current) != _intent(action):
            problems.append(f"{action.id}: its risk, dependencies or intent changed")
    reviewed = {(f.code, f.tenant, f.object) for f in saved.blocking}
    for f in fresh.blocking:
        if (f.code, f.tenant, f.object) not in reviewed:
            problems.append(f"{f.code} now blocks {f.tenant} {f.object}: {f.message}")
    for action_id in now.keys() - {a.id for a in saved.actions}:
        problems.append(f"{action_id}: a new change appeared that the saved plan does not hold")
    if fresh.unknowns:
        problems.append(
            "some state could not be read now: "
            + ", ".join(f"{u.tenant} {u.what}" for u in fresh.unknowns)
        )
    return problems
