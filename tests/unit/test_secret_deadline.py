"""Until when the endpoint's secret must sign in (T2T-E237), and the endDateTime addPassword is
asked for: the last completeAfter or the reading day, whichever is later, plus 30 days; Graph's
default lifetime (two years) is kept whenever it outlives that."""

from __future__ import annotations

import datetime as dt

from t2t.planner.endpoint import requested_end, secret_deadline
from t2t.spec.desired import DesiredBatch, Origin

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
