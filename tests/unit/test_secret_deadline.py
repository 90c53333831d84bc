"""Until when the endpoint's secret must sign in (T2T-E237), and the endDateTime addPassword is
asked for: the last completeAfter or the reading day, whichever is later, plus 30 days; Graph's
default lifetime (two years) is kept whenever it outlives that."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest

from t2t.planner.context import PlanContext
from t2t.planner.domain import DomainOutcome, plan_domain
from t2t.planner.endpoint import requested_end, secret_deadline, secret_horizon
from t2t.spec.desired import DesiredBatch, Origin
from t2t.state import Snapshot
from tests.planner.cases import BY_DOMAIN, all_cases

ORIGIN = Origin(path="spec.yaml", line=1, col=1)


def wave(name: str, complete_after: str | None) -> DesiredBatch:
    return DesiredBatch(
        name=name,
        mailboxes=(),
        target_delivery_domain="fabrikam.mail.onmicrosoft.com",
        phase="complete" if complete_after else "sync",
        complete_after=dt.datetime.fromisoformat(complete_after) if complete_after else None,
        origin=ORIGIN,
    )


WAVES = (
    wave("early", "2026-12-04T22:00:00+00:00"),
    wave("late", "2027-03-01T06:00:00+00:00"),
    wave("syncing", None),
)


def test_the_last_complete_after_plus_30_days_when_it_is_ahead() -> None:
    assert secret_deadline(WAVES, "2026-11-01T08:00:00Z") == (
        "2027-03-31T06:00:00Z",
        "late's completeAfter 2027-03-01T06:00:00Z + 30 days",
    )


def test_today_plus_30_days_once_every_complete_after_has_passed() -> None:
    assert secret_deadline(WAVES, "2027-04-10T12:00:00Z") == (
        "2027-05-10T12:00:00Z",
        "today (2027-04-10T12:00:00Z) + 30 days",
    )


def test_today_plus_30_days_when_no_wave_gives_a_complete_after() -> None:
    assert secret_deadline((wave("syncing", None),), "2026-11-01T08:00:00Z") == (
        "2026-12-01T08:00:00Z",
        "today (2026-11-01T08:00:00Z) + 30 days",
    )


def test_nothing_known_without_a_reading_time_or_a_complete_after() -> None:
    assert secret_deadline((wave("syncing", None),), None) == (None, "")
    assert secret_deadline(WAVES, None)[0] == "2027-03-31T06:00:00Z"


def test_an_end_date_is_asked_for_only_past_the_two_year_default() -> None:
    now = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    assert requested_end("2027-03-31T06:00:00Z", now) is None  # the default outlives it
    assert requested_end("2028-10-31T08:00:00Z", now) is None  # 730 days: exactly the default
    assert requested_end("2029-06-01T00:00:00Z", now) == "2029-06-01T00:00:00Z"
    assert requested_end(None, now) is None


def test_the_secret_horizon_is_the_later_of_the_desire_and_today_plus_30_days() -> None:
    needed, why = "2027-03-31T06:00:00Z", "late's completeAfter 2027-03-01T06:00:00Z + 30 days"
    before = dt.datetime(2027, 2, 1, 6, 0, tzinfo=dt.UTC)
    assert secret_horizon(needed, why, before) == (needed, why)
    tie = dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)
    assert secret_horizon(needed, why, tie) == (needed, why)  # the wave's reason kept
    after = dt.datetime(2027, 3, 1, 6, 0, 1, tzinfo=dt.UTC)
    assert secret_horizon(needed, why, after) == (
        "2027-03-31T06:00:01Z",
        "today (2027-03-01T06:00:01Z) + 30 days",
    )
    assert secret_horizon(None, "", after)[0] == "2027-03-31T06:00:01Z"
    assert secret_horizon(needed, why, None) == (needed, why)
    assert secret_horizon(None, "", None) == (None, "")


def test_a_plan_does_not_age_only_its_findings_say_today() -> None:
    """The actions (and so a saved plan) are the same whenever the tenants were read; only the
    T2T-E237 finding's horizon moves with the reading time."""
    case = next(c for c in all_cases("endpoint") if c.path.name == READ_TODAY)
    snapshot = case.snapshot()
    assert snapshot.read_at == "2027-02-01T09:30:00Z"
    later = dataclasses.replace(snapshot, read_at="2027-02-09T17:45:12Z")
    assert later == snapshot  # the reading time is not part of the state

    def plan(at: Snapshot) -> DomainOutcome:
        context = PlanContext(case.spec(), at, [], [])
        return plan_domain(BY_DOMAIN["endpoint"], context)

    first, second = plan(snapshot), plan(later)
    assert first.actions == second.actions
    assert first.actions[0].desired["secret_needed_until"] == "2027-01-03T22:00:00Z"
    assert [f.message.rsplit("until ", 1)[1] for f in first.findings + second.findings] == [
        "2027-03-03T09:30:00Z (today (2027-02-01T09:30:00Z) + 30 days)",
        "2027-03-11T17:45:12Z (today (2027-02-09T17:45:12Z) + 30 days)",
    ]


READ_TODAY = "endpoint-expired-secret-today-gets-a-new-one"


def test_a_date_with_another_offset_or_none_is_the_instant_it_names() -> None:
    """An offset is kept as the instant it names; a date without one is UTC."""
    now = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    assert requested_end("2029-06-01T02:00:00+02:00", now) == "2029-06-01T00:00:00Z"
    assert requested_end("2029-06-01T00:00:00", now) == "2029-06-01T00:00:00Z"


def test_the_deadline_is_written_in_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert secret_deadline(WAVES, "2026-11-01T08:00:00Z") == (
            "2027-03-31T06:00:00Z",
            "late's completeAfter 2027-03-01T06:00:00Z + 30 days",
        )
    finally:
        monkeypatch.undo()
        time.tzset()
