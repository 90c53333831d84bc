"""The apply summary, one line per action."""

from __future__ import annotations

from t2t.apply.result import ActionResult, ApplyReport, Status

MARK = {
    "done": "✓",
    "noop": "=",
    "failed": "✗",
    "skipped": "-",
    "blocked": "!",
    "unknown": "?",
    "waiting": "…",
}
#: Always counted in the summary; unknown and waiting only when some action is.
COUNTED: tuple[Status, ...] = ("done", "noop", "failed", "skipped", "blocked")


def render_result(result: ActionResult) -> str:
    line = f"  {MARK[result.status]} {result.id}: {result.status}"
    if result.message:
        line += f" — {result.message}"
    for warning in result.warnings:
        line += f"\n      warning: {warning}"
    return line


def render_progress(action_id: str, text: str) -> str:
    """A line while an action waits (t2t/apply/waiting.py)."""
    return f"  … {action_id}: {text}"


def render_report(report: ApplyReport) -> str:
    shown = COUNTED + tuple(s for s in ("unknown", "waiting") if report.count(s))
    counts = ", ".join(f"{report.count(s)} {s}" for s in shown)
    verdict = "Apply complete" if report.ok else "Apply incomplete"
    if report.interrupted:
        return (
            f"Apply interrupted: {counts}. What was in flight finished; nothing else was "
            "started. t2t apply is safe to run again: it continues from what is done.\n"
        )
    text = f"{verdict}: {counts}.\n"
    if report.run_again:
        text += run_again_note(report.count("unknown"), report.count("waiting"))
    return text


def run_again_note(unknown: int, waiting: int) -> str:
    """What the summary says when some outcome is unknown (the CLI exits 5 then)."""
    one = unknown == 1
    text = (
        f"{unknown} action{'' if one else 's'} did not finish: {'it' if one else 'they'} "
        f"reached the deadline or lost the answer to a write, so {'its' if one else 'their'} "
        "outcome is unknown"
    )
    if waiting:
        text += f"; the {waiting} waiting on {'it' if one else 'them'} did not start"
    return text + ". Run t2t apply again: it reads both tenants afresh and finishes them.\n"
