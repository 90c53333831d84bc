"""A kind name that is not in the registry (t2t/planner/kinds.py) is a lookup error naming it
and where kinds are declared, never a default kind."""

from __future__ import annotations

import pytest

from t2t.planner import kinds as K


def test_a_known_kind_is_found_by_its_name() -> None:
    assert K.kind_of("orgrel.create") is K.ORGREL_CREATE


def test_an_unknown_kind_name_says_which_and_where_kinds_live() -> None:
    with pytest.raises(LookupError) as raised:
        K.kind_of("orgrel.frobnicate")
    assert str(raised.value) == "no action kind 'orgrel.frobnicate' (t2t/planner/kinds.py)"
