"""The plan as JSON: for machines, CI and saved plans."""

from __future__ import annotations

import json

from t2t.planner import Plan


def render_plan_json(plan: Plan) -> str:
    data = plan.model_dump(mode="json")
    data["summary"] = {
        "exitCode": plan.exit_code(detailed=True),
        "runnable": len(plan.runnable),
        "blocked": len(plan.actions) - len(plan.runnable),
        "blockingFindings": len(plan.blocking),
        "unknown": len(plan.unknowns),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
