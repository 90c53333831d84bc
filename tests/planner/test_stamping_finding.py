"""T2T-E319's one finding names the first five mailboxes it holds back and counts the rest
(t2t/planner/mailboxes/stamping.py): the operator reads who is left out from it."""

from __future__ import annotations

from t2t.planner.mailboxes.stamping import stamping_finding

BOTH = frozenset({"ExchangeGuid", "ArchiveGuid"})
INTRO = (
    "the module Exchange generates for t2t's target identity has no Set-MailUser "
    "-ExchangeGuid and -ArchiveGuid; "
)


def _mailboxes(n: int) -> list[str]:
    return [f"m{i}@fabrikam.com" for i in range(1, n + 1)]


def test_nothing_held_back_is_no_finding() -> None:
    assert stamping_finding(BOTH, []) is None


def test_five_are_all_named() -> None:
    f = stamping_finding(BOTH, _mailboxes(5))
    assert f is not None
    assert (f.code, f.tenant, f.object, f.fixed_by_plan) == (
        "T2T-E319",
        "target",
        "Set-MailUser",
        False,
    )
    assert f.message == INTRO + (
        "5 mailbox(es) need it and are left out, before any MailUser is created: "
        "m1@fabrikam.com, m2@fabrikam.com, m3@fabrikam.com, m4@fabrikam.com, m5@fabrikam.com"
    )


def test_past_five_the_rest_are_counted() -> None:
    f = stamping_finding(frozenset({"ArchiveGuid"}), _mailboxes(6))
    assert f is not None
    assert f.message == (
        "the module Exchange generates for t2t's target identity has no Set-MailUser "
        "-ArchiveGuid; 6 mailbox(es) need it and are left out, before any MailUser is "
        "created: m1@fabrikam.com, m2@fabrikam.com, m3@fabrikam.com, m4@fabrikam.com, "
        "m5@fabrikam.com and 1 more"
    )
