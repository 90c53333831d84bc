"""Rendering of plans and apply reports: terminal text, JSON and Markdown."""

from t2t.render.apply_text import render_progress, render_report, render_result
from t2t.render.json_plan import render_plan_json
from t2t.render.markdown import render_plan_markdown
from t2t.render.powershell import ps_literal, render_powershell
from t2t.render.snapshot import render_snapshot, render_snapshot_json, tenant_names
from t2t.render.text import render_plan

__all__ = [
    "ps_literal",
    "render_plan",
    "render_plan_json",
    "render_plan_markdown",
    "render_powershell",
    "render_progress",
    "render_report",
    "render_result",
    "render_snapshot",
    "render_snapshot_json",
    "tenant_names",
]
