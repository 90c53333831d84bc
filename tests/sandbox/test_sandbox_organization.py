"""Organization cmdlets over InvokeCommand: behaviour, validation texts, paging.

wire-protocols.md §1; microsoft-t2t.md §3.5.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.helpers import error_detail, values, warnings

FABRIKAM_ID = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
MIGRATION_APP = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"


def _new(sandbox: SandboxHandle, **params: Any) -> Any:
    base: dict[str, Any] = {"Name": "fabrikam-t2t", "DomainNames": [FABRIKAM_ID]}
    base.update(params)
    return sandbox.invoke("contoso", "New-OrganizationRelationship", base)


def test_get_organization_config(sandbox: SandboxHandle) -> None:
    [cfg] = values(sandbox.invoke("contoso", "Get-OrganizationConfig"))
    assert cfg["IsDehydrated"] is False
    assert cfg["Guid@odata.type"] == "#Guid"
    assert cfg["DisplayName"] == "Contoso"


def test_no_relationships_initially(sandbox: SandboxHandle) -> None:
    r = sandbox.invoke("contoso", "Get-OrganizationRelationship")
    body = r.json()
    assert body["value"] == []
    assert body["@adminapi.warnings"] == []
    assert body["adminapi.warnings@odata.type"] == "#Collection(String)"
    assert body["@odata.context"].endswith("$metadata#Collection(Exchange.GenericHashTable)")


def test_new_source_relationship_round_trip(sandbox: SandboxHandle) -> None:
    r = _new(
        sandbox,
        Enabled=True,
        MailboxMoveEnabled=True,
        MailboxMoveCapability="RemoteOutbound",
        OAuthApplicationId=MIGRATION_APP,
        MailboxMovePublishedScopes=["t2tmigrationscope"],
    )
    [created] = values(r)
    assert created["Name"] == created["Identity"] == "fabrikam-t2t"
    assert created["MailboxMoveCapability"] == "RemoteOutbound"
    assert created["DomainNames"] == [FABRIKAM_ID]
    assert created["DomainNames@odata.type"] == "#Collection(String)"
    [read] = values(
        sandbox.invoke("contoso", "Get-OrganizationRelationship", {"Identity": "fabrikam-t2t"})
    )
    assert read["OAuthApplicationId"] == MIGRATION_APP
    assert read["MailboxMovePublishedScopes"] == ["t2tmigrationscope"]
    assert read["MailboxMoveEnabled"] is True
    assert {"Guid", "WhenChanged", "DistinguishedName", "FreeBusyAccessEnabled"} <= set(read)
    by_guid = values(
        sandbox.invoke("contoso", "Get-OrganizationRelationship", {"Identity": read["Guid"]})
    )
    assert by_guid[0]["Name"] == "fabrikam-t2t"


def test_capability_flags_list_or_comma_string(sandbox: SandboxHandle) -> None:
    [a] = values(_new(sandbox, MailboxMoveCapability=["RemoteOutbound", "inbound"]))
    assert a["MailboxMoveCapability"] == "Inbound, RemoteOutbound"
    [b] = values(
        _new(
            sandbox,
            Name="b",
            DomainNames=["b.example"],
            MailboxMoveCapability="Inbound,RemoteOutbound",
        )
    )
    assert b["MailboxMoveCapability"] == "Inbound, RemoteOutbound"


def test_inbound_and_outbound_together_refused(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, MailboxMoveCapability=["Inbound", "Outbound"])
    assert r.status_code == 400
    assert "both Inbound and Outbound" in error_detail(r)[2]


def test_bad_enum_lists_enumerator_names(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, MailboxMoveCapability="Sideways")
    assert r.status_code == 400
    _, exc_type, text = error_detail(r)
    assert exc_type.startswith("System.Management.Automation.")
    assert text.startswith(
        "Cannot process argument transformation on parameter 'MailboxMoveCapability'."
    )
    assert text.endswith(
        "Specify one of the following enumerator names and try again:\r\n"
        'None, Inbound, Outbound, RemoteInbound, RemoteOutbound"'
    )
    r = _new(sandbox, FreeBusyAccessLevel="Everything")
    assert "None, AvailabilityOnly, LimitedDetails" in error_detail(r)[2]


def test_non_security_scope_group_warns_and_is_not_added(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, MailboxMovePublishedScopes=["allstaff", "t2tmigrationscope"])
    assert warnings(r) == [
        "Access scope specified 'allstaff' is not a security group. This scope will not be added "
        "to the organization relationship."
    ]
    assert values(r)[0]["MailboxMovePublishedScopes"] == ["t2tmigrationscope"]


def test_missing_scope_group_is_not_found(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, MailboxMovePublishedScopes=["nosuchgroup"])
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NotFound"
    _, exc_type, text = error_detail(r)
    assert exc_type == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    assert text.startswith(
        "The operation couldn't be performed because object 'nosuchgroup' couldn't be found on '"
    )
    assert values(sandbox.invoke("contoso", "Get-OrganizationRelationship")) == []


def test_duplicate_name_and_domain(sandbox: SandboxHandle) -> None:
    values(_new(sandbox))
    r = _new(sandbox, DomainNames=["other.example"])
    assert r.status_code == 400
    _, exc_type, text = error_detail(r)
    assert exc_type == "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"
    assert text.endswith("already exists.")
    r = _new(sandbox, Name="second")
    assert r.status_code == 400
    assert (
        f"The domain '{FABRIKAM_ID}' is already used by organization relationship 'fabrikam-t2t'"
        in error_detail(r)[2]
    )


def test_unknown_parameter(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, RemoteTenant="x")
    assert r.status_code == 400
    _, exc_type, text = error_detail(r)
    assert exc_type == "System.Management.Automation.ParameterBindingException"
    assert text == "A parameter cannot be found that matches parameter name 'RemoteTenant'."
    r = sandbox.invoke("contoso", "Get-OrganizationRelationship", {"ResultSize": "Unlimited"})
    assert (
        error_detail(r)[2]
        == "A parameter cannot be found that matches parameter name 'ResultSize'."
    )


def test_missing_mandatory_parameters(sandbox: SandboxHandle) -> None:
    r = sandbox.invoke("contoso", "New-OrganizationRelationship", {})
    assert r.status_code == 400
    assert error_detail(r)[2] == (
        "Cannot process command because of one or more missing mandatory parameters: "
        "Name DomainNames."
    )
    r = sandbox.invoke("contoso", "Set-OrganizationRelationship", {"Enabled": False})
    assert error_detail(r)[2].endswith("missing mandatory parameters: Identity.")


def test_bool_parameter_refuses_strings(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, Enabled="yes")
    assert r.status_code == 400
    assert error_detail(r)[2].endswith(
        'Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0."'
    )


def test_common_parameters_accepted(sandbox: SandboxHandle) -> None:
    r = _new(
        sandbox, Confirm=False, ErrorAction="Stop", DomainController="dc1.example", Verbose=True
    )
    assert r.status_code == 200, r.text
    r = sandbox.invoke("contoso", "Get-OrganizationRelationship", {"ErrorAction": "Sometimes"})
    assert r.status_code == 400
    assert "SilentlyContinue, Stop, Continue" in error_detail(r)[2]


def test_whatif_changes_nothing(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, WhatIf=True)
    assert r.status_code == 200
    assert values(sandbox.invoke("contoso", "Get-OrganizationRelationship")) == []


def test_set_with_list_and_hashtable(sandbox: SandboxHandle) -> None:
    values(
        _new(sandbox, DomainNames=[FABRIKAM_ID, "fabrikam.com"], MailboxMoveCapability="Inbound")
    )
    r = sandbox.invoke(
        "contoso",
        "Set-OrganizationRelationship",
        {
            "Identity": "fabrikam-t2t",
            "DomainNames": {
                "add": ["fabrikam.onmicrosoft.com"],
                "remove": ["fabrikam.com"],
                "@odata.type": "#Exchange.GenericHashTable",
            },
            "MailboxMovePublishedScopes": {"Add": ["t2tmigrationscope"]},
            "MailboxMoveCapability": ["Inbound", "RemoteOutbound"],
            "Enabled": False,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["value"] == []
    [rel] = values(
        sandbox.invoke("contoso", "Get-OrganizationRelationship", {"Identity": "fabrikam-t2t"})
    )
    assert rel["DomainNames"] == [FABRIKAM_ID, "fabrikam.onmicrosoft.com"]
    assert rel["MailboxMovePublishedScopes"] == ["t2tmigrationscope"]
    assert rel["MailboxMoveCapability"] == "Inbound, RemoteOutbound"
    assert rel["Enabled"] is False
    r = sandbox.invoke(
        "contoso",
        "Set-OrganizationRelationship",
        {"Identity": "fabrikam-t2t", "DomainNames": ["x.example"]},
    )
    [rel] = values(
        sandbox.invoke("contoso", "Get-OrganizationRelationship", {"Identity": "fabrikam-t2t"})
    )
    assert rel["DomainNames"] == ["x.example"]


def test_set_without_change_warns(sandbox: SandboxHandle) -> None:
    values(_new(sandbox, Enabled=True))
    r = sandbox.invoke(
        "contoso", "Set-OrganizationRelationship", {"Identity": "fabrikam-t2t", "Enabled": True}
    )
    assert warnings(r) == [
        "The command completed successfully but no settings of 'fabrikam-t2t' have been modified."
    ]


def test_hashtable_refused_on_new(sandbox: SandboxHandle) -> None:
    r = _new(sandbox, DomainNames={"add": [FABRIKAM_ID]})
    assert r.status_code == 400


def test_set_and_remove_unknown_identity(sandbox: SandboxHandle) -> None:
    for cmdlet in (
        "Set-OrganizationRelationship",
        "Remove-OrganizationRelationship",
        "Get-OrganizationRelationship",
    ):
        r = sandbox.invoke("contoso", cmdlet, {"Identity": "ghost"})
        assert r.status_code == 404, cmdlet
        assert "'ghost'" in error_detail(r)[2]


def test_remove(sandbox: SandboxHandle) -> None:
    values(_new(sandbox))
    r = sandbox.invoke(
        "contoso", "Remove-OrganizationRelationship", {"Identity": "fabrikam-t2t", "Confirm": False}
    )
    assert r.status_code == 200
    assert values(sandbox.invoke("contoso", "Get-OrganizationRelationship")) == []


def test_tenants_are_isolated(sandbox: SandboxHandle) -> None:
    values(_new(sandbox))
    assert values(sandbox.invoke("fabrikam", "Get-OrganizationRelationship")) == []


def test_paging_with_maxpagesize_one(sandbox: SandboxHandle) -> None:
    for i in range(3):
        values(_new(sandbox, Name=f"rel-{i}", DomainNames=[f"d{i}.example"]))
    names: list[str] = []
    url = None
    pages = 0
    while True:
        r = sandbox.invoke(
            "contoso",
            "Get-OrganizationRelationship",
            {},
            headers={"Prefer": "odata.maxpagesize=1"},
            url=url,
        )
        page = values(r)
        assert len(page) == 1
        names += [p["Name"] for p in page]
        pages += 1
        url = r.json().get("@odata.nextLink")
        if not url:
            break
    assert pages == 3
    assert names == ["rel-0", "rel-1", "rel-2"]


def test_select_trims_properties(sandbox: SandboxHandle) -> None:
    values(_new(sandbox))
    url = f"{sandbox.base_url}/adminapi/beta/contoso.com/InvokeCommand?$select=Name,Guid"
    [rel] = values(sandbox.invoke("contoso", "Get-OrganizationRelationship", url=url))
    assert set(rel) == {"Name", "Guid", "Guid@odata.type", "Guid@data.type"}


def test_result_size_caps_and_pages(sandbox: SandboxHandle) -> None:
    groups = values(sandbox.invoke("contoso", "Get-DistributionGroup", {"ResultSize": "Unlimited"}))
    assert {g["Name"] for g in groups} == {"t2tmigrationscope", "allstaff"}
    assert len(values(sandbox.invoke("contoso", "Get-DistributionGroup", {"ResultSize": 1}))) == 1
    [scope] = values(
        sandbox.invoke("contoso", "Get-DistributionGroup", {"Identity": "t2tmigrationscope"})
    )
    assert scope["RecipientTypeDetails"] == "MailUniversalSecurityGroup"
    r = sandbox.invoke("contoso", "Get-DistributionGroup", {"Filter": "Name -like 'x*'"})
    assert r.status_code == 501
    assert error_detail(r)[1] == "T2t.Sandbox.NotEmulatedException"
