"""Microsoft's first-party resource apps as every tenant holds them: their appIds, the
audiences their tokens carry and the application permissions (app roles) they expose.

Sources: microsoft-t2t.md §2 (Exchange appId, ``Mailbox.Migration``,
``Exchange.ManageAsApp``, Graph appId, ``User.Invite.All``, ``Directory.ReadWrite.All``);
the other Graph role ids are from Microsoft's permissions reference
(https://learn.microsoft.com/graph/permissions-reference, "Application" ids).
"""

from __future__ import annotations

from dataclasses import dataclass

MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
"""``appOwnerOrganizationId`` of Microsoft's first-party service principals."""

EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
MAILBOX_MIGRATION_ROLE = "f7264778-fba9-422d-8e9e-2675a2c4b513"
MANAGE_AS_APP_ROLE = "dc50a0fb-09a3-484d-be87-e023b12c6440"


@dataclass(frozen=True)
class ResourceApp:
    app_id: str
    display_name: str
    audience: str
    service_principal_names: tuple[str, ...]
    roles: dict[str, str]  # value → app role id


GRAPH_ROLES: dict[str, str] = {
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    "GroupMember.ReadWrite.All": "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
    "LicenseAssignment.ReadWrite.All": "5facf0c1-8979-4e95-abcf-ff3d079771c0",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Reports.Read.All": "230c1aed-a721-4c5d-9cb4-a90514e508ef",
    "ReportSettings.Read.All": "ee353f83-55ef-4b78-82da-555bfa2b4b95",
    "ReportSettings.ReadWrite.All": "2a60023f-3219-47ad-baa4-40e17cd02a1d",
    "User.Invite.All": "09850681-111b-4a89-9bed-3f2cae46d706",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "User.ReadBasic.All": "97235f07-e226-4f63-ace3-39588e11d3a1",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
}

RESOURCE_APPS: tuple[ResourceApp, ...] = (
    ResourceApp(
        app_id=EXCHANGE_APP_ID,
        display_name="Office 365 Exchange Online",
        audience="https://outlook.office365.com",
        service_principal_names=(
            "https://outlook.office365.com",
            "https://outlook.office.com",
            EXCHANGE_APP_ID,
        ),
        roles={
            "Mailbox.Migration": MAILBOX_MIGRATION_ROLE,
            "Exchange.ManageAsApp": MANAGE_AS_APP_ROLE,
            "full_access_as_app": "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
        },
    ),
    ResourceApp(
        app_id=GRAPH_APP_ID,
        display_name="Microsoft Graph",
        audience="https://graph.microsoft.com",
        service_principal_names=(
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/",
            "https://canary.graph.microsoft.com",
            GRAPH_APP_ID,
        ),
        roles=GRAPH_ROLES,
    ),
)


def resource_by_audience(audience: str) -> ResourceApp | None:
    key = audience.rstrip("/").lower()
    return next(
        (
            r
            for r in RESOURCE_APPS
            if key in (n.rstrip("/").lower() for n in r.service_principal_names)
        ),
        None,
    )
