"""What the mailboxes domain promises besides its plan (the case folders hold the plans): it
leaves the garbage collector as it found it, the desire an action carries is already in its
JSON form (the one a saved plan gives back), the Graph body the licence executor sends, and the
unverified-UPN finding when the target lists no verified domain, and how two declared sources'
x500s are compared."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator

import pytest

from t2t.planner.checks import finding
from t2t.planner.context import PlanContext
from t2t.planner.domain import plan_domain, present
from t2t.planner.mailboxes.desire import MailboxDesire, source_x400s
from t2t.planner.mailboxes.licensing import assign_body
from t2t.planner.mailboxes.upn import upn_finding
from t2t.state import Fact
from tests.planner.cases import BY_DOMAIN, ROOT, Case, all_cases

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


def test_the_licence_body_adds_each_sku_whole_and_removes_none() -> None:
    """Graph assignLicense: addLicenses (each with its disabledPlans) and removeLicenses are
    both required (https://learn.microsoft.com/graph/api/user-assignlicense)."""
    assert assign_body(("sku-a", "sku-b")) == {
        "addLicenses": [
            {"skuId": "sku-a", "disabledPlans": []},
            {"skuId": "sku-b", "disabledPlans": []},
        ],
        "removeLicenses": [],
    }


def test_an_unverified_upn_domain_with_no_verified_domain_read_says_none() -> None:
    desire = MailboxDesire.from_dict(
        {**next(a for a in CASE.outcome().actions).desired, "upn": "debra@fabrikam.net"}
    )
    assert upn_finding(desire, frozenset(), upn_key=True) == finding(
        "T2T-E321",
        "target",
        desire.target,
        "UPN debra@fabrikam.net (from identities.upnDomain): fabrikam.net is not a verified "
        "domain of the target (verified: none)",
        fixed_by_plan=False,
    )


def test_the_source_x400s_are_each_kept_once_in_order_as_written() -> None:
    snapshot = Case(ROOT / "mailboxes" / "fresh-target-plans-the-whole-chain").snapshot()
    debra = dataclasses.replace(
        present(snapshot.source.recipients)[0],
        email_addresses=(
            "SMTP:debra@contoso.com",
            "X400:C=US;A= ;P=Contoso;O=Exchange;S=Berger;G=Debra;",
            "x400:c=us;a= ;p=contoso;o=exchange;s=berger;g=debra;",
            "X400:C=NL;A= ;P=Contoso;O=Amsterdam;S=Berger;G=Debra;",
        ),
    )
    assert source_x400s(debra) == (
        "X400:C=US;A= ;P=Contoso;O=Exchange;S=Berger;G=Debra;",
        "X400:C=NL;A= ;P=Contoso;O=Amsterdam;S=Berger;G=Debra;",
    )


def test_two_sources_x500s_clash_when_equal_in_any_case_and_only_then() -> None:
    """T2T-E315 compares x500s as Exchange compares proxy addresses, letter by letter in any
    case: 'Shared1' and 'SHARED1' are one address, 'Straße' and 'STRASSE' are two (upper-casing
    the whole string would make ß 'SS' and claim a clash that is not there)."""
    case = Case(ROOT / "mailboxes" / "x500s-of-two-declared-sources-block-the-second")
    snapshot = case.snapshot()
    dn = "X500:/o=Contoso/ou=First Administrative Group/cn=Recipients/cn="
    debra, alex = present(snapshot.source.recipients)
    recipients = (
        dataclasses.replace(
            debra,
            email_addresses=("SMTP:debra@contoso.com", f"{dn}Shared1", f"{dn}Straße"),
        ),
        dataclasses.replace(
            alex,
            email_addresses=("SMTP:alex@contoso.com", f"{dn}SHARED1", f"{dn}STRASSE"),
        ),
    )
    source = dataclasses.replace(snapshot.source, recipients=Fact.present(recipients))
    context = PlanContext(case.spec(), dataclasses.replace(snapshot, source=source), [], [])
    outcome = plan_domain(BY_DOMAIN["mailboxes"], context)
    assert [f for f in outcome.findings if f.code == "T2T-E315"] == [
        finding(
            "T2T-E315",
            "target",
            "alex@fabrikam.com",
            f"{dn}SHARED1 is also an address of declared source debra@contoso.com",
            fixed_by_plan=False,
        )
    ]
