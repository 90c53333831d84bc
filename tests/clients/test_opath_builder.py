"""The OPATH filter builder (t2t/clients/opath.py): every value it quotes reads back, through
the sandbox's parser of Exchange's -Filter, as exactly that value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from t2t.clients.opath import any_of, eq, quotable, quote
from t2t.sandbox.exchange.opath import Compare, Join, parse

_QUOTABLE = st.text().filter(quotable)


def _leaves(expr: object) -> list[Compare]:
    if isinstance(expr, Compare):
        return [expr]
    assert isinstance(expr, Join) and expr.op == "or", expr
    return _leaves(expr.left) + _leaves(expr.right)


@given(_QUOTABLE)
def test_any_quotable_value_round_trips(value: str) -> None:
    assert parse(eq("Name", value), "Get-MailUser") == Compare("Name", value)


@given(
    st.lists(
        st.tuples(st.sampled_from(["EmailAddresses", "UserPrincipalName"]), _QUOTABLE),
        min_size=1,
        max_size=8,
    )
)
def test_a_disjunction_keeps_every_value_in_order(pairs: list[tuple[str, str]]) -> None:
    got = _leaves(parse(any_of(eq(p, v) for p, v in pairs), "Get-Mailbox"))
    assert got == [Compare(p, v) for p, v in pairs]


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
def test_every_printable_ascii_value_is_quotable(value: str) -> None:
    assert quotable(value)


def test_quotes_are_doubled() -> None:
    assert quote("o'brien@contoso.com") == "'o''brien@contoso.com'"
    assert eq("UserPrincipalName", "''") == "(UserPrincipalName -eq '''''')"
    assert any_of(["(Name -eq 'a')", "(Name -eq 'b')"]) == "(Name -eq 'a') -or (Name -eq 'b')"


@pytest.mark.parametrize("value", ["o\u2019brien@contoso.com", "a\u201cb", "line\nbreak", "\x00"])
def test_values_whose_quoting_no_source_fixes_are_refused(value: str) -> None:
    assert not quotable(value)
    with pytest.raises(ValueError):
        quote(value)


@pytest.mark.parametrize("prop", ["", "Name) -or (Name", "1Name", "Name -eq"])
def test_property_names_are_checked(prop: str) -> None:
    with pytest.raises(ValueError):
        eq(prop, "x")


def test_an_empty_disjunction_is_refused() -> None:
    with pytest.raises(ValueError):
        any_of([])
