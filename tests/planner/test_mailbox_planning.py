"""What the mailboxes domain promises besides its plan (the case folders hold the plans): it
leaves the garbage collector as it found it, and the desire an action carries is already in its
JSON form, the one a saved plan gives back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from t2t.planner.mailboxes.desire import MailboxDesire
from tests.planner.cases import all_cases

CASE = next(
    c for c in all_cases("mailboxes") if c.path.name == "fresh-target-plans-the-whole-chain"
)


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_planning_leaves_the_garbage_collector_as_it_found_it(
    enabled: bool, collector_restored: None
) -> None:
    """plan_mailboxes pauses the collector while it plans (its docstring says why), and only
    pauses it."""
    if enabled:
        gc.enable()
    else:
        gc.disable()
    CASE.outcome()
    assert gc.isenabled() is enabled


def test_a_desire_is_written_in_its_json_form() -> None:
    desire = MailboxDesire(
        source="debra@contoso.com",
        target="debra@fabrikam.com",
        upn="debra@fabrikam.onmicrosoft.com",
        name="Debra",
        display_name="Debra",
        target_delivery_domain="fabrikam.mail.onmicrosoft.com",
        exchange_guid="00000001-0000-4000-8000-000000000001",
        archive_guid=None,
        x500s=("X500:/o=ExchangeLabs/cn=Recipients/cn=debra",),
        source_addresses=("debra@contoso.com", "debra@contoso.onmicrosoft.com"),
        external_email_address="debra@contoso.com",
        usage_location="NL",
        license_sku_ids=("4b9405b0-7788-4568-add1-99614e613b69",),
    )
    assert desire.to_dict() == {
        "source": "debra@contoso.com",
        "target": "debra@fabrikam.com",
        "upn": "debra@fabrikam.onmicrosoft.com",
        "name": "Debra",
        "display_name": "Debra",
        "target_delivery_domain": "fabrikam.mail.onmicrosoft.com",
        "exchange_guid": "00000001-0000-4000-8000-000000000001",
        "archive_guid": None,
        "x500s": ["X500:/o=ExchangeLabs/cn=Recipients/cn=debra"],
        "source_addresses": ["debra@contoso.com", "debra@contoso.onmicrosoft.com"],
        "external_email_address": "debra@contoso.com",
        "usage_location": "NL",
        "license_sku_ids": ["4b9405b0-7788-4568-add1-99614e613b69"],
    }
    assert MailboxDesire.from_dict(desire.to_dict()) == desire
