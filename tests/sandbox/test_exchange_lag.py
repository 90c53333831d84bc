"""Read-after-write lag on the Exchange surface (faults.py ``lag``): what an Exchange New-
cmdlet creates stays invisible to its Get- readers for the rule's seconds of sandbox time,
as wire-protocols.md §1.5 measured (a mail contact still 404 six seconds after
New-MailContact, [DROLL]).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    APP_ID,
    CONTOSO_ID,
    ENDPOINT,
    advance_clock,
    consent,
    migration_secret,
    ok,
)
from tests.sandbox.graph_helpers import graph
from tests.sandbox.helpers import error_detail
from tests.sandbox.module_forms import credential, csv_data, secure


def _lag(sandbox: SandboxHandle, seconds: float, **match: str) -> None:
    rule = {"kind": "lag", "seconds": seconds, "match": {"service": "exchange", **match}}
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule)
    assert r.status_code == 201, r.text


def _missing(sandbox: SandboxHandle, tenant: str, cmdlet: str, identity: str) -> None:
    r = sandbox.invoke(tenant, cmdlet, {"Identity": identity})
    assert r.status_code == 404, (cmdlet, r.text)
    assert error_detail(r)[1].endswith("ManagementObjectNotFoundException")


def _names(rows: list[dict[str, Any]]) -> set[str]:
    return {str(r["Name"]) for r in rows}


def test_exchange_objects_lag_behind_their_new_cmdlets(sandbox: SandboxHandle) -> None:
    consent(sandbox, "contoso")  # Graph: not matched by the Exchange rule
    secret = migration_secret(sandbox)  # moves the clock past its delay: before the lag
    _lag(sandbox, 6)
    ok(sandbox, "contoso", "New-DistributionGroup", {"Name": "lagscope", "Type": "Security"})
    ok(
        sandbox,
        "fabrikam",
        "New-OrganizationRelationship",
        {"Name": "contoso", "DomainNames": [CONTOSO_ID], "MailboxMoveCapability": "Inbound"},
    )
    [mu] = ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": "lagged",
            "MicrosoftOnlineServicesID": "lagged@fabrikam.com",
            "Password": secure(sandbox, "Pa55-word-never-logged"),
        },
    )
    ok(
        sandbox,
        "fabrikam",
        "New-MigrationEndpoint",
        {
            "Name": ENDPOINT,
            "ExchangeRemoteMove": True,
            "RemoteServer": "outlook.office.com",
            "RemoteTenant": "contoso.onmicrosoft.com",
            "ApplicationId": APP_ID,
            "Credentials": credential(sandbox, APP_ID, secret),
        },
    )
    ok(
        sandbox,
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "lagbatch", "SourceEndpoint": ENDPOINT, "CSVData": csv_data("x@fabrikam.com")},
    )

    _missing(sandbox, "contoso", "Get-DistributionGroup", "lagscope")
    assert "lagscope" not in _names(ok(sandbox, "contoso", "Get-DistributionGroup"))
    _missing(sandbox, "fabrikam", "Get-OrganizationRelationship", "contoso")
    assert ok(sandbox, "fabrikam", "Get-OrganizationRelationship") == []
    for cmdlet in ("Get-MailUser", "Get-Recipient", "Get-User"):
        _missing(sandbox, "fabrikam", cmdlet, "lagged@fabrikam.com")
    assert "lagged" not in _names(ok(sandbox, "fabrikam", "Get-MailUser"))
    # the same directory object behind Graph: not there yet either
    upn = "lagged@fabrikam.com"
    assert graph(sandbox, "fabrikam", "GET", f"/users/{upn}").status_code == 404
    _missing(sandbox, "fabrikam", "Get-MigrationEndpoint", ENDPOINT)
    assert ok(sandbox, "fabrikam", "Get-MigrationEndpoint") == []
    _missing(sandbox, "fabrikam", "Get-MigrationBatch", "lagbatch")
    assert ok(sandbox, "fabrikam", "Get-MigrationBatch") == []
    faults = sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()
    assert faults["hiddenObjects"] == 5
    assert [r["fired"] for r in faults["rules"]] == [5]  # one per object it hid

    advance_clock(sandbox, 6)
    [g] = ok(sandbox, "contoso", "Get-DistributionGroup", {"Identity": "lagscope"})
    assert g["RecipientTypeDetails"] == "MailUniversalSecurityGroup"
    assert _names(ok(sandbox, "fabrikam", "Get-OrganizationRelationship")) == {"contoso"}
    [again] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": upn})
    assert again["ExternalDirectoryObjectId"] == mu["ExternalDirectoryObjectId"]
    assert graph(sandbox, "fabrikam", "GET", f"/users/{upn}").status_code == 200
    assert len(ok(sandbox, "fabrikam", "Get-MigrationEndpoint")) == 1
    assert len(ok(sandbox, "fabrikam", "Get-MigrationBatch")) == 1


def test_lag_matches_by_cmdlet_and_tenant_and_skips_what_if(sandbox: SandboxHandle) -> None:
    _lag(sandbox, 30, cmdlet="New-DistributionGroup", tenant="contoso")
    ok(sandbox, "contoso", "New-DistributionGroup", {"Name": "slow"})
    ok(sandbox, "fabrikam", "New-DistributionGroup", {"Name": "fast"})  # other tenant
    ok(
        sandbox,
        "contoso",
        "New-OrganizationRelationship",  # other cmdlet
        {"Name": "fabrikam", "DomainNames": ["9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"]},
    )
    _missing(sandbox, "contoso", "Get-DistributionGroup", "slow")
    ok(sandbox, "fabrikam", "Get-DistributionGroup", {"Identity": "fast"})
    ok(sandbox, "contoso", "Get-OrganizationRelationship", {"Identity": "fabrikam"})
    ok(sandbox, "contoso", "New-DistributionGroup", {"Name": "whatif", "WhatIf": True})
    faults = sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()
    assert faults["hiddenObjects"] == 1
    assert [r["fired"] for r in faults["rules"]] == [1]  # the other tenant's, cmdlet's: not
    advance_clock(sandbox, 29)
    _missing(sandbox, "contoso", "Get-DistributionGroup", "slow")
    advance_clock(sandbox, 1)
    ok(sandbox, "contoso", "Get-DistributionGroup", {"Identity": "slow"})
