"""Arrangements shared by the Exchange and move-service tests (not a test module).

Everything a migration needs is done through raw InvokeCommand calls, as t2t would do it;
only what belongs to other surfaces (consent via Graph, licences via Graph) or to the
sandbox's own knobs (clock, pace, recipient attributes the seed lacks) goes through the
in-process server or ``/_sandbox/`` endpoints.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from t2t.sandbox.model import (
    AppRoleAssignment,
    AssignedLicense,
    ServicePrincipal,
    User,
    derived_guid,
)
from t2t.sandbox.moves.consent import EXCHANGE_ONLINE_APP_ID, MAILBOX_MIGRATION_ROLE_ID
from tests.conftest import SandboxHandle
from tests.sandbox.helpers import values

CONTOSO_ID = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
FABRIKAM_ID = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
T2T_SKU = "946ce899-873d-44bb-9d8b-671870cbfdbf"
ENDPOINT = "contoso-t2t"
TDD = "fabrikam.mail.onmicrosoft.com"


def ok(
    sandbox: SandboxHandle, tenant: str, cmdlet: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    return values(sandbox.invoke(tenant, cmdlet, params or {}))


def advance_clock(sandbox: SandboxHandle, seconds: float) -> None:
    """Move the sandbox clock (POST /_sandbox/clock when served, else in-process)."""
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": seconds})
    if r.status_code in (404, 405):
        sandbox.server._ctx.clock.advance(seconds)
    else:
        r.raise_for_status()


def sandbox_now(sandbox: SandboxHandle) -> dt.datetime:
    return sandbox.server._ctx.clock.now()


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


def _state(sandbox: SandboxHandle) -> Any:
    return sandbox.server._ctx.store


def live_user(sandbox: SandboxHandle, tenant: str, upn: str) -> User:
    """The in-process model object (for arrangements other surfaces would make)."""
    t = _state(sandbox).state.tenant_by_name(tenant)
    assert t is not None
    u = t.user(upn)
    assert u is not None, upn
    assert isinstance(u, User)
    return u


def consent(sandbox: SandboxHandle, tenant: str, app_id: str = APP_ID) -> None:
    """Admin consent in ``tenant`` (Graph's job, microsoft-t2t.md §3.3), arranged in-process."""
    store = _state(sandbox)
    with store.lock:
        t = store.state.tenant_by_name(tenant)
        sp = t.service_principal(app_id)
        if sp is None:
            sp = ServicePrincipal(
                id=derived_guid(t.tenant_id, "test-sp", app_id),
                app_id=app_id,
                display_name="T2T mailbox migration",
                app_owner_organization_id=FABRIKAM_ID,
            )
            t.service_principals.append(sp)
        exo = t.service_principal(EXCHANGE_ONLINE_APP_ID)
        assert exo is not None
        t.app_role_assignments.append(
            AppRoleAssignment(
                id=derived_guid(t.tenant_id, "test-assignment", app_id),
                app_role_id=MAILBOX_MIGRATION_ROLE_ID,
                principal_id=sp.id,
                principal_display_name=sp.display_name,
                resource_id=exo.id,
                resource_display_name=exo.display_name,
            )
        )
        store.save()


def license_t2t(sandbox: SandboxHandle, tenant: str, upn: str) -> None:
    """Assign the Cross Tenant User Data Migration licence (Graph's job), in-process."""
    store = _state(sandbox)
    with store.lock:
        t = store.state.tenant_by_name(tenant)
        u = t.user(upn)
        assert u is not None, upn
        u.assigned_licenses.append(AssignedLicense(sku_id=T2T_SKU))
        store.save()


def csv_b64(*addresses: str) -> str:
    text = "EmailAddress\r\n" + "".join(f"{a}\r\n" for a in addresses)
    return base64.b64encode(text.encode()).decode()


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
            "Credentials": {"UserName": APP_ID, "Password": "app-secret"},
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
            {"Identity": "t2tmigrationscope", "Member": source_upn},
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
            "Password": "Pa55-word-never-logged",
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
        "CSVData": csv_b64(*addresses),
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
