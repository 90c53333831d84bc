"""Mail contacts as Exchange Online answers for them (exchange/cmdlets/contacts.py): Name unique
across every recipient of the organization, the external address the primary proxy, custom
attributes and visibility set later, Remove- high-impact, Get- lagging behind New-."""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import advance_clock, ok, sandbox_now
from tests.sandbox.helpers import error_detail, values, warnings
from tests.sandbox.test_replication import DC

ALREADY = "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"


def _err(r: Any) -> tuple[int, str, str]:
    _, exc, text = error_detail(r)
    return r.status_code, exc, text


def _new(sandbox: SandboxHandle, name: str, address: str, **extra: Any) -> Any:
    params = {"Name": name, "ExternalEmailAddress": address, **extra}
    return sandbox.invoke("fabrikam", "New-MailContact", params)


def test_a_contact_round_trips_with_its_defaults(sandbox: SandboxHandle) -> None:
    before = sandbox_now(sandbox).replace(microsecond=0)
    [made] = values(_new(sandbox, "Lease Holder", "SMTP:lease@t2t-lease.invalid"))
    assert made["DisplayName"] == "Lease Holder"  # Name when no DisplayName is given
    assert made["Alias"] == "LeaseHolder"  # spaces removed
    assert made["ExternalEmailAddress"] == "SMTP:lease@t2t-lease.invalid"
    assert made["PrimarySmtpAddress"] == "lease@t2t-lease.invalid"
    assert made["RecipientTypeDetails"] == "MailContact"
    assert made["HiddenFromAddressListsEnabled"] is False
    assert made["CustomAttribute1"] == "" and made["CustomAttribute15"] == ""
    assert made["WhenCreatedUTC"] == made["WhenChangedUTC"]
    assert made["WhenCreatedUTC"] >= before.strftime("%Y-%m-%dT%H:%M:%S")
    for identity in ("Lease Holder", "LeaseHolder", "lease@t2t-lease.invalid", made["Guid"]):
        [read] = values(sandbox.invoke("fabrikam", "Get-MailContact", {"Identity": identity}))
        assert read["Guid"] == made["Guid"], identity
    assert [c["Name"] for c in values(sandbox.invoke("fabrikam", "Get-MailContact", {}))] == [
        "Lease Holder"
    ]
    assert values(sandbox.invoke("contoso", "Get-MailContact", {})) == []  # per tenant


def test_a_second_contact_of_a_name_in_use_is_refused(sandbox: SandboxHandle) -> None:
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "t2t-lease-x", "ExternalEmailAddress": "a@x.invalid"},
    )
    again = _new(sandbox, "T2T-LEASE-X", "b@x.invalid", DisplayName="someone else")
    assert _err(again) == (
        400,
        ALREADY,
        'The name "T2T-LEASE-X" is already being used. Please try another name.',
    )
    [only] = values(sandbox.invoke("fabrikam", "Get-MailContact", {}))
    assert (only["Name"], only["DisplayName"]) == ("t2t-lease-x", "t2t-lease-x")


def test_the_name_is_unique_across_every_kind_of_recipient(sandbox: SandboxHandle) -> None:
    [mailbox] = values(sandbox.invoke("fabrikam", "Get-Mailbox", {"ResultSize": 1}))
    code, exc, text = _err(_new(sandbox, mailbox["Name"], "c@x.invalid"))
    assert (code, exc) == (400, ALREADY) and "is already being used" in text
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "shared-name", "ExternalEmailAddress": "d@x.invalid"},
    )
    group = sandbox.invoke("fabrikam", "New-DistributionGroup", {"Name": "shared-name"})
    assert _err(group)[:2] == (400, ALREADY)
    code, exc, _ = _err(
        sandbox.invoke(
            "fabrikam",
            "New-MailUser",
            {"Name": "shared-name", "ExternalEmailAddress": "e@x.invalid"},
        )
    )
    assert (code, exc) == (400, ALREADY)


def test_the_external_address_is_a_proxy_no_one_else_may_hold(sandbox: SandboxHandle) -> None:
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "first", "ExternalEmailAddress": "same@x.invalid"},
    )
    code, exc, text = _err(_new(sandbox, "second", "SMTP:same@x.invalid"))
    assert (code, exc) == (400, ALREADY)
    assert text.startswith('The proxy address "SMTP:same@x.invalid" is already being used')
    assert '"first"' in text


def test_lengths_are_refused_as_exchange_refuses_them(sandbox: SandboxHandle) -> None:
    long_name = _new(sandbox, "n" * 65, "f@x.invalid")
    assert _err(long_name) == (
        400,
        "Microsoft.Exchange.Data.DataValidationException",
        "The length of the property is too long. The maximum length is 64 and the length of "
        "the value provided is 65.",
    )
    long_display = _new(sandbox, "ok", "f@x.invalid", DisplayName="d" * 257)
    assert "The maximum length is 256" in _err(long_display)[2]
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "ok", "ExternalEmailAddress": "f@x.invalid"},
    )
    long_attribute = sandbox.invoke(
        "fabrikam", "Set-MailContact", {"Identity": "ok", "CustomAttribute3": "v" * 1025}
    )
    assert "The maximum length is 1024" in _err(long_attribute)[2]


def test_set_changes_attributes_and_when_changed_and_warns_on_nothing(
    sandbox: SandboxHandle,
) -> None:
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "lease", "ExternalEmailAddress": "g@x.invalid"},
    )
    advance_clock(sandbox, 90)
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailContact",
        {"Identity": "lease", "CustomAttribute1": "renewed", "HiddenFromAddressListsEnabled": True},
    )
    assert values(r) == [] and warnings(r) == []
    [read] = values(sandbox.invoke("fabrikam", "Get-MailContact", {"Identity": "lease"}))
    assert read["CustomAttribute1"] == "renewed"
    assert read["HiddenFromAddressListsEnabled"] is True
    assert read["WhenChangedUTC"] > read["WhenCreatedUTC"]
    same = sandbox.invoke(
        "fabrikam", "Set-MailContact", {"Identity": "lease", "CustomAttribute1": "renewed"}
    )
    assert warnings(same) == [
        "The command completed successfully but no settings of 'lease' have been modified."
    ]
    cleared = sandbox.invoke(
        "fabrikam", "Set-MailContact", {"Identity": "lease", "CustomAttribute1": ""}
    )
    assert warnings(cleared) == []
    [read] = values(sandbox.invoke("fabrikam", "Get-MailContact", {"Identity": "lease"}))
    assert read["CustomAttribute1"] == ""
    missing = sandbox.invoke(
        "fabrikam", "Set-MailContact", {"Identity": "nobody", "CustomAttribute1": "x"}
    )
    assert _err(missing)[:2] == (
        404,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    )


def test_remove_is_high_impact_and_frees_the_name(sandbox: SandboxHandle) -> None:
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "lease", "ExternalEmailAddress": "h@x.invalid"},
    )
    unconfirmed = sandbox.invoke("fabrikam", "Remove-MailContact", {"Identity": "lease"})
    assert _err(unconfirmed)[1] == "System.Management.Automation.Host.HostException"
    assert len(values(sandbox.invoke("fabrikam", "Get-MailContact", {}))) == 1
    ok(sandbox, "fabrikam", "Remove-MailContact", {"Identity": "lease", "Confirm": False})
    assert values(sandbox.invoke("fabrikam", "Get-MailContact", {})) == []
    gone = sandbox.invoke("fabrikam", "Remove-MailContact", {"Identity": "lease", "Confirm": False})
    assert _err(gone)[0] == 404
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "lease", "ExternalEmailAddress": "h@x.invalid"},
    )


def test_a_new_contact_lags_behind_its_get_but_its_name_is_taken_at_once(
    sandbox: SandboxHandle,
) -> None:
    rule = {"kind": "lag", "seconds": 6, "match": {"service": "exchange"}}
    assert sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).status_code == 201
    ok(
        sandbox,
        "fabrikam",
        "New-MailContact",
        {"Name": "lagging", "ExternalEmailAddress": "i@x.invalid"},
    )
    hidden = sandbox.invoke("fabrikam", "Get-MailContact", {"Identity": "lagging"})
    assert hidden.status_code == 404
    assert values(sandbox.invoke("fabrikam", "Get-MailContact", {})) == []
    assert _err(_new(sandbox, "lagging", "j@x.invalid"))[:2] == (400, ALREADY)
    # Set-/Remove- look the contact up on the same replica (README, C3)
    stamp = {"Identity": "lagging", "CustomAttribute1": "renewed"}
    for cmdlet, params in (
        ("Set-MailContact", stamp),
        ("Remove-MailContact", {"Identity": "lagging", "Confirm": False}),
    ):
        assert _err(sandbox.invoke("fabrikam", cmdlet, params)) == (
            404,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "The operation couldn't be performed because object 'lagging' couldn't be found on "
            f"'{DC}'.",
        ), cmdlet
    advance_clock(sandbox, 7)
    ok(sandbox, "fabrikam", "Set-MailContact", stamp)
    [read] = values(sandbox.invoke("fabrikam", "Get-MailContact", {"Identity": "lagging"}))
    assert read["ExternalEmailAddress"] == "SMTP:i@x.invalid"
    assert read["CustomAttribute1"] == "renewed"
