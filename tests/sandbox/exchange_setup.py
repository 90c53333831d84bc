"""Arrangements shared by the Exchange and move-service tests (not a test module).

Everything goes over HTTPS as t2t would do it: Exchange through raw InvokeCommand calls,
consent and licences through Microsoft Graph, and only the sandbox's own knobs (clock, pace,
recipient attributes the seed lacks, dehydration) through ``/_sandbox/`` endpoints. No test
helper edits the in-process server state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.graph_helpers import REPLICATION_TRIES, graph, graph_write
from tests.sandbox.helpers import values
from tests.sandbox.module_forms import credential, csv_data, secure

CONTOSO_ID = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
FABRIKAM_ID = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
T2T_SKU = "946ce899-873d-44bb-9d8b-671870cbfdbf"
EXO_STANDARD_SKU = "4b9405b0-7788-4568-add1-99614e613b69"
ENDPOINT = "contoso-t2t"
TDD = "fabrikam.mail.onmicrosoft.com"


#: Writes Exchange refuses with not-found for a while after the object's New- cmdlet
#: (t2t/sandbox/replication.py); an arrangement sends them again, as any client must.
REPLICATED_WRITES = frozenset(
    {"set-mailuser", "add-distributiongroupmember", "remove-distributiongroupmember"}
)


def ok(
    sandbox: SandboxHandle, tenant: str, cmdlet: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    r = sandbox.invoke(tenant, cmdlet, params or {})
    if cmdlet.lower() in REPLICATED_WRITES:
        for _ in range(REPLICATION_TRIES - 1):
            if r.status_code != 404:
                break
            r = sandbox.invoke(tenant, cmdlet, params or {})
    return values(r)


def advance_clock(sandbox: SandboxHandle, seconds: float) -> None:
    """Move the sandbox clock (``POST /_sandbox/clock``): batches progress on it."""
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": seconds})
    r.raise_for_status()


def sandbox_now(sandbox: SandboxHandle) -> dt.datetime:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/clock")
    r.raise_for_status()
    return dt.datetime.fromisoformat(r.json()["now"].replace("Z", "+00:00"))


def set_pace(sandbox: SandboxHandle, seconds: int, **extra: Any) -> None:
    r = sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/moves", json={"secondsPerStep": seconds, **extra}
    )
    r.raise_for_status()


def patch_recipient(sandbox: SandboxHandle, tenant: str, identity: str, **fields: Any) -> None:
    r = sandbox.http.patch(
        f"{sandbox.base_url}/_sandbox/exchange/{tenant}/recipients/{identity}", json=fields
    )
    assert r.status_code == 200, r.text


def set_dehydrated(sandbox: SandboxHandle, tenant: str, value: bool = True) -> None:
    """Dehydrate an organization (sandbox-only: Microsoft has no API for it)."""
    r = sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/exchange/{tenant}/organization",
        json={"isDehydrated": value},
    )
    assert r.status_code == 200, r.text


def set_organization_holds(sandbox: SandboxHandle, tenant: str, *holds: str) -> None:
    """Organization-wide retention policies as Get-OrganizationConfig InPlaceHolds lists them
    (sandbox-only: Microsoft creates them in the Purview portal)."""
    r = sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/exchange/{tenant}/organization",
        json={"inPlaceHolds": list(holds)},
    )
    assert r.status_code == 200, r.text


def _ok_json(r: Any, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, r.text
    data: dict[str, Any] = r.json()
    return data


def service_principal(sandbox: SandboxHandle, tenant: str, app_id: str) -> dict[str, Any]:
    """The app's service principal in ``tenant``, created (``POST /servicePrincipals``)
    when missing — microsoft-t2t.md §3.3; a service principal alone is not consent."""
    r = graph(sandbox, tenant, "GET", f"/servicePrincipals(appId='{app_id}')")
    if r.status_code == 404:
        r = graph(sandbox, tenant, "POST", "/servicePrincipals", json={"appId": app_id})
    return _ok_json(r, 200, 201)


def grant_mailbox_migration(sandbox: SandboxHandle, tenant: str, principal_id: str) -> None:
    """Admin consent to Exchange ``Mailbox.Migration``: an app role assignment on the Office
    365 Exchange Online service principal (``POST …/appRoleAssignedTo``, §3.3)."""
    exo = service_principal(sandbox, tenant, EXCHANGE_ONLINE_APP_ID)
    role = next(r["id"] for r in exo["appRoles"] if r["value"] == "Mailbox.Migration")
    body = {"principalId": principal_id, "resourceId": exo["id"], "appRoleId": role}
    r = graph_write(
        sandbox, tenant, "POST", f"/servicePrincipals/{exo['id']}/appRoleAssignedTo", json=body
    )
    _ok_json(r, 201)


def consent(sandbox: SandboxHandle, tenant: str, app_id: str = APP_ID) -> None:
    """Admin consent in ``tenant`` for the migration app, through Graph."""
    sp = service_principal(sandbox, tenant, app_id)
    grant_mailbox_migration(sandbox, tenant, sp["id"])


def assign_licenses(
    sandbox: SandboxHandle, tenant: str, upn: str, *skus: str, usage_location: str = "NL"
) -> dict[str, Any]:
    """Graph ``assignLicense``, after setting ``usageLocation`` when the user has none
    (Graph refuses a licence without it, microsoft-t2t.md §5)."""
    user = _ok_json(graph(sandbox, tenant, "GET", f"/users/{upn}?$select=id,usageLocation"), 200)
    if not user.get("usageLocation"):
        r = graph_write(
            sandbox, tenant, "PATCH", f"/users/{upn}", json={"usageLocation": usage_location}
        )
        assert r.status_code == 204, r.text
    body = {"addLicenses": [{"skuId": s, "disabledPlans": []} for s in skus], "removeLicenses": []}
    r = graph_write(sandbox, tenant, "POST", f"/users/{upn}/assignLicense", json=body)
    return _ok_json(r, 200)


def migration_secret(sandbox: SandboxHandle, app_id: str = APP_ID, *, wait: bool = True) -> str:
    """A real client secret of the migration app (Graph ``addPassword`` in the target, its
    home), usable once the sandbox clock is past its propagation delay; with ``wait`` the
    clock is moved past it (the move service and the endpoint's verification sign in with
    it: t2t/sandbox/moves/credentials.py)."""
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        f"/applications(appId='{app_id}')/addPassword",
        json={"passwordCredential": {"displayName": "test endpoint secret"}},
    )
    secret: str = _ok_json(r, 200)["secretText"]
    if wait:
        wait_out_secret_delay(sandbox)
    return secret


def wait_out_secret_delay(sandbox: SandboxHandle) -> None:
    """Move the sandbox clock past a new secret's propagation delay (strictness.py)."""
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/strictness")
    r.raise_for_status()
    advance_clock(sandbox, float(r.json()["secret_delay_seconds"]) + 1)


def wait_out_licensing(sandbox: SandboxHandle) -> None:
    """Move the sandbox clock past a licence's provisioning time (strictness.py)."""
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/strictness")
    r.raise_for_status()
    advance_clock(sandbox, float(r.json()["licensing_seconds"]) + 1)


def license_t2t(sandbox: SandboxHandle, tenant: str, upn: str, *, provisioned: bool = True) -> None:
    """Assign the Cross Tenant User Data Migration licence through Graph; with
    ``provisioned`` the clock moves past its provisioning (exchange/licensing.py), so
    Exchange shows ExchangeT2TMbxMove."""
    assign_licenses(sandbox, tenant, upn, T2T_SKU)
    if provisioned:
        wait_out_licensing(sandbox)


def setup_organizations(sandbox: SandboxHandle, *, target_inbound: bool = True) -> None:
    """§3.0 steps 2–8 for contoso → fabrikam, all through InvokeCommand (plus consent)."""
    consent(sandbox, "fabrikam")
    consent(sandbox, "contoso")
    if target_inbound:
        ok(
            sandbox,
            "fabrikam",
            "New-OrganizationRelationship",
            {
                "Name": "contoso",
                "DomainNames": [CONTOSO_ID],
                "Enabled": True,
                "MailboxMoveEnabled": True,
                "MailboxMoveCapability": "Inbound",
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
            "Credentials": credential(sandbox, APP_ID, migration_secret(sandbox)),
        },
    )
    ok(
        sandbox,
        "contoso",
        "New-OrganizationRelationship",
        {
            "Name": "fabrikam",
            "DomainNames": [FABRIKAM_ID],
            "Enabled": True,
            "MailboxMoveEnabled": True,
            "MailboxMoveCapability": "RemoteOutbound",
            "OAuthApplicationId": APP_ID,
            "MailboxMovePublishedScopes": ["t2tmigrationscope"],
        },
    )


def prepare_user(
    sandbox: SandboxHandle,
    source_upn: str,
    target_address: str,
    *,
    in_scope: bool = True,
    stamp_guid: bool = True,
    licensed: bool = True,
    tdd_proxy: bool = True,
) -> dict[str, Any]:
    """§4 for one user: scope membership in the source, then the target MailUser with the
    source's GUIDs and x500s (New-MailUser + Set-MailUser), then the T2T licence."""
    if in_scope:
        ok(
            sandbox,
            "contoso",
            "Add-DistributionGroupMember",
            {
                "Identity": "t2tmigrationscope",
                "Member": source_upn,
                "BypassSecurityGroupManagerCheck": True,
            },
        )
    [mbx] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": source_upn})
    local = target_address.split("@", 1)[0]
    ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": local,
            "MicrosoftOnlineServicesID": target_address,
            "Password": secure(sandbox, "Pa55-word-never-logged"),
            "PrimarySmtpAddress": target_address,
            "ExternalEmailAddress": mbx["PrimarySmtpAddress"],
        },
    )
    x500s = [a for a in mbx["EmailAddresses"] if a.lower().startswith("x500:")]
    add = [f"X500:{mbx['LegacyExchangeDN']}", *x500s]
    if tdd_proxy:
        add.append(f"smtp:{local}@{TDD}")
    params: dict[str, Any] = {
        "Identity": target_address,
        "EmailAddresses": {"add": add, "@odata.type": "#Exchange.GenericHashTable"},
    }
    if stamp_guid:
        params["ExchangeGuid"] = mbx["ExchangeGuid"]
        if mbx["ArchiveStatus"] == "Active":
            params["ArchiveGuid"] = mbx["ArchiveGuid"]
    ok(sandbox, "fabrikam", "Set-MailUser", params)
    if licensed:
        license_t2t(sandbox, "fabrikam", target_address)
    return mbx


def new_batch(sandbox: SandboxHandle, name: str, *addresses: str, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Name": name,
        "SourceEndpoint": ENDPOINT,
        "CSVData": csv_data(*addresses),
        "TargetDeliveryDomain": TDD,
        **extra,
    }
    [batch] = ok(sandbox, "fabrikam", "New-MigrationBatch", params)
    return batch


def user_status(sandbox: SandboxHandle, address: str) -> dict[str, Any]:
    [u] = ok(sandbox, "fabrikam", "Get-MigrationUser", {"Identity": address})
    return u


def batch_status(sandbox: SandboxHandle, name: str) -> str:
    [b] = ok(sandbox, "fabrikam", "Get-MigrationBatch", {"Identity": name})
    status: str = b["Status"]
    return status
