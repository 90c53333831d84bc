"""Exchange Online objects t2t reads (cmdlet output, PowerShell-serialised values parsed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from t2t.state.plain import WHEN_SET

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class AcceptedDomain:
    domain_name: str
    domain_type: str  # Authoritative, InternalRelay, ExternalRelay


@dataclass(frozen=True)
class MigrationEndpoint:
    identity: str
    endpoint_type: str
    remote_server: str | None
    remote_tenant: str | None
    application_id: str | None
    app_secret_key_vault_url: str | None
    max_concurrent_migrations: int | None
    tested: bool = False
    """Test-MigrationServerAvailability ran for it (only the spec's endpoint is tested)."""
    credential_refused: str | None = None
    """The test's error when Entra refuses the endpoint's credential (a secret removed,
    expired, or never there); None when it signs in or was not tested."""


@dataclass(frozen=True)
class MailGroup:
    """A mail-enabled group (Get-DistributionGroup); scope groups must be security groups."""

    identity: str
    name: str
    primary_smtp_address: str
    recipient_type_details: str
    is_dir_synced: bool
    description: tuple[str, ...] = field(default=(), metadata=WHEN_SET)
    """Get-DistributionGroup Description (multi-valued; Microsoft365DSC's EXODistributionGroup
    reads its first value): t2t's owner marker on the scope groups it creates
    (t2t/planner/shared/ownership.py)."""

    @property
    def is_security(self) -> bool:
        return self.recipient_type_details == "MailUniversalSecurityGroup"


@dataclass(frozen=True)
class Recipient:
    """A mailbox (source) or mail user (target), the fields the move depends on
    (microsoft-t2t.md §4, §10.2)."""

    identity: str
    guid: str
    user_principal_name: str
    primary_smtp_address: str
    recipient_type_details: str
    exchange_guid: str
    archive_guid: str
    legacy_exchange_dn: str
    email_addresses: tuple[str, ...]
    external_email_address: str | None
    is_dir_synced: bool
    persisted_capabilities: tuple[str, ...]
    litigation_hold: bool = False
    in_place_holds: tuple[str, ...] = ()
    delay_hold: bool = False
    delay_release_hold: bool = False
    compliance_tag_hold: bool = False
    aux_archive_count: int = 0
    archive_status: str | None = None
    display_name: str = ""
    disabled_archive_guid: str = ZERO_GUID  # a "demoted" archive (UserAlreadyHasDemotedArchive)
    recoverable_items_quota_bytes: int | None = None
    prohibit_send_receive_quota_bytes: int | None = field(default=None, metadata=WHEN_SET)
    """Get-Mailbox ProhibitSendReceiveQuota: "If the mailbox reaches or exceeds this size, the
    mailbox can't send or receive new messages" (Set-Mailbox reference). None: Unlimited, or
    not read (a mail user)."""
    auto_expanding_archive: bool = field(default=False, metadata=WHEN_SET)
    """Get-Mailbox AutoExpandingArchiveEnabled. The organization's own setting is apart
    (`OrganizationConfig.auto_expanding_archive`): enabling it there "doesn't change the
    AutoExpandingArchiveEnabled property on user mailboxes" (Purview, "Enable auto-expanding
    archiving")."""
    grant_send_on_behalf_to: tuple[str, ...] = field(default=(), metadata=WHEN_SET)
    """Get-Mailbox GrantSendOnBehalfTo (AD publicDelegates): "currently doesn't move as part of
    the mailbox transition" (Learn FAQ, "How do mailbox permissions transition?")."""
    forwarding_address: str = field(default="", metadata=WHEN_SET)
    """Get-Mailbox ForwardingAddress: a recipient of this organization mail is forwarded to."""
    forwarding_smtp_address: str = field(default="", metadata=WHEN_SET)
    """Get-Mailbox ForwardingSmtpAddress: an SMTP address mail is forwarded to."""
    deliver_to_mailbox_and_forward: bool = field(default=False, metadata=WHEN_SET)
    """Get-Mailbox DeliverToMailboxAndForward: forwarded and also kept in the mailbox."""

    @property
    def is_mailbox(self) -> bool:
        """A mailbox of any kind (Get-Mailbox), as opposed to a MailUser."""
        return self.recipient_type_details.endswith("Mailbox")

    @property
    def has_demoted_archive(self) -> bool:
        return bool(self.disabled_archive_guid) and self.disabled_archive_guid != ZERO_GUID

    @property
    def has_archive(self) -> bool:
        return bool(self.archive_guid) and self.archive_guid != ZERO_GUID

    @property
    def x500s(self) -> tuple[str, ...]:
        return tuple(a for a in self.email_addresses if a.lower().startswith("x500:"))

    @property
    def smtp_addresses(self) -> tuple[str, ...]:
        return tuple(a[5:] for a in self.email_addresses if a.lower().startswith("smtp:"))

    @property
    def names(self) -> frozenset[str]:
        """How Exchange may name this recipient in a permission row or a delegate list
        (Identity, UPN, SMTP addresses, display name), lower-case."""
        names = (
            self.identity,
            self.user_principal_name,
            self.primary_smtp_address,
            self.display_name,
            *self.smtp_addresses,
        )
        return frozenset(n.lower() for n in names if n)


@dataclass(frozen=True)
class MailboxStatistics:
    """Get-MailboxStatistics: sizes live here, not on Get-Mailbox."""

    identity: str
    total_item_size_bytes: int | None
    total_deleted_item_size_bytes: int | None
    is_archive: bool = field(default=False, metadata=WHEN_SET)
    """Get-MailboxStatistics -Archive: the main archive's sizes; `identity` is then its
    MailboxGuid, the mailbox's ArchiveGuid."""
    reported_on: str | None = field(default=None, metadata=WHEN_SET)
    """Read from Graph's mailbox usage report refreshed that day (YYYY-MM-DD; up to about two
    days old), not from Get-MailboxStatistics (None): t2t/probes/mailbox_sizes.py."""


@dataclass(frozen=True)
class GroupMembership:
    """A mail-enabled group of the source (Get-DistributionGroup: distribution or mail-enabled
    security group) and which of the spec's wave mailboxes are its direct members
    (Get-DistributionGroupMember): memberships the move does not carry to the target."""

    group: str
    """Its PrimarySmtpAddress (its Name when it has none)."""
    recipient_type_details: str
    members: tuple[str, ...] = ()
    """The wave mailboxes among its direct members, by PrimarySmtpAddress (lower case); () when
    none is (the group was read all the same: t2t/probes/cost.py counts it)."""


@dataclass(frozen=True)
class SubstrateHolds:
    """The SubstrateHolds folder of a source mailbox's archive, from Get-MailboxFolderStatistics
    <ArchiveGuid> -FolderScope RecoverableItems (Microsoft's validation script,
    CrossTenantMailboxMigrationValidation.ps1: "SOURCE Archive mailbox has items within the
    SubstrateHolds folder and this will cause the migration to fail"). One record per archive
    read; `items` is 0 when the archive has no such folder."""

    archive_guid: str
    items: int
    """ItemsInFolder of the folder named SubstrateHolds (the script's test)."""
    size_bytes: int | None = field(default=None, metadata=WHEN_SET)
    """FolderSize, when Exchange gave one."""


@dataclass(frozen=True)
class PreviousMailbox:
    """A mail user that was a mailbox before (Get-User PreviousRecipientTypeDetails): Exchange
    keeps "Previous home MDB and Previous Mailbox GUID" on it until Set-User
    -PermanentlyClearPreviousMailboxInfo (Learn, Cross-tenant mailbox migration, prerequisites
    for target user objects, step 8)."""

    identity: str
    guid: str
    user_principal_name: str
    previous_recipient_type_details: str


@dataclass(frozen=True)
class MigrationBatch:
    identity: str
    status: str
    batch_type: str | None
    source_endpoint: str | None
    target_delivery_domain: str | None
    total_count: int
    complete_after: str | None


@dataclass(frozen=True)
class MigrationUser:
    identity: str  # the target address
    batch_id: str
    status: str
    error: str | None
    data_consistency_score: str | None = field(default=None, metadata=WHEN_SET)
    """DataConsistencyScore: Perfect, Good, Investigate or Poor ("the DataConsistencyScore
    property exists on MigrationBatch, MigrationUser, and RequestStatistics objects", Learn
    "Track and prevent migration data loss"); None until something was copied."""
    items_skipped: int | None = field(default=None, metadata=WHEN_SET)
    """SkippedItemCount: the items the copy could not bring."""


#: Get-MoveRequest Status values after which a move no longer holds its mailbox: "Add user to
#: new batch after the original move has been removed or completed" (Learn, Cross-tenant
#: mailbox migration, "Migration Failures", SourceMailboxAlreadyBeingMovedPermanentException;
#: the RequestStatus values of the Get-MoveRequest reference's -Status parameter).
MOVE_ENDED = frozenset({"completed", "completedwithwarning"})


@dataclass(frozen=True)
class MoveRequest:
    """A move request on a mailbox of this tenant (Get-MoveRequest): an onboarding or
    offboarding move, or another cross-tenant one (Learn FAQ "How can I see just moves that are
    cross-tenant moves, not my onboarding and off-boarding moves?": the same cmdlet lists all)."""

    identity: str
    exchange_guid: str
    status: str
    flags: str = ""
    batch_name: str = ""

    @property
    def ended(self) -> bool:
        """Completed: the move no longer holds the mailbox (it must still be removed before
        Exchange takes another move request for it, but the cross-tenant move is not blocked:
        Learn says "removed or completed")."""
        return self.status.lower() in MOVE_ENDED


@dataclass(frozen=True)
class RemovedMailbox:
    """A mailbox Get-Mailbox no longer returns: soft-deleted (Get-Mailbox -SoftDeletedMailbox:
    "deleted mailboxes that are still recoverable") or inactive (-InactiveMailboxOnly: "a
    mailbox that's placed on Litigation Hold or In-Place Hold before it's soft-deleted"),
    Get-Mailbox reference, Exchange Online."""

    identity: str
    primary_smtp_address: str
    email_addresses: tuple[str, ...]
    exchange_guid: str
    inactive: bool
    """IsInactiveMailbox, or found by -InactiveMailboxOnly."""
    external_directory_object_id: str = ""
    """The Entra user's object id: what Graph's deletedItems restore takes."""
    when_soft_deleted: str | None = None

    @property
    def smtp_addresses(self) -> tuple[str, ...]:
        return tuple(a[5:] for a in self.email_addresses if a.lower().startswith("smtp:"))


@dataclass(frozen=True)
class Grant:
    """One permission on a source mailbox another principal holds: a Get-MailboxPermission row
    (FullAccess…), a Get-RecipientPermission row (SendAs) or a Get-MailboxFolderPermission row
    of its Calendar folder. `mailbox` is the mailbox's PrimarySmtpAddress as t2t asked for it
    (or, for Get-RecipientPermission, its Identity); `holder` the User / Trustee as Exchange
    shows it (a UPN, a display name for folder permissions)."""

    mailbox: str
    holder: str
    rights: tuple[str, ...]


@dataclass(frozen=True)
class MailboxGrants:
    """What one per-mailbox read found (Get-MailboxPermission, or Get-MailboxFolderPermission
    of its Calendar): one record per mailbox read, with or without grants, so that what was
    read is told apart from what was not."""

    mailbox: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class SessionCmdlet:
    """A cmdlet as the module Exchange generates for t2t's identity presents it
    (t2t/clients/module_functions.py): the parameters RBAC lets this identity pass."""

    cmdlet: str
    parameters: tuple[str, ...]
    runnable: bool = True
    """False: the module has no function of this name, so the identity may not run it."""

    def takes(self, parameter: str) -> bool:
        return self.runnable and parameter.lower() in {p.lower() for p in self.parameters}
