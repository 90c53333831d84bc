"""The run's summary (t2t/apply/result.py): a run of no-ops is as good as a run of changes, any
other outcome is not, and only an unknown outcome asks for a second run."""

from __future__ import annotations

from t2t.apply.result import ActionResult, ApplyReport, Status


def _report(*statuses: Status) -> ApplyReport:
    return ApplyReport(results=[ActionResult(id=f"a{i}", status=s) for i, s in enumerate(statuses)])


def test_done_and_noop_are_ok_and_ask_for_no_second_run() -> None:
    for report in (_report(), _report("noop"), _report("done", "noop", "noop")):
        assert report.ok
        assert not report.run_again


def test_any_other_outcome_is_not_ok() -> None:
    for status in ("failed", "skipped", "blocked", "unknown", "waiting"):
        report = _report("done", "noop", status)
        assert not report.ok, status
        assert report.run_again == (status == "unknown"), status


def test_counts_per_status() -> None:
    report = _report("noop", "unknown", "noop", "failed")
    assert [report.count(s) for s in ("done", "noop", "unknown", "failed")] == [0, 2, 1, 1]
