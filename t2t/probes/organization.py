"""Organization-level facts that gate setup."""

from __future__ import annotations

from t2t.clients import ClientError, ExchangeClient
from t2t.probes.values import as_bool, as_list
from t2t.state import Fact, OrganizationConfig


async def read_organization(exchange: ExchangeClient) -> Fact[OrganizationConfig]:
    """`IsDehydrated` decides whether Enable-OrganizationCustomization must run first
    (microsoft-t2t.md §3.0 step 4, §3.5); `AutoExpandingArchiveEnabled` whether every archive
    may expand (Purview, "Enable auto-expanding archiving": `Get-OrganizationConfig | FL
    AutoExpandingArchiveEnabled`); `DisplayName` names the organization beside its tenant id
    in t2t's output (`(Get-OrganizationConfig).DisplayName`, as administrators' scripts read the
    tenant's name; Learn's Get-OrganizationConfig reference lists no output properties);
    `InPlaceHolds` the organization-wide retention policies, which hold every mailbox not
    excluded from them (Purview, "How to identify the type of hold placed on an Exchange Online
    mailbox": "Run the following command in Exchange Online PowerShell to get a list of GUIDs
    for organization-wide Microsoft 365 retention policies. Get-OrganizationConfig | FL
    InPlaceHolds") — one read per tenant for every mailbox (T2T-E304)."""
    try:
        result = await exchange.invoke(
            "Get-OrganizationConfig",
            {},
            select=(
                "Name",
                "DisplayName",
                "IsDehydrated",
                "AutoExpandingArchiveEnabled",
                "InPlaceHolds",
            ),
        )
    except ClientError as exc:
        return Fact.unknown(f"Get-OrganizationConfig failed: {exc}")
    if not result.values:
        return Fact.unknown("Get-OrganizationConfig returned no record")
    record = result.values[0]
    return Fact.present(
        OrganizationConfig(
            name=str(record.get("Name") or ""),
            is_dehydrated=as_bool(record.get("IsDehydrated")),
            auto_expanding_archive=as_bool(record.get("AutoExpandingArchiveEnabled")),
            display_name=str(record.get("DisplayName") or ""),
            in_place_holds=as_list(record.get("InPlaceHolds")),
        )
    )
