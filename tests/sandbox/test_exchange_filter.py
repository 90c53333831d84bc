"""Get-MailUser / Get-Mailbox / Get-Recipient -Filter over real HTTPS: the OPATH subset
t2t/sandbox/exchange/opath.py emulates, and Exchange's refusals (sources in that module)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import ok
from tests.sandbox.helpers import error_detail, values
from tests.sandbox.module_forms import secure

_BIND = "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": "


def _names(sandbox: SandboxHandle, tenant: str, cmdlet: str, params: dict[str, Any]) -> set[str]:
    return {r["Name"] for r in values(sandbox.invoke(tenant, cmdlet, params))}


def _mail_user(sandbox: SandboxHandle, name: str, address: str) -> None:
    ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": name,
            "MicrosoftOnlineServicesID": address,
            "Password": secure(sandbox, "Pa55word!x"),
            "PrimarySmtpAddress": address,
            "ExternalEmailAddress": "someone@contoso.com",
        },
    )


@pytest.mark.parametrize(
    "value",
    [
        "debra@contoso.com",
        "DEBRA@Contoso.COM",  # the directory compares without case
        "smtp:debra@contoso.com",  # a whole proxy
        "SMTP:debra@contoso.onmicrosoft.com",  # a secondary address, prefix in any case
    ],
)
def test_email_addresses_eq_matches_any_smtp_proxy(sandbox: SandboxHandle, value: str) -> None:
    got = _names(sandbox, "contoso", "Get-Mailbox", {"Filter": f"EmailAddresses -eq '{value}'"})
    assert got == {"Debra Berger"}


def test_email_addresses_without_prefix_is_smtp_only_and_x500_needs_its_prefix(
    sandbox: SandboxHandle,
) -> None:
    x500 = "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=allan"
    bare = {"Filter": f"EmailAddresses -eq '{x500}'"}
    assert _names(sandbox, "contoso", "Get-Mailbox", bare) == set()
    prefixed = {"Filter": f"EmailAddresses -eq 'x500:{x500}'"}
    assert _names(sandbox, "contoso", "Get-Mailbox", prefixed) == {"Allan Deyoung"}


def test_or_and_not_ne_and_parentheses(sandbox: SandboxHandle) -> None:
    either = (
        "(EmailAddresses -eq 'debra@contoso.com') -or (UserPrincipalName -eq 'alex@contoso.com')"
    )
    assert _names(sandbox, "contoso", "Get-Mailbox", {"Filter": either}) == {
        "Debra Berger",
        "Alex Wilber",
    }
    both = f"({either}) -and (Name -ne 'Alex Wilber')"
    assert _names(sandbox, "contoso", "Get-Mailbox", {"Filter": both}) == {"Debra Berger"}
    negated = f"({either}) -and -not (Name -eq 'Debra Berger')"
    assert _names(sandbox, "contoso", "Get-Mailbox", {"Filter": negated}) == {"Alex Wilber"}
    none = "(EmailAddresses -eq 'debra@contoso.com') -and (Name -eq 'Alex Wilber')"
    assert _names(sandbox, "contoso", "Get-Mailbox", {"Filter": none}) == set()


def test_ne_alone_checks_every_recipient(sandbox: SandboxHandle) -> None:
    everyone = _names(sandbox, "contoso", "Get-Mailbox", {"ResultSize": "Unlimited"})
    got = _names(
        sandbox,
        "contoso",
        "Get-Mailbox",
        {"Filter": "EmailAddresses -ne 'debra@contoso.com'", "ResultSize": "Unlimited"},
    )
    assert got == everyone - {"Debra Berger"}


def test_doubled_quotes_in_single_and_double_quoted_values(sandbox: SandboxHandle) -> None:
    single = {"Filter": "Name -eq 'Patti O''Brien'"}
    assert _names(sandbox, "contoso", "Get-Mailbox", single) == {"Patti O'Brien"}
    double = {"Filter": 'Name -eq "Patti O\'Brien"'}
    assert _names(sandbox, "contoso", "Get-Mailbox", double) == {"Patti O'Brien"}
    doubled = {"Filter": 'Name -eq "say ""hi"""'}
    assert _names(sandbox, "contoso", "Get-Mailbox", doubled) == set()


def test_each_cmdlet_keeps_its_own_kind(sandbox: SandboxHandle) -> None:
    _mail_user(sandbox, "mu1", "mu1@fabrikam.com")
    f = {"Filter": "(EmailAddresses -eq 'mu1@fabrikam.com') -or (Name -eq 'mu1')"}
    assert _names(sandbox, "fabrikam", "Get-MailUser", f) == {"mu1"}
    assert _names(sandbox, "fabrikam", "Get-Mailbox", f) == set()
    assert _names(sandbox, "fabrikam", "Get-Recipient", f) == {"mu1"}
    mailbox = {"Filter": "EmailAddresses -eq 'debra@contoso.com'"}
    assert _names(sandbox, "contoso", "Get-MailUser", mailbox) == set()
    [mu] = values(sandbox.invoke("fabrikam", "Get-MailUser", f))
    assert set(mu) == set(ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "mu1"})[0])


def test_result_size_caps_a_filtered_list(sandbox: SandboxHandle) -> None:
    f = " -or ".join(f"(Name -eq '{n}')" for n in ("Debra Berger", "Alex Wilber", "Megan Bowen"))
    got = values(sandbox.invoke("contoso", "Get-Mailbox", {"Filter": f, "ResultSize": 2}))
    assert len(got) == 2
    assert {r["Name"] for r in got} < {"Debra Berger", "Alex Wilber", "Megan Bowen"}


def _refused(sandbox: SandboxHandle, cmdlet: str, params: dict[str, Any]) -> tuple[int, str, str]:
    r = sandbox.invoke("contoso", cmdlet, params)
    _, exc, text = error_detail(r)
    return r.status_code, exc, text


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("EmailAddresses -eq 'debra@contoso.com", 20),  # unterminated value
        ("EmailAddresses -eq 'a' -or", 27),  # nothing after -or
        ("(Name -eq 'a'", 14),  # unclosed parenthesis
        ("Name -eq debra", 10),  # an unquoted word is no value
        ("Name -contains 'a'", 6),  # not an OPATH comparison
        ("Name \u2013eq 'a'", 6),  # an en dash is no hyphen
    ],
)
def test_syntax_errors_fail_as_exchange_does(
    sandbox: SandboxHandle, text: str, position: int
) -> None:
    assert _refused(sandbox, "Get-Mailbox", {"Filter": text}) == (
        400,
        "System.Management.Automation.ParameterBindingException",
        f'{_BIND}"Invalid filter syntax. For a description of the filter parameter syntax see '
        f'the command help.\n"{text}" at position {position}."',
    )


def test_a_property_the_cmdlet_does_not_filter_on_is_refused(sandbox: SandboxHandle) -> None:
    # Learn lists UserPrincipalName for Get-Mailbox and Get-MailUser, not Get-Recipient.
    assert _refused(
        sandbox, "Get-Recipient", {"Filter": "UserPrincipalName -eq 'debra@contoso.com'"}
    ) == (
        400,
        "System.Management.Automation.ParameterBindingException",
        f'{_BIND}""UserPrincipalName" is not a recognized filterable property. Valid property '
        'names are: EmailAddresses, ExternalDirectoryObjectId, Name."',
    )


@pytest.mark.parametrize(
    "text",
    ["Name -like 'Deb*'", "ExternalDirectoryObjectId -eq $true", "Office -eq 'Dublin'"],
)
def test_valid_opath_the_sandbox_does_not_model_is_refused_not_ignored(
    sandbox: SandboxHandle, text: str
) -> None:
    status, exc, _ = _refused(sandbox, "Get-Mailbox", {"Filter": text})
    assert (status, exc) == (501, "T2t.Sandbox.NotEmulatedException")


def test_identity_and_filter_are_different_parameter_sets(sandbox: SandboxHandle) -> None:
    params = {"Identity": "debra@contoso.com", "Filter": "Name -eq 'Debra Berger'"}
    assert _refused(sandbox, "Get-MailUser", params) == (
        400,
        "System.Management.Automation.ParameterBindingException",
        "Parameter set cannot be resolved using the specified named parameters.",
    )


@pytest.mark.parametrize(
    ("cmdlet", "text"),
    [
        ("Get-User", "Name -eq 'Debra Berger'"),  # Get-User: only PreviousRecipientTypeDetails
        ("Get-User", "UserPrincipalName -eq 'debra@contoso.com'"),
        ("Get-Mailbox", "PreviousRecipientTypeDetails -ne $null"),  # FP: Get-User's only
    ],
)
def test_get_user_models_previous_recipient_type_details_only(
    sandbox: SandboxHandle, cmdlet: str, text: str
) -> None:
    status, exc, _ = _refused(sandbox, cmdlet, {"Filter": text})
    if cmdlet == "Get-User":
        assert (status, exc) == (501, "T2t.Sandbox.NotEmulatedException")
    else:
        assert (status, exc) == (400, "System.Management.Automation.ParameterBindingException")


def test_null_finds_blank_and_non_blank_values(sandbox: SandboxHandle) -> None:
    """FP: "To look for blank or non-blank property values, use the value $null"; nobody in the
    seed was anything else before, so every user's PreviousRecipientTypeDetails is blank."""
    every = _names(sandbox, "contoso", "Get-User", {"ResultSize": "Unlimited"})
    blank = {"Filter": "PreviousRecipientTypeDetails -eq $null", "ResultSize": "Unlimited"}
    assert _names(sandbox, "contoso", "Get-User", blank) == every
    set_ = {"Filter": "PreviousRecipientTypeDetails -ne $NULL", "ResultSize": "Unlimited"}
    assert _names(sandbox, "contoso", "Get-User", set_) == set()
    assert len(every) > 1


def test_a_filter_does_not_show_what_has_not_replicated_yet(sandbox: SandboxHandle) -> None:
    """Read-after-write lag (faults.py ``lag``; wire-protocols.md §1.5): a filter shows a new
    MailUser only once -Identity does."""
    rule = {
        "kind": "lag",
        "seconds": 30,
        "match": {"service": "exchange", "cmdlet": "New-MailUser"},
    }
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule)
    assert r.status_code == 201, r.text
    _mail_user(sandbox, "mu2", "mu2@fabrikam.com")
    f = {"Filter": "EmailAddresses -eq 'mu2@fabrikam.com'"}
    assert _names(sandbox, "fabrikam", "Get-MailUser", f) == set()
    assert sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": "mu2"}).status_code == 404
    assert sandbox.http.delete(f"{sandbox.base_url}/_sandbox/faults").status_code == 204
    assert _names(sandbox, "fabrikam", "Get-MailUser", f) == {"mu2"}
