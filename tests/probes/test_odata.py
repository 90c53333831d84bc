"""OData filters are built from values: a crafted address cannot widen a query."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from t2t.clients.odata import any_in, eq, literal


def test_quote_is_doubled() -> None:
    assert eq("userPrincipalName", "o'brien@contoso.com") == (
        "userPrincipalName eq 'o''brien@contoso.com'"
    )


def test_injection_attempt_stays_one_literal() -> None:
    crafted = "x' or startswith(userPrincipalName,'"
    assert eq("mail", crafted) == "mail eq 'x'' or startswith(userPrincipalName,'''"


def test_in_list() -> None:
    assert any_in("appId", ["a", "b'c"]) == "appId in ('a','b''c')"


def test_property_names_are_checked() -> None:
    with pytest.raises(ValueError):
        eq("mail eq 'x' or id", "y")


@given(st.text())
def test_literal_round_trips(value: str) -> None:
    """Every literal is one quoted token: unquote by halving doubled quotes."""
    lit = literal(value)
    assert lit.startswith("'") and lit.endswith("'")
    inner = lit[1:-1]
    assert "'" not in inner.replace("''", "")
    assert inner.replace("''", "'") == value
