"""The observed state of both tenants, as probes read it. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from t2t.state.presence import Fact

Role = Literal["source", "target"]

#: Flags of Exchange's MailboxMoveCapability (New-OrganizationRelationship reference).
MOVE_CAPABILITIES = ("Inbound", "Outbound", "RemoteInbound", "RemoteOutbound")


@dataclass(frozen=True)
class OrgRelationship:
    """One organization relationship as Get-OrganizationRelationship returns it."""

    identity: str
    name: str
    domain_names: tuple[str, ...]
    enabled: bool
    mailbox_move_enabled: bool
    capabilities: frozenset[str]
    oauth_application_id: str | None
    published_scopes: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The compared fields, in the shape fingerprints and saved plans use."""
        return {
            "Identity": self.identity,
            "Name": self.name,
            "DomainNames": sorted(d.lower() for d in self.domain_names),
            "Enabled": self.enabled,
            "MailboxMoveEnabled": self.mailbox_move_enabled,
            "MailboxMoveCapability": sorted(self.capabilities),
            "OAuthApplicationId": self.oauth_application_id,
            "MailboxMovePublishedScopes": sorted(s.lower() for s in self.published_scopes),
        }


@dataclass(frozen=True)
class OrganizationConfig:
    """The facts of Get-OrganizationConfig that gate setup (a dehydrated tenant refuses it)."""

    name: str
    is_dehydrated: bool


@dataclass(frozen=True)
class TenantState:
    """Everything read from one tenant; each part may independently be unknown."""

    role: Role
    tenant_id: str
    organization: Fact[OrganizationConfig]
    relationships: Fact[tuple[OrgRelationship, ...]]


@dataclass(frozen=True)
class Snapshot:
    """Both tenants at one moment: the Observed of DESIGN.md's flow."""

    source: TenantState
    target: TenantState

    def tenant(self, role: Role) -> TenantState:
        return self.source if role == "source" else self.target

    def unknowns(self) -> list[tuple[Role, str, str]]:
        """(tenant role, what, why) for every part that could not be read."""
        out: list[tuple[Role, str, str]] = []
        for t in (self.source, self.target):
            parts: tuple[tuple[str, Fact[Any]], ...] = (
                ("organization", t.organization),
                ("relationships", t.relationships),
            )
            for what, fact in parts:
                if fact.status == "unknown":
                    out.append((t.role, what, fact.reason or "unreadable"))
        return out
