"""The PowerShell rendering quotes every value as a literal, so a value cannot inject a command."""

from __future__ import annotations

from t2t.render import ps_literal


def test_single_quotes_are_doubled() -> None:
    assert ps_literal("O'Brien") == "'O''Brien'"


def test_injection_stays_inside_the_literal() -> None:
    assert (
        ps_literal("x'; Remove-Mailbox -Identity * ; '") == "'x''; Remove-Mailbox -Identity * ; '''"
    )
    assert ps_literal("$(Get-Secret)") == "'$(Get-Secret)'"


def test_typographic_quotes_are_doubled_too() -> None:
    # PowerShell treats ‘ and ’ as single quotes as well.
    assert ps_literal("a’b") == "'a’’b'"


def test_scalars_and_lists() -> None:
    assert ps_literal(True) == "$true"
    assert ps_literal(None) == "$null"
    assert ps_literal(["a", "b"]) == "@('a','b')"
    assert ps_literal(100) == "100"


def test_booleans_bind_to_switches_and_bools_alike() -> None:
    from t2t.render.powershell import _parameter

    assert _parameter("AutoStart", True) == "-AutoStart:$true"
    assert _parameter("Enabled", False) == "-Enabled:$false"
    assert _parameter("Name", "x") == "-Name 'x'"


def test_every_quote_powershell_knows_is_doubled() -> None:
    crafted = "Bob\u201a; Remove-Mailbox -Identity ceo -Confirm:$false; \u201b"
    assert (
        ps_literal(crafted)
        == "'Bob\u201a\u201a; Remove-Mailbox -Identity ceo -Confirm:$false; \u201b\u201b'"
    )


def test_a_newline_cannot_leave_a_comment_line() -> None:
    out = ps_literal("x\nRemove-Mailbox ceo")
    assert "\n" not in out
    assert out == "('x' + [char]10 + 'Remove-Mailbox ceo')"
