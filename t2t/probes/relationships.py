"""Read every organization relationship of a tenant in one cmdlet call (bulk, not per name)."""

from __future__ import annotations

from typing import Any

from t2t.clients import ClientError, ExchangeClient
from t2t.probes.values import as_bool, as_list
from t2t.state import Fact, OrgRelationship


def parse_capabilities(value: Any) -> frozenset[str]:
    """MailboxMoveCapability is a .NET flags enum: "Inbound, RemoteOutbound", a list, or None."""
    items: list[str] = []
    for part in as_list(value):
        items.extend(p.strip() for p in part.split(","))
    return frozenset(p for p in items if p and p != "None")


def parse_relationship(record: dict[str, Any]) -> OrgRelationship:
    """One Get-OrganizationRelationship record → the observed model."""
    oauth = record.get("OAuthApplicationId")
    return OrgRelationship(
        identity=str(record.get("Identity") or record.get("Name") or ""),
        name=str(record.get("Name") or record.get("Identity") or ""),
        domain_names=as_list(record.get("DomainNames")),
        enabled=as_bool(record.get("Enabled")),
        mailbox_move_enabled=as_bool(record.get("MailboxMoveEnabled")),
        capabilities=parse_capabilities(record.get("MailboxMoveCapability")),
        oauth_application_id=str(oauth).lower() if oauth else None,
        published_scopes=as_list(record.get("MailboxMovePublishedScopes")),
        raw=record,
    )


RELATIONSHIP_PROPERTIES = (
    "Identity",
    "Name",
    "DomainNames",
    "Enabled",
    "MailboxMoveEnabled",
    "MailboxMoveCapability",
    "OAuthApplicationId",
    "MailboxMovePublishedScopes",
)


async def read_relationships(exchange: ExchangeClient) -> Fact[tuple[OrgRelationship, ...]]:
    """All relationships, or unknown with the reason; an empty list is a real "none"."""
    try:
        result = await exchange.invoke(
            "Get-OrganizationRelationship", {}, select=RELATIONSHIP_PROPERTIES
        )
    except ClientError as exc:
        return Fact.unknown(f"Get-OrganizationRelationship failed: {exc}")
    return Fact.present(tuple(parse_relationship(r) for r in result.values))
