"""The observed state of both tenants, as probes read it. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from t2t.state.azure import ResourceGroup, VaultCertificate
from t2t.state.cloud import TenantCloud
from t2t.state.directory import (
    Application,
    AppRoleAssignment,
    DirectoryUser,
    Domain,
    ServicePrincipal,
    SubscribedSku,
)
from t2t.state.exchange import (
    AcceptedDomain,
    Grant,
    GroupMembership,
    MailboxGrants,
    MailboxStatistics,
    MailGroup,
    MigrationBatch,
    MigrationEndpoint,
    MigrationUser,
    MoveRequest,
    PreviousMailbox,
    Recipient,
    RemovedMailbox,
    SessionCmdlet,
    SubstrateHolds,
)
from t2t.state.plain import WHEN_SET
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
    auto_expanding_archive: bool = field(default=False, metadata=WHEN_SET)
    """AutoExpandingArchiveEnabled: Set-OrganizationConfig -AutoExpandingArchive turned it on
    for every mailbox with an archive (Purview, "Enable auto-expanding archiving")."""
    display_name: str = field(default="", metadata=WHEN_SET)
    """DisplayName: the organization's own name ("Contoso"), shown beside the tenant's id;
    "" when Exchange gave none."""
    in_place_holds: tuple[str, ...] = field(default=(), metadata=WHEN_SET)
    """InPlaceHolds: the organization-wide retention policies, e.g. ``mbx<guid>:2`` (Exchange
    mailboxes) or ``grp<guid>:3`` (Microsoft 365 Groups); a mailbox excluded from one carries
    ``-mbx<guid>`` in its own InPlaceHolds (Purview, "How to identify the type of hold placed on
    an Exchange Online mailbox", Get-OrganizationConfig)."""


#: Prefix of a directory role (the Exchange token's `wids` claim) in `identity_roles`.
EXCHANGE_WID = "exchange-wid:"


@dataclass(frozen=True)
class TenantState:
    """Everything read from one tenant; each part may independently be unknown.

    A part left as None was not read in this run (the spec did not need it); it is neither
    absent nor unknown.
    """

    role: Role
    tenant_id: str
    organization: Fact[OrganizationConfig]
    relationships: Fact[tuple[OrgRelationship, ...]]
    domains: Fact[tuple[Domain, ...]] | None = None
    accepted_domains: Fact[tuple[AcceptedDomain, ...]] | None = None
    skus: Fact[tuple[SubscribedSku, ...]] | None = None
    applications: Fact[tuple[Application, ...]] | None = None
    service_principals: Fact[tuple[ServicePrincipal, ...]] | None = None
    app_role_assignments: Fact[tuple[AppRoleAssignment, ...]] | None = None
    endpoints: Fact[tuple[MigrationEndpoint, ...]] | None = None
    groups: Fact[tuple[MailGroup, ...]] | None = None
    group_members: Fact[tuple[tuple[str, tuple[str, ...]], ...]] | None = None
    users: Fact[tuple[DirectoryUser, ...]] | None = None
    recipients: Fact[tuple[Recipient, ...]] | None = None
    previous_mailboxes: Fact[tuple[PreviousMailbox, ...]] | None = None
    """Target mail users that were mailboxes (Get-User PreviousRecipientTypeDetails), read
    when the spec declares mailboxes."""
    statistics: Fact[tuple[MailboxStatistics, ...]] | None = None
    substrate_holds: Fact[tuple[SubstrateHolds, ...]] | None = None
    """Source: the SubstrateHolds folder of the archives of the due mailboxes
    (Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope RecoverableItems, one call per
    archive; T2T-E326)."""
    move_requests: Fact[tuple[MoveRequest, ...]] | None = None
    """Source: the move requests (Get-MoveRequest) of the spec's source mailboxes, read when
    the spec declares mailboxes (T2T-E330)."""
    removed_mailboxes: Fact[tuple[RemovedMailbox, ...]] | None = None
    """Source: the inactive and soft-deleted mailboxes holding a spec address Get-Mailbox did
    not find (T2T-E331, T2T-E332); () when every address was found."""
    mailbox_permissions: Fact[tuple[MailboxGrants, ...]] | None = None
    """Source: FullAccess and the other explicit rights on the spec's waves' mailboxes, one
    record per mailbox read (Get-MailboxPermission, one call each: the due ones, or all with
    `plan --report` / delegates.keepTogether; a wave mailbox without a record was not read)."""
    send_as: Fact[tuple[Grant, ...]] | None = None
    """Source: every SendAs grant of the organization (Get-RecipientPermission -ResultSize
    Unlimited, one bulk read; T2T-W350)."""
    calendar_permissions: Fact[tuple[MailboxGrants, ...]] | None = None
    """Source, only when the spec asks (delegates.calendars): the Calendar folder's
    permissions of the waves' mailboxes read as for mailbox_permissions
    (Get-MailboxFolderPermission, one call per mailbox)."""
    memberships: Fact[tuple[GroupMembership, ...]] | None = None
    """Source: every distribution and mail-enabled security group (but the spec's scope
    groups) with the waves' mailboxes among its direct members (Get-DistributionGroup
    -ResultSize Unlimited, then one Get-DistributionGroupMember per group; T2T-W350)."""
    session_cmdlets: Fact[tuple[SessionCmdlet, ...]] | None = None
    """Target: the cmdlets t2t stamps with (Set-MailUser) as the module Exchange generates for
    t2t's identity declares them (EXOModuleFile, one read; T2T-E319); () when the module's form
    said nothing."""
    batches: Fact[tuple[MigrationBatch, ...]] | None = None
    migration_users: Fact[tuple[MigrationUser, ...]] | None = None
    key_vault: Fact[tuple[ResourceGroup, ...]] | None = None
    """keyVaultCertificate mode only: () when the spec's resource group does not exist, else
    that group with the spec's vault in it or None (t2t/state/azure.py)."""
    vault_certificates: Fact[tuple[VaultCertificate, ...]] | None = None
    """keyVaultCertificate mode only: the spec's certificate, () when it (or the vault) does
    not exist."""
    cloud: Fact[tuple[TenantCloud, ...]] | None = None
    """The tenant's cloud from its OpenID configuration (t2t/state/cloud.py): one record, or ()
    when the document names none."""
    identity_roles: Fact[tuple[str, ...]] | None = None
    """From t2t's own tokens: "graph:User.Read.All", "exchange:Exchange.ManageAsApp", and the
    directory roles of its Exchange token as `EXCHANGE_WID` + template id."""

    def parts(self) -> dict[str, Fact[Any]]:
        """Every part that was read, by name."""
        out: dict[str, Fact[Any]] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, Fact):
                out[name] = value
        return out


@dataclass(frozen=True)
class Snapshot:
    """Both tenants at one moment: the Observed of DESIGN.md's flow."""

    source: TenantState
    target: TenantState
    read_at: str | None = field(default=None, compare=False)
    """When the probes began reading (UTC, ISO 8601 with Z): the "now" of checks that compare
    a date with today, e.g. a secret's endDateTime. None in a snapshot saved without it: such
    checks then compare only with the dates the spec gives. Not part of the state: two
    readings of the same tenants compare equal."""

    def tenant(self, role: Role) -> TenantState:
        return self.source if role == "source" else self.target

    def unknowns(self) -> list[tuple[Role, str, str]]:
        """(tenant role, what, why) for every part that could not be read."""
        out: list[tuple[Role, str, str]] = []
        for t in (self.source, self.target):
            for what, fact in t.parts().items():
                if fact.status == "unknown":
                    out.append((t.role, what, fact.reason or "unreadable"))
        return out
