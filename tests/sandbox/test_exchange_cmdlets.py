"""Exchange cmdlets of issue 5 over real HTTPS: behaviour, output properties, validation.

microsoft-t2t.md §3.5–§3.7, §4, §6; wire-protocols.md §1.
"""

from __future__ import annotations

from typing import Any

import pytest

from t2t.sandbox.moves.catalogue import CATALOGUE
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    APP_ID,
    CONTOSO_ID,
    ENDPOINT,
    EXO_STANDARD_SKU,
    assign_licenses,
    consent,
    migration_secret,
    ok,
    set_dehydrated,
    set_pace,
    setup_organizations,
    wait_out_licensing,
)
from tests.sandbox.helpers import error_detail, warnings
from tests.sandbox.module_forms import credential, csv_data, secure

_MEMBER = {"BypassSecurityGroupManagerCheck": True, "Confirm": False}
"""An app changes membership only with the bypass switch; Remove- is High-impact."""


def _err(r: Any) -> tuple[int, str, str]:
    _, exc, text = error_detail(r)
    return r.status_code, exc, text


# ------------------------------------------------------------------ organization


def test_dehydrated_org_refuses_relationships_and_endpoints_until_customized(
    sandbox: SandboxHandle,
) -> None:
    set_dehydrated(sandbox, "fabrikam")
    consent(sandbox, "contoso")
    [cfg] = ok(sandbox, "fabrikam", "Get-OrganizationConfig")
    assert cfg["IsDehydrated"] is True
    rel = {"Name": "contoso", "DomainNames": [CONTOSO_ID], "MailboxMoveCapability": "Inbound"}
    r = sandbox.invoke("fabrikam", "New-OrganizationRelationship", rel)
    status, exc, text = _err(r)
    assert status == 400
    assert exc.endswith(".InvalidOperationInDehydratedContextException")
    assert text == (
        "The command you tried to run isn't currently allowed in your organization. To run "
        "this command, you first need to run the command: Enable-OrganizationCustomization."
    )
    ep = {
        "Name": ENDPOINT,
        "ExchangeRemoteMove": True,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": "contoso.onmicrosoft.com",
        "ApplicationId": APP_ID,
        "Credentials": credential(sandbox, APP_ID, migration_secret(sandbox)),
    }
    r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", ep)
    assert _err(r)[1].endswith(".InvalidOperationInDehydratedContextException")
    assert ok(sandbox, "fabrikam", "Enable-OrganizationCustomization") == []
    [cfg] = ok(sandbox, "fabrikam", "Get-OrganizationConfig")
    assert cfg["IsDehydrated"] is False
    ok(sandbox, "fabrikam", "New-OrganizationRelationship", rel)
    ok(sandbox, "fabrikam", "New-MigrationEndpoint", ep)
    r = sandbox.invoke("fabrikam", "Enable-OrganizationCustomization")
    status, exc, text = _err(r)
    assert (exc, text) == (
        "System.InvalidOperationException",
        "This operation is not required. Organization is already enabled for customization.",
    )


def test_get_accepted_domain(sandbox: SandboxHandle) -> None:
    rows = ok(sandbox, "fabrikam", "Get-AcceptedDomain")
    names = {r["DomainName"]: r for r in rows}
    assert set(names) == {
        "fabrikam.onmicrosoft.com",
        "fabrikam.com",
        "fabrikam.mail.onmicrosoft.com",
    }
    assert names["fabrikam.com"]["Default"] is True
    assert names["fabrikam.onmicrosoft.com"]["InitialDomain"] is True
    assert names["fabrikam.com"]["DomainType"] == "Authoritative"
    r = sandbox.invoke("fabrikam", "Get-AcceptedDomain", {"Identity": "contoso.com"})
    assert r.status_code == 404
    assert _err(r)[1].endswith("ManagementObjectNotFoundException")


# ------------------------------------------------------------------ groups


def test_security_group_and_members(sandbox: SandboxHandle) -> None:
    [g] = ok(
        sandbox, "contoso", "New-DistributionGroup", {"Name": "wave2scope", "Type": "Security"}
    )
    assert g["RecipientTypeDetails"] == "MailUniversalSecurityGroup"
    assert g["PrimarySmtpAddress"] == "wave2scope@contoso.onmicrosoft.com"
    [d] = ok(sandbox, "contoso", "New-DistributionGroup", {"Name": "news"})
    assert d["RecipientTypeDetails"] == "MailUniversalDistributionGroup"
    r = sandbox.invoke("contoso", "New-DistributionGroup", {"Name": "x", "Type": "Secure"})
    status, exc, text = _err(r)
    assert status == 400 and "ParameterBindingArgumentTransformationException" in exc
    assert (
        "Specify one of the following enumerator names and try again:\r\nDistribution, Security"
        in text
    )
    ok(
        sandbox,
        "contoso",
        "Add-DistributionGroupMember",
        {"Identity": "wave2scope", "Member": "alex@contoso.com", **_MEMBER},
    )
    r = sandbox.invoke(
        "contoso",
        "Add-DistributionGroupMember",
        {"Identity": "wave2scope", "Member": "alex@contoso.com", **_MEMBER},
    )
    assert (
        _err(r)[2]
        == 'The recipient "alex@contoso.com" is already a member of the group "wave2scope".'
    )
    [m] = ok(sandbox, "contoso", "Get-DistributionGroupMember", {"Identity": "wave2scope"})
    assert m["PrimarySmtpAddress"] == "alex@contoso.com" and m["RecipientType"] == "UserMailbox"
    r = sandbox.invoke(
        "contoso",
        "Add-DistributionGroupMember",
        {"Identity": "wave2scope", "Member": "ghost@contoso.com", **_MEMBER},
    )
    assert r.status_code == 404
    ok(
        sandbox,
        "contoso",
        "Remove-DistributionGroupMember",
        {"Identity": "wave2scope", "Member": "alex@contoso.com", **_MEMBER},
    )
    assert ok(sandbox, "contoso", "Get-DistributionGroupMember", {"Identity": "wave2scope"}) == []
    r = sandbox.invoke(
        "contoso",
        "Remove-DistributionGroupMember",
        {"Identity": "wave2scope", "Member": "alex@contoso.com", **_MEMBER},
    )
    assert (
        _err(r)[2] == 'The recipient "alex@contoso.com" isn\'t a member of the group "wave2scope".'
    )
    # A new security group is accepted as a relationship scope without the warning (§3.5).
    r = sandbox.invoke(
        "contoso",
        "New-OrganizationRelationship",
        {
            "Name": "f",
            "DomainNames": ["9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"],
            "MailboxMovePublishedScopes": ["wave2scope", "news"],
        },
    )
    assert warnings(r) == [
        "Access scope specified 'news' is not a security group. This scope will not be added to "
        "the organization relationship."
    ]


# ------------------------------------------------------------------ recipients


def test_mailbox_properties_and_sizes_come_from_statistics(sandbox: SandboxHandle) -> None:
    [m] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": "megan@contoso.com"})
    for prop in (
        "ExchangeGuid", "ArchiveGuid", "ArchiveStatus", "LegacyExchangeDN", "EmailAddresses",
        "LitigationHoldEnabled", "InPlaceHolds", "MailboxLocations", "PersistedCapabilities",
        "GrantSendOnBehalfTo", "RecoverableItemsQuota", "ExternalDirectoryObjectId",
    ):  # fmt: skip
        assert prop in m, prop
    assert m["ArchiveStatus"] == "Active"
    assert m["ExchangeGuid@odata.type"] == "#Guid"
    assert m["LegacyExchangeDN"].startswith("/o=ExchangeLabs/ou=Exchange Administrative Group")
    assert "BPOS_S_Standard" in m["PersistedCapabilities"]
    assert any("MainArchive" in loc for loc in m["MailboxLocations"])
    assert "TotalItemSize" not in m and "ItemCount" not in m
    [s] = ok(sandbox, "contoso", "Get-MailboxStatistics", {"Identity": "megan@contoso.com"})
    assert s["TotalItemSize"].endswith(" bytes)") and s["ItemCount"] > 0
    assert s["MailboxGuid"] == m["ExchangeGuid"]
    assert "TotalDeletedItemSize" in s and "ExchangeGuid" not in s
    [a] = ok(
        sandbox,
        "contoso",
        "Get-MailboxStatistics",
        {"Identity": "megan@contoso.com", "Archive": True},
    )
    assert a["MailboxGuid"] == m["ArchiveGuid"]
    [held] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": "henrietta@contoso.com"})
    assert held["LitigationHoldEnabled"] is True


def test_recipient_user_permission_and_paging(sandbox: SandboxHandle) -> None:
    [r] = ok(sandbox, "contoso", "Get-Recipient", {"Identity": "alex@contoso.com"})
    assert r["RecipientType"] == "UserMailbox" and "ProhibitSendQuota" not in r
    [u] = ok(sandbox, "contoso", "Get-User", {"Identity": "alex@contoso.com"})
    assert (
        u["UserPrincipalName"] == "alex@contoso.com" and u["RecipientTypeDetails"] == "UserMailbox"
    )
    [p] = ok(sandbox, "contoso", "Get-MailboxPermission", {"Identity": "alex@contoso.com"})
    assert p["User"] == "NT AUTHORITY\\SELF" and p["AccessRights"] == [
        "FullAccess",
        "ReadPermission",
    ]
    all_rows = ok(sandbox, "contoso", "Get-Recipient", {"ResultSize": "Unlimited"})
    first = sandbox.invoke(
        "contoso",
        "Get-Recipient",
        {"ResultSize": "Unlimited"},
        headers={"Prefer": "odata.maxpagesize=5"},
    )
    body = first.json()
    assert len(body["value"]) == 5 and "@odata.nextLink" in body
    seen = list(body["value"])
    while "@odata.nextLink" in body:
        body = sandbox.invoke(
            "contoso",
            "Get-Recipient",
            {"ResultSize": "Unlimited"},
            url=body["@odata.nextLink"],
            headers={"Prefer": "odata.maxpagesize=5"},
        ).json()
        seen += body["value"]
    assert [x["Guid"] for x in seen] == [x["Guid"] for x in all_rows]
    capped = ok(sandbox, "contoso", "Get-Mailbox", {"ResultSize": 3})
    assert len(capped) == 3


def test_unknown_parameter_and_missing_object(sandbox: SandboxHandle) -> None:
    r = sandbox.invoke("contoso", "Get-Mailbox", {"Identity": "alex@contoso.com", "Sizes": True})
    status, exc, text = _err(r)
    assert (status, text) == (
        400,
        "A parameter cannot be found that matches parameter name 'Sizes'.",
    )
    r = sandbox.invoke("contoso", "Get-Mailbox", {"Identity": "nobody@contoso.com"})
    status, exc, text = _err(r)
    assert status == 404 and exc.endswith("ManagementObjectNotFoundException")
    assert text.startswith(
        "The operation couldn't be performed because object 'nobody@contoso.com'"
    )
    r = sandbox.invoke("contoso", "Get-MailUser", {"Identity": "alex@contoso.com"})
    assert r.status_code == 404  # a mailbox is not a mail user


def test_new_mail_user_refuses_a_password_entra_refuses(sandbox: SandboxHandle) -> None:
    """Entra's policy for a cloud user's password (Learn, "Microsoft Entra password
    policies"): 8 to 256 characters, three of the four classes, no Unicode. Each refusal
    creates nothing; the lower boundary is accepted. (The 256 bound cannot be reached: the
    module's RSA PKCS#1 v1.5 encryption under a 2048-bit key carries at most 245 bytes.)"""
    refused = ["Ab1!xyz", "abcdefg1", "ABCD!@#$", "Pässword1!"]
    accepted = ["abcdEF12", "aA1" * 81 + "b!"]
    s = CATALOGUE["PasswordNotComplex"]
    for n, password in enumerate(refused + accepted):
        mosid = f"pw{n}@fabrikam.com"
        r = sandbox.invoke(
            "fabrikam",
            "New-MailUser",
            {
                "Name": f"pw{n}",
                "MicrosoftOnlineServicesID": mosid,
                "Password": secure(sandbox, password),
                "ExternalEmailAddress": f"pw{n}@contoso.com",
            },
        )
        if password in refused:
            assert _err(r) == (400, s.full_type, s.template), (len(password), password)
        else:
            assert r.status_code == 200, (len(password), r.text)
        found = sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": mosid}).status_code
        assert found == (404 if password in refused else 200)


def test_new_and_set_mail_user(sandbox: SandboxHandle) -> None:
    r = sandbox.invoke(
        "fabrikam", "New-MailUser", {"Name": "x", "MicrosoftOnlineServicesID": "x@fabrikam.com"}
    )
    assert (
        _err(r)[2]
        == "Cannot process command because of one or more missing mandatory parameters: Password."
    )
    r = sandbox.invoke(
        "fabrikam",
        "New-MailUser",
        {"MicrosoftOnlineServicesID": "x@fabrikam.com", "Password": secure(sandbox, "p")},
    )
    assert (
        _err(r)[2]
        == "Cannot process command because of one or more missing mandatory parameters: Name."
    )
    [mu] = ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": "alex",
            "MicrosoftOnlineServicesID": "alex.wilber@fabrikam.com",
            "Password": secure(sandbox, "Pa55word!"),
            "PrimarySmtpAddress": "alex.wilber@fabrikam.com",
            "ExternalEmailAddress": "alex@contoso.com",
        },
    )
    assert mu["RecipientTypeDetails"] == "MailUser"
    assert mu["ExternalEmailAddress"] == "SMTP:alex@contoso.com"
    assert mu["ExchangeGuid"] == "00000000-0000-0000-0000-000000000000"
    assert "Password" not in mu
    guid = "2be9b7ee-1111-4222-8333-444455556666"
    ok(
        sandbox,
        "fabrikam",
        "Set-MailUser",
        {
            "Identity": "alex.wilber@fabrikam.com",
            "ExchangeGuid": guid,
            "EmailAddresses": {
                "add": ["X500:/o=ExchangeLabs/cn=alex", "smtp:alex@fabrikam.mail.onmicrosoft.com"],
                "@odata.type": "#Exchange.GenericHashTable",
            },
        },
    )
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "alex.wilber@fabrikam.com"})
    assert mu["ExchangeGuid"] == guid
    assert "X500:/o=ExchangeLabs/cn=alex" in mu["EmailAddresses"]
    assert mu["EmailAddresses"][0] == "SMTP:alex.wilber@fabrikam.com"
    ok(
        sandbox,
        "fabrikam",
        "Set-MailUser",
        {
            "Identity": "alex.wilber@fabrikam.com",
            "EmailAddresses": {"remove": ["X500:/o=ExchangeLabs/cn=alex"]},
        },
    )
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "alex.wilber@fabrikam.com"})
    assert "X500:/o=ExchangeLabs/cn=alex" not in mu["EmailAddresses"]
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailUser",
        {"Identity": "alex.wilber@fabrikam.com", "ExchangeGuid": "not-a-guid"},
    )
    assert "Guid should contain 32 digits with 4 dashes" in _err(r)[2]
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailUser",
        {
            "Identity": "alex.wilber@fabrikam.com",
            "EmailAddresses": {"add": ["smtp:alex@contoso.com"]},
        },
    )
    assert _err(r)[1] == CATALOGUE["NotAcceptedDomainOnWrite"].full_type
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailUser",
        {
            "Identity": "alex.wilber@fabrikam.com",
            "EmailAddresses": {"add": ["smtp:admin@fabrikam.com"]},
        },
    )
    assert "is already being used" in _err(r)[2]
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailUser",
        {"Identity": "alex.wilber@fabrikam.com", "ExternalEmailAddress": "alex2@contoso.com"},
    )
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "alex.wilber@fabrikam.com"})
    assert mu["ExternalEmailAddress"] == "SMTP:alex2@contoso.com"
    ok(
        sandbox,
        "fabrikam",
        "Set-User",
        {
            "Identity": "alex.wilber@fabrikam.com",
            "PermanentlyClearPreviousMailboxInfo": True,
            "Confirm": False,
        },
    )


def test_exchange_guid_trimmed_behind_switch(sandbox: SandboxHandle) -> None:
    set_pace(sandbox, 60, trimExchangeGuidParameter=True)
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailUser",
        {"Identity": "kai@fabrikam.com", "ExchangeGuid": "2be9b7ee-1111-4222-8333-444455556666"},
    )
    status, exc, text = _err(r)
    assert (status, text) == (
        400,
        "A parameter cannot be found that matches parameter name 'ExchangeGuid'.",
    )
    assert exc == "System.Management.Automation.ParameterBindingException"


def test_licensing_a_mail_user_without_exchange_guid_provisions_a_mailbox(
    sandbox: SandboxHandle,
) -> None:
    assign_licenses(sandbox, "fabrikam", "kai@fabrikam.com", EXO_STANDARD_SKU)  # Graph
    wait_out_licensing(sandbox)  # Exchange reacts once the licence has provisioned
    [m] = ok(sandbox, "fabrikam", "Get-Mailbox", {"Identity": "kai@fabrikam.com"})
    assert m["RecipientTypeDetails"] == "UserMailbox"
    assert all("legacy.fabrikam.net" not in a for a in m["EmailAddresses"])  # scrubbed


# ------------------------------------------------------------------ endpoints


def test_endpoint_round_trip_and_validation(sandbox: SandboxHandle) -> None:
    setup_organizations(sandbox)
    [ep] = ok(sandbox, "fabrikam", "Get-MigrationEndpoint", {"Identity": ENDPOINT})
    assert ep["EndpointType"] == "ExchangeRemoteMove"
    assert (ep["RemoteServer"], ep["RemoteTenant"], ep["ApplicationId"]) == (
        "outlook.office.com",
        "contoso.onmicrosoft.com",
        APP_ID,
    )
    assert ep["IsRemote"] is True and ep["AppSecretKeyVaultUrl"] is None
    assert "app-secret" not in str(ep)
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationEndpoint",
        {"Name": ENDPOINT, "ExchangeRemoteMove": True, "RemoteServer": "outlook.office.com"},
    )
    assert _err(r)[1].endswith("MigrationEndpointDuplicateException")
    kv = "https://fabrikam-t2t-kv.vault.azure.net:443/certificates/t2t-cert/0123456789abcdef"
    [kv_ep] = ok(
        sandbox,
        "fabrikam",
        "New-MigrationEndpoint",
        {
            "Name": "kv",
            "ExchangeRemoteMove": True,
            "RemoteServer": "outlook.office.com",
            "RemoteTenant": "contoso.onmicrosoft.com",
            "ApplicationId": APP_ID,
            "AppSecretKeyVaultUrl": kv,
            # no vault, no consent here: the link itself is tested in test_azure_endpoint.py
            "SkipVerification": True,
        },
    )
    assert kv_ep["AppSecretKeyVaultUrl"] == kv
    ok(
        sandbox,
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": "kv", "MaxConcurrentMigrations": 50, "SkipVerification": True},
    )
    [kv_ep] = ok(sandbox, "fabrikam", "Get-MigrationEndpoint", {"Identity": "kv"})
    assert kv_ep["MaxConcurrentMigrations"] == "50"
    ok(sandbox, "fabrikam", "Remove-MigrationEndpoint", {"Identity": "kv", "Confirm": False})
    r = sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {"Identity": "kv"})
    assert r.status_code == 404
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationEndpoint",
        {
            "Name": "bad",
            "ExchangeRemoteMove": True,
            "RemoteServer": "outlook.office.com",
            "Credentials": "app:secret",
        },
    )
    status, exc, _text = _err(r)
    assert (status, exc) == (500, "System.Security.Cryptography.CryptographicException")
    # The endpoint a batch uses can't be removed (t2t rule, §3.6).
    ok(
        sandbox,
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "b", "SourceEndpoint": ENDPOINT, "CSVData": csv_data("x@fabrikam.com")},
    )
    r = sandbox.invoke(
        "fabrikam", "Remove-MigrationEndpoint", {"Identity": ENDPOINT, "Confirm": False}
    )
    assert _err(r)[2] == CATALOGUE["MigrationEndpointInUseException"].render(
        name=ENDPOINT, batch="b"
    )


def test_endpoint_with_credentials_needs_source_consent(sandbox: SandboxHandle) -> None:
    params: dict[str, Any] = {
        "Name": ENDPOINT,
        "ExchangeRemoteMove": True,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": "contoso.onmicrosoft.com",
        "ApplicationId": APP_ID,
        "Credentials": credential(sandbox, APP_ID, migration_secret(sandbox)),
    }
    r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", params)
    _status, exc, text = _err(r)
    assert exc == CATALOGUE["MigrationAppNotConsentedInSource"].full_type
    assert APP_ID in text
    consent(sandbox, "contoso")
    ok(sandbox, "fabrikam", "New-MigrationEndpoint", params)


@pytest.mark.parametrize(
    ("remote_tenant", "reached"),
    [
        ("contoso.onmicrosoft.com", True),  # the initial domain, as Learn's example
        ("Contoso.com", True),  # a verified custom domain of the source, any case
        (CONTOSO_ID, False),  # the tenant id: "not the GUID" (microsoft-t2t.md §3.6)
        ("contso.onmicrosoft.com", False),  # a typo
    ],
)
def test_endpoint_reaches_the_source_by_a_domain_never_its_tenant_id(
    sandbox: SandboxHandle, remote_tenant: str, reached: bool
) -> None:
    """Verification (with -Credentials) and Test-MigrationServerAvailability reach the source
    through one of its domains; a GUID, like a typo, finds no tenant (README, open questions)."""
    consent(sandbox, "contoso")
    params: dict[str, Any] = {
        "Name": ENDPOINT,
        "ExchangeRemoteMove": True,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": remote_tenant,
        "ApplicationId": APP_ID,
        "Credentials": credential(sandbox, APP_ID, migration_secret(sandbox)),
    }
    r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", params)
    if reached:
        assert r.status_code == 200, r.text
    else:
        assert _err(r) == (
            400,
            CATALOGUE["MigrationServerConnectionFailedException"].full_type,
            CATALOGUE["MigrationServerConnectionFailedException"].render(
                inner=f"MRSRemotePermanentException: The remote tenant '{remote_tenant}' "
                "couldn't be found."
            ),
        )
        ok(sandbox, "fabrikam", "New-MigrationEndpoint", params | {"SkipVerification": True})
    [res] = ok(sandbox, "fabrikam", "Test-MigrationServerAvailability", {"Endpoint": ENDPOINT})
    assert res["Result"] == ("Success" if reached else "Failed")


def test_test_migration_server_availability_with_source_address_fails(
    sandbox: SandboxHandle,
) -> None:
    setup_organizations(sandbox)
    [res] = ok(
        sandbox,
        "fabrikam",
        "Test-MigrationServerAvailability",
        {"Endpoint": ENDPOINT, "TestMailbox": "debra@contoso.com"},
    )
    assert res["Result"] == "Failed"
    assert res["ErrorDetail"].startswith(
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException:"
    )
    [res] = ok(sandbox, "fabrikam", "Test-MigrationServerAvailability", {"Endpoint": ENDPOINT})
    assert res["Result"] == "Success"


# ------------------------------------------------------------------ batch parameter encodings


def _bytes(data: bytes) -> dict[str, Any]:
    return {"@odata.type": "#Exchange.ByteArrayType", "Data": list(data)}


@pytest.mark.parametrize(
    "csv",
    [
        _bytes(b"EmailAddress\r\nkai@fabrikam.com\r\n"),
        _bytes(b"\xef\xbb\xbfEmailAddress\nkai@fabrikam.com\n"),
    ],
    ids=["crlf", "with-bom"],
)
def test_csvdata_encodings(sandbox: SandboxHandle, csv: Any) -> None:
    setup_organizations(sandbox)
    [b] = ok(
        sandbox,
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "enc", "SourceEndpoint": ENDPOINT, "CSVData": csv},
    )
    assert b["TotalCount"] == 1 and b["Status"] == "Created"
    [u] = ok(sandbox, "fabrikam", "Get-MigrationUser", {"BatchId": "enc"})
    assert u["Identity"] == "kai@fabrikam.com"


@pytest.mark.parametrize(
    ("csv", "fragment"),
    [
        (
            {"@odata.type": "#Exchange.ByteArrayType", "Data": [1, 2, 300]},
            "Value was either too large or too small for an unsigned byte.",
        ),
        (_bytes(b"Mail\r\nkai@fabrikam.com\r\n"), "required column 'EmailAddress'"),
        (
            _bytes(b"EmailAddress,Extra\r\nkai@fabrikam.com,1\r\n"),
            "unknown column 'Extra'",
        ),
        (
            _bytes(b"EmailAddress\r\nkai@fabrikam.com\r\nKAI@fabrikam.com\r\n"),
            "more than once",
        ),
    ],
)
def test_csvdata_refusals(sandbox: SandboxHandle, csv: Any, fragment: str) -> None:
    setup_organizations(sandbox)
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "bad", "SourceEndpoint": ENDPOINT, "CSVData": csv},
    )
    assert r.status_code == 400
    assert fragment in _err(r)[2]


def test_batch_validation(sandbox: SandboxHandle) -> None:
    setup_organizations(sandbox)
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "b", "SourceEndpoint": "nope", "CSVData": csv_data("kai@fabrikam.com")},
    )
    assert r.status_code == 404
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationBatch",
        {
            "Name": "b",
            "SourceEndpoint": ENDPOINT,
            "CSVData": csv_data("kai@fabrikam.com"),
            "CompleteAfter": "tomorrow",
        },
    )
    assert "String 'tomorrow' was not recognized as a valid DateTime." in _err(r)[2]
    ok(
        sandbox,
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "b", "SourceEndpoint": ENDPOINT, "CSVData": csv_data("kai@fabrikam.com")},
    )
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "B", "SourceEndpoint": ENDPOINT, "CSVData": csv_data("johanna@fabrikam.com")},
    )
    assert _err(r)[1].endswith("MigrationBatchDuplicateException")
    r = sandbox.invoke("fabrikam", "Get-MigrationBatch", {"Status": "Done"})
    assert "Specify one of the following enumerator names" in _err(r)[2]
    assert [
        b["Identity"] for b in ok(sandbox, "fabrikam", "Get-MigrationBatch", {"Status": "Created"})
    ] == ["b"]
    ok(
        sandbox,
        "fabrikam",
        "Set-MigrationBatch",
        {"Identity": "b", "CompleteAfter": "2030-01-01T00:00:00"},
    )
    [b] = ok(sandbox, "fabrikam", "Get-MigrationBatch", {"Identity": "b"})
    assert b["CompleteAfter"] == "2030-01-01T00:00:00.0000000Z"
    assert b["CompleteAfter@odata.type"] == "#DateTimeOffset"
    ok(
        sandbox,
        "fabrikam",
        "Remove-MigrationUser",
        {"Identity": "kai@fabrikam.com", "Confirm": False},
    )
    assert ok(sandbox, "fabrikam", "Get-MigrationUser", {"BatchId": "b"}) == []


def test_catalogue_is_enumerable_and_sourced() -> None:
    assert len(CATALOGUE) >= 25
    for name, s in CATALOGUE.items():
        assert s.full_type.startswith(("Microsoft.", "System.")), name
        assert s.source, name
    verbatim = {n for n, s in CATALOGUE.items() if s.verbatim}
    assert {
        "MigrationRecipientNotFoundException",
        "InboundMailboxMoveCapabilityMissingException",
        "CrossTenantMigrationWithoutLicensePermanentException",
        "TargetUserAlreadyHasPrimaryMailbox",
        "NoProxyInTargetDeliveryDomain",
    } <= verbatim


def test_an_identity_naming_two_recipients_of_the_kind_read_is_refused_as_ambiguous(
    sandbox: SandboxHandle,
) -> None:
    """Exchange refuses an -Identity that names several objects of the kind the cmdlet reads
    (ManagementObjectAmbiguousException) instead of picking one; an object of another kind
    with the same name does not count (Get-MailUser reads mail users only)."""
    mailbox = ok(sandbox, "fabrikam", "Get-Mailbox", {"ResultSize": 1})[0]
    shared = mailbox["DisplayName"]
    for n in (1, 2):
        ok(
            sandbox,
            "fabrikam",
            "New-MailUser",
            {
                "Name": f"twin{n}",
                "DisplayName": shared,
                "MicrosoftOnlineServicesID": f"twin{n}@fabrikam.com",
                "Password": secure(sandbox, "Pa55word!"),
                "ExternalEmailAddress": f"twin{n}@contoso.com",
            },
        )
        if n == 1:  # one mail user and a mailbox share the name: no ambiguity per kind
            [only] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": shared})
            assert only["Name"] == "twin1"
            [same] = ok(sandbox, "fabrikam", "Get-Mailbox", {"Identity": shared})
            assert same["Guid"] == mailbox["Guid"]
    r = sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": shared})
    assert _err(r) == (
        400,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
        f'There are multiple recipients matching the identity "{shared}". '
        "Please specify a unique value.",
    )
    r = sandbox.invoke("fabrikam", "Set-MailUser", {"Identity": shared, "DisplayName": "x"})
    assert _err(r)[1].endswith("ManagementObjectAmbiguousException")
    [by_address] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "twin2@fabrikam.com"})
    assert by_address["Name"] == "twin2"
