"""Every wire guess the planner flags is listed, with its assumption, in clients/wire.py."""

from __future__ import annotations

import datetime as dt

from t2t.clients import wire
from t2t.planner import relationships


def test_planner_flags_refer_to_listed_guesses() -> None:
    from t2t.planner.mailboxes import domain as mailboxes

    assert relationships.WIRE_CAPABILITY in wire.GUESSES
    assert mailboxes.WIRE_STAMP in wire.GUESSES
    assert mailboxes.WIRE_PASSWORD in wire.GUESSES


def test_every_guess_says_what_it_assumes_and_why() -> None:
    for guess in wire.GUESSES.values():
        assert guess.what and guess.assumption and guess.why


def test_encodings() -> None:
    assert wire.capability(["Inbound", "RemoteOutbound"]) == "Inbound, RemoteOutbound"
    assert wire.csv_data("EmailAddress\nA@fabrikam.com\n") == (
        "RW1haWxBZGRyZXNzCkFAZmFicmlrYW0uY29tCg=="
    )
    when = dt.datetime(2026, 12, 5, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert wire.datetime_value(when) == "2026-12-05T22:00:00.0000000Z"
    assert wire.add_remove(add=["x500:/o=a"]) == {
        "@odata.type": "#Exchange.GenericHashTable",
        "add": ["x500:/o=a"],
    }
