"""The apply summary, one line per action."""

from __future__ import annotations

from t2t.apply.result import ActionResult, ApplyReport

MARK = {"done": "✓", "noop": "=", "failed": "✗", "skipped": "-", "blocked": "!"}


def render_result(result: ActionResult) -> str:
    line = f"  {MARK[result.status]} {result.id}: {result.status}"
    if result.message:
        line += f" — {result.message}"
    for warning in result.warnings:
        line += f"\n      warning: {warning}"
    return line


def render_report(report: ApplyReport) -> str:
    counts = ", ".join(
        f"{report.count(s)} {s}" for s in ("done", "noop", "failed", "skipped", "blocked")
    )
    verdict = "Apply complete" if report.ok else "Apply incomplete"
    if report.interrupted:
        return (
            f"Apply interrupted: {counts}. What was in flight finished; nothing else was "
            "started. t2t apply is safe to run again: it continues from what is done.\n"
        )
    return f"{verdict}: {counts}.\n"
