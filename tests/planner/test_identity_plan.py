"""`plan_identity` whole, as the mailuser executors re-plan with it right before they write
(t2t/apply/executors/mailuser.py): its state (absent → New-MailUser; foreign-mailbox or
dir-synced → refused), its blocking codes (refused when any), what Set-MailUser would send, and
the findings the planner shows. The plans a domain makes of it are in the case folders; these
are the states and inputs no plan.json shows."""

from __future__ import annotations

import dataclasses

from t2t.planner.actions import Change
from t2t.planner.checks import finding
from t2t.planner.mailboxes import IdentityPlan, MailboxDesire, plan_identity
from t2t.state.exchange import ZERO_GUID, Recipient

GUID = "00000001-0000-4000-8000-000000000001"
ARCHIVE = "0000000a-0000-4000-8000-00000000000a"
OTHER = "0000000b-0000-4000-8000-00000000000b"
X500 = (
    "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=debra"
)
DESIRE = MailboxDesire(
    source="debra@contoso.com",
    target="debra@fabrikam.com",
    upn="debra@fabrikam.onmicrosoft.com",
    name="Debra",
    display_name="Debra",
    target_delivery_domain="fabrikam.mail.onmicrosoft.com",
    exchange_guid=GUID,
    archive_guid=None,
    x500s=(X500,),
    source_addresses=("debra@contoso.com",),
    external_email_address="debra@contoso.com",
    usage_location="NL",
    license_sku_ids=(),
)
#: The target MailUser as the executors find it once stamped: nothing left to send.
PREPARED = Recipient(
    identity="debra",
    guid="0000001e-0000-4000-8000-00000000001e",
    user_principal_name="debra@fabrikam.onmicrosoft.com",
    primary_smtp_address="debra@fabrikam.com",
    recipient_type_details="MailUser",
    exchange_guid=GUID,
    archive_guid=ZERO_GUID,
    legacy_exchange_dn="/o=ExchangeLabs/cn=Recipients/cn=t-debra",
    email_addresses=(
        "SMTP:debra@fabrikam.com",
        X500,
        "smtp:debra@fabrikam.mail.onmicrosoft.com",
    ),
    external_email_address="SMTP:debra@contoso.com",
    is_dir_synced=False,
    persisted_capabilities=(),
)


def test_a_prepared_mail_user_is_a_mail_user_with_nothing_to_send() -> None:
    assert plan_identity(DESIRE, PREPARED, None) == IdentityPlan(state="mailuser")


def test_a_mailbox_with_another_exchange_guid_is_foreign_and_blocks() -> None:
    """The executors refuse it (T2T-E310 in blocked) rather than write to a mailbox."""
    current = dataclasses.replace(
        PREPARED, recipient_type_details="UserMailbox", exchange_guid=OTHER
    )
    assert plan_identity(DESIRE, current, None) == IdentityPlan(
        state="foreign-mailbox",
        findings=[
            finding(
                "T2T-E310",
                "target",
                "debra@fabrikam.com",
                f"UserMailbox with ExchangeGuid {OTHER}, not the source's {GUID}",
                fixed_by_plan=False,
            )
        ],
        blocked=["T2T-E310"],
    )


def test_the_external_address_is_compared_without_its_prefix_whole_or_as_written() -> None:
    """SMTP:<address> loses its prefix only (a quoted local part may hold ':', RFC 5321); an
    address without a prefix is compared as it is."""
    quoted = '"debra:old"@contoso.com'
    d = dataclasses.replace(DESIRE, source_addresses=("debra@contoso.com", quoted))
    for external in (f"SMTP:{quoted}", "debra@contoso.com"):
        current = dataclasses.replace(PREPARED, external_email_address=external)
        assert plan_identity(d, current, None) == IdentityPlan(state="mailuser"), external


def test_a_mail_user_without_external_address_blocks_and_says_so() -> None:
    current = dataclasses.replace(PREPARED, external_email_address=None)
    assert plan_identity(DESIRE, current, None) == IdentityPlan(
        state="mailuser",
        findings=[
            finding(
                "T2T-E313",
                "target",
                "debra@fabrikam.com",
                "ExternalEmailAddress is not set; the source's addresses are debra@contoso.com",
                fixed_by_plan=False,
            )
        ],
        blocked=["T2T-E313"],
    )


def test_unaccepted_domains_are_named_once_each_by_the_domain_after_the_last_at() -> None:
    """The primary is named as the primary only; a proxy's domain follows its last '@' (a
    quoted local part may hold one, RFC 5321)."""
    current = dataclasses.replace(
        PREPARED,
        email_addresses=(
            *PREPARED.email_addresses,
            "smtp:debra@litware.com",
            'smtp:"debra@litware.com"@fabrikam.mail.onmicrosoft.com',
        ),
    )
    accepted = frozenset({"fabrikam.mail.onmicrosoft.com"})
    assert plan_identity(DESIRE, current, accepted) == IdentityPlan(
        state="mailuser",
        findings=[
            finding(
                "T2T-E312",
                "target",
                "debra@fabrikam.com",
                "not an accepted domain of the target: primary debra@fabrikam.com, "
                "proxy debra@litware.com",
                fixed_by_plan=False,
            )
        ],
        blocked=["T2T-E312"],
    )


def test_an_archive_is_stamped_over_another_and_never_again() -> None:
    d = dataclasses.replace(DESIRE, archive_guid=ARCHIVE)
    other = dataclasses.replace(PREPARED, archive_guid=OTHER)
    assert plan_identity(d, other, None) == IdentityPlan(
        state="mailuser",
        set_params={"Identity": PREPARED.guid, "ArchiveGuid": ARCHIVE},
        changes=[Change(field="ArchiveGuid", before=OTHER, after=ARCHIVE)],
    )
    stamped = dataclasses.replace(PREPARED, archive_guid=ARCHIVE)
    assert plan_identity(d, stamped, None) == IdentityPlan(state="mailuser")


def test_a_new_mail_users_primary_can_serve_as_the_delivery_proxy() -> None:
    """With the target delivery domain the primary's own, New-MailUser's primary address is
    the proxy the move needs: Set-MailUser adds the x500s only."""
    d = dataclasses.replace(DESIRE, target_delivery_domain="fabrikam.com")
    assert plan_identity(d, None, None) == IdentityPlan(
        state="absent",
        create={
            "Name": "Debra",
            "DisplayName": "Debra",
            "MicrosoftOnlineServicesID": "debra@fabrikam.onmicrosoft.com",
            "PrimarySmtpAddress": "debra@fabrikam.com",
            "ExternalEmailAddress": "debra@contoso.com",
        },
        set_params={
            "Identity": "debra@fabrikam.com",
            "ExchangeGuid": GUID,
            "EmailAddresses": {"add": [X500]},
        },
        changes=[
            Change(field="ExchangeGuid", before=None, after=GUID),
            Change(field="EmailAddresses", before=None, after={"add": [X500]}),
        ],
    )


def test_a_synced_mail_user_is_never_written_and_lists_what_to_write_on_premises() -> None:
    """State dir-synced: the executors refuse it; T2T-E311 names each attribute as Active
    Directory spells it."""
    d = dataclasses.replace(DESIRE, archive_guid=ARCHIVE)
    current = dataclasses.replace(
        PREPARED,
        is_dir_synced=True,
        exchange_guid=ZERO_GUID,
        email_addresses=("SMTP:debra@fabrikam.com",),
        external_email_address="SMTP:debra@litware.com",
    )
    assert plan_identity(d, current, None) == IdentityPlan(
        state="dir-synced",
        findings=[
            finding(
                "T2T-E311",
                "target",
                "debra@fabrikam.com",
                "IsDirSynced: write on-premises (then sync): "
                f"msExchMailboxGuid = {GUID}; msExchArchiveGUID = {ARCHIVE}; "
                f"proxyAddresses += {X500}, smtp:debra@fabrikam.mail.onmicrosoft.com; "
                "targetAddress = SMTP:debra@contoso.com",
                fixed_by_plan=False,
            )
        ],
        blocked=["T2T-E311"],
    )


def test_a_synced_mail_user_with_an_archive_the_source_lacks_must_lose_it() -> None:
    current = dataclasses.replace(PREPARED, is_dir_synced=True, archive_guid=OTHER)
    assert plan_identity(DESIRE, current, None) == IdentityPlan(
        state="dir-synced",
        findings=[
            finding(
                "T2T-E311",
                "target",
                "debra@fabrikam.com",
                "IsDirSynced: write on-premises (then sync): "
                "msExchArchiveGUID cleared (the source has no archive)",
                fixed_by_plan=False,
            )
        ],
        blocked=["T2T-E311"],
    )
