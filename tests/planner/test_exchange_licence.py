"""T2T-W340 (t2t/planner/mailboxes/exchange_licence.py): which licences give a mailbox, and
which mailboxes the warning names — beyond the planner case, the cases a case folder would
need a whole tenant for."""

from __future__ import annotations

from t2t.planner.mailboxes.exchange_licence import gives_mailbox, no_exchange_licence_finding
from t2t.state.directory import SubscribedSku


def sku(part: str, *plans: str) -> SubscribedSku:
    return SubscribedSku(f"id-{part}", part, 10, 0, plans)


STANDARD = sku("EXCHANGESTANDARD", "EXCHANGE_S_STANDARD")
KIOSK = sku("EXCHANGEDESKLESS", "EXCHANGE_S_DESKLESS")
T2T = sku("Cross_tenant_user_data_migration", "EXCHANGEONLINE_T2TMBXMOVE")
POWER_BI = sku("POWER_BI_PRO", "BI_AZURE_P2", "EXCHANGE_S_FOUNDATION")
ARCHIVING = sku("EXCHANGEARCHIVE_ADDON", "EXCHANGE_S_ARCHIVE_ADDON")


def test_only_an_exchange_mailbox_plan_gives_a_mailbox() -> None:
    assert [gives_mailbox(s) for s in (STANDARD, KIOSK, T2T, POWER_BI, ARCHIVING)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert gives_mailbox(sku("lower", "exchange_s_enterprise"))


def test_the_finding_names_five_and_counts_the_rest() -> None:
    unlicensed = [f"u{i}@fabrikam.com" for i in range(7)]
    found = no_exchange_licence_finding([T2T, POWER_BI], unlicensed)
    assert found is not None
    assert (found.code, found.severity, found.tenant, found.object) == (
        "T2T-W340",
        "warning",
        "target",
        "identities.licenses",
    )
    assert found.message == (
        "7 user mailbox(es) will be converted without an Exchange Online licence: "
        "u0@fabrikam.com, u1@fabrikam.com, u2@fabrikam.com, u3@fabrikam.com, u4@fabrikam.com "
        "and 2 more"
    )
    assert not found.blocking


def test_exactly_five_are_all_named_with_no_count() -> None:
    unlicensed = [f"u{i}@fabrikam.com" for i in range(5)]
    found = no_exchange_licence_finding([T2T, POWER_BI], unlicensed)
    assert found is not None
    assert found.message == (
        "5 user mailbox(es) will be converted without an Exchange Online licence: "
        "u0@fabrikam.com, u1@fabrikam.com, u2@fabrikam.com, u3@fabrikam.com, u4@fabrikam.com"
    )


def test_no_finding_when_the_spec_assigns_a_mailbox_or_nobody_lacks_one() -> None:
    assert no_exchange_licence_finding([T2T, KIOSK], ["a@fabrikam.com"]) is None
    assert no_exchange_licence_finding([T2T], []) is None


def test_a_licence_whose_plans_were_not_read_is_not_judged() -> None:
    """A snapshot saved before t2t read servicePlans lists none; Graph always lists them."""
    unread = SubscribedSku("id", "EXCHANGESTANDARD", 10, 0)
    assert no_exchange_licence_finding([T2T, unread], ["a@fabrikam.com"]) is None
    assert no_exchange_licence_finding([], ["a@fabrikam.com"]) is not None  # no licences at all
