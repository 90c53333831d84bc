"""When a credential is due and what the plan says about it (t2t/planner/shared/rotation.py),
one rule at a time: the durations as the spec writes them, Graph's end times with or without a
zone, the boundary of rotateBefore, the secret messages, and the rotation's round trip through
a saved plan."""

from __future__ import annotations

import datetime as dt

from t2t.planner.shared.rotation import (
    Rotation,
    ends_within,
    secret_rotation_due,
    shown,
    utc,
)
from t2t.state.directory import PasswordCredential

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SOON = "2026-03-20T00:00:00Z"  # within 30 days of NOW
LATER = "2026-06-01T00:00:00Z"
THIRTY_DAYS = dt.timedelta(days=30)


def secret(key_id: str, end: str) -> PasswordCredential:
    return PasswordCredential(key_id=key_id, display_name=None, end=end)


def test_a_duration_is_shown_in_days_when_whole_else_in_hours() -> None:
    assert shown(THIRTY_DAYS) == "30d"
    assert shown(dt.timedelta(hours=36)) == "36h"


def test_an_end_time_keeps_its_zone_and_one_without_a_zone_isutc() -> None:
    assert utc("2026-03-01T12:00:00Z") == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    plus_two = utc("2026-03-01T12:00:00+02:00")
    assert plus_two.utcoffset() == dt.timedelta(hours=2)
    assert plus_two == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    naive = utc("2026-03-01T12:00:00")
    assert naive.tzinfo is dt.UTC
    assert naive == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def test_a_credential_ending_exactly_at_the_boundary_is_due() -> None:
    assert ends_within("2026-03-31T00:00:00Z", NOW, THIRTY_DAYS)
    assert not ends_within("2026-03-31T00:00:01Z", NOW, THIRTY_DAYS)


def test_the_flag_names_every_marker_secret_it_removes_or_none() -> None:
    flag = Rotation(replaces=("old-1", "old-2"))
    assert secret_rotation_due(flag, ("old-1", "old-2"), (), [], NOW) == (
        "--rotate-credential: the endpoint gets a new secret; t2t's secret(s) old-1, old-2 "
        "removed once it holds it"
    )
    assert secret_rotation_due(flag, (), (), [], NOW) == (
        "--rotate-credential: the endpoint gets a new secret"
    )


def test_t2ts_own_secrets_decide_when_it_has_some() -> None:
    mine = [secret("t2t-1", SOON)]
    others = (*mine, secret("hand-made", LATER))
    assert secret_rotation_due(Rotation(before=THIRTY_DAYS), ("t2t-1",), others, mine, NOW) == (
        f"t2t's secret: t2t-1 ends {SOON}, within rotateBefore 30d"
    )


def test_without_t2ts_secret_every_secret_of_the_app_decides() -> None:
    held = (secret("a", SOON), secret("b", "2026-03-25T00:00:00Z"))
    assert secret_rotation_due(Rotation(before=THIRTY_DAYS), (), held, [], NOW) == (
        f"every secret of the app (the endpoint holds one): a ends {SOON}, "
        "b ends 2026-03-25T00:00:00Z, within rotateBefore 30d"
    )
    not_all = (*held, secret("c", LATER))
    assert secret_rotation_due(Rotation(before=THIRTY_DAYS), (), not_all, [], NOW) is None


def test_a_rotation_comes_back_from_a_saved_plan_as_it_was() -> None:
    for wanted in (
        Rotation(replaces=("version-1", "version-2")),
        Rotation(before=THIRTY_DAYS),
        Rotation(before=THIRTY_DAYS, replaces=()),
    ):
        assert Rotation.from_dict(wanted.to_dict()) == wanted
    assert Rotation.from_dict({}) is None
