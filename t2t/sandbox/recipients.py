"""Exchange-side attributes of a directory user: what makes it a mailbox or a mail user.

One directory object is both an Entra user (Graph, `model.User`) and, when it has an
Exchange presence, a recipient (Get-Mailbox / Get-MailUser / Get-Recipient). The Graph
surface owns `model.User`; the Exchange surface owns this module. Fields follow the
properties Exchange returns (microsoft-t2t.md §4, §8, §10.2; Get-Mailbox, Get-MailUser,
Get-MailboxStatistics, Get-MailboxPermission references).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import ConfigDict, Field

from t2t.sandbox.tracking import Tracked

ZERO_GUID = "00000000-0000-0000-0000-000000000000"

GB = 1024**3
DEFAULT_RECOVERABLE_ITEMS_QUOTA = 30 * GB
"""30 GB, Exchange Online's default RecoverableItemsQuota (microsoft-t2t.md §8)."""
DEFAULT_PROHIBIT_SEND_RECEIVE_QUOTA = 100 * GB
DEFAULT_PROHIBIT_SEND_QUOTA = 99 * GB
DEFAULT_ISSUE_WARNING_QUOTA = 98 * GB
DEFAULT_ARCHIVE_QUOTA = 100 * GB

MAILBOX_TYPES = frozenset({"UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"})
MAIL_USER_TYPES = frozenset({"MailUser", "GuestMailUser"})


class MailboxPermissionEntry(Tracked):
    """One Get-MailboxPermission row: who holds which rights on the mailbox."""

    model_config = ConfigDict(extra="forbid")

    user: str
    access_rights: list[str] = Field(default_factory=lambda: ["FullAccess"])
    deny: bool = False
    is_inherited: bool = False


#: Get-MoveRequest Status values (the reference's -Status parameter, RequestStatus).
RequestStatus = Literal[
    "None",
    "Queued",
    "InProgress",
    "AutoSuspended",
    "CompletionInProgress",
    "Synced",
    "Completed",
    "CompletedWithWarning",
    "Suspended",
    "Failed",
]
REQUEST_STATUSES: tuple[str, ...] = get_args(RequestStatus)
#: "Add user to new batch after the original move has been removed or completed" (LEARN-24
#: "Migration Failures", SourceMailboxAlreadyBeingMovedPermanentException).
REQUEST_ENDED = frozenset({"Completed", "CompletedWithWarning"})


class MoveRequestState(Tracked):
    """A move request on this mailbox that no migration batch of the sandbox drives: an
    onboarding or offboarding move an admin started (New-MoveRequest -Remote / -Outbound, which
    the sandbox does not emulate — it has no on-premises side), seeded or arranged through the
    control endpoint. Get-MoveRequest lists it, Remove-MoveRequest removes it, and while it has
    not completed a cross-tenant move of the mailbox fails with
    SourceMailboxAlreadyBeingMovedPermanentException (LEARN-24 "Migration Failures")."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    status: RequestStatus = "InProgress"
    flags: str = Field(
        default="CrossOrg, Push",
        description="RequestFlags as Get-MoveRequest shows them. The default, an offboarding "
        "move's, is an assumption: no Microsoft page lists an offboarding move's flags.",
    )
    batch_name: str = ""
    remote_host_name: str = ""

    @property
    def ended(self) -> bool:
        return self.status in REQUEST_ENDED


class Recipient(Tracked):
    """A user's Exchange recipient. `recipient_type_details` says which kind it is."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    recipient_type_details: str = Field(
        description="UserMailbox, MailUser, SharedMailbox, … (Get-Recipient)."
    )
    exchange_guid: str = ZERO_GUID
    archive_guid: str = ZERO_GUID
    legacy_exchange_dn: str = ""
    primary_smtp_address: str = ""
    email_addresses: list[str] = Field(
        default_factory=list, description='Proxy addresses, "SMTP:" primary, "smtp:", "X500:".'
    )
    external_email_address: str | None = None
    alias: str = ""
    name: str = ""
    # --- archive (Get-Mailbox ArchiveStatus/ArchiveState; §8 aux archives) ---
    archive_disabled: bool = Field(
        default=False, description="A disabled ('demoted') archive remains (§9)."
    )
    auxiliary_archives: int = Field(default=0, ge=0, description="Auxiliary archive mailboxes.")
    auto_expanding_archive_enabled: bool = Field(
        default=False,
        description="Get-Mailbox AutoExpandingArchiveEnabled: an archive at its quota grows a "
        "new auxiliary archive, also during a cross-tenant move (LEARN-24 FAQ).",
    )
    archive_substrate_holds_items: int = Field(
        default=0,
        ge=0,
        description="Items in the archive's Recoverable Items\\SubstrateHolds folder "
        "(Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope RecoverableItems; CSS-VAL).",
    )
    # --- Microsoft-internal state the admin cannot set (sandbox control only, LEARN-24
    # "Migration Failures"): an existing move request on the source mailbox, and Microsoft
    # maintenance relocating it to another database after a migration user was created ---
    existing_move_request: bool = False
    database_moved_at: dt.datetime | None = None
    move_request: MoveRequestState | None = Field(
        default=None,
        description="A move request an admin started outside the sandbox's batches (visible "
        "to Get-MoveRequest, unlike existing_move_request, an internal Microsoft move).",
    )
    # --- holds (CSS-VAL check 4) ---
    litigation_hold_enabled: bool = False
    in_place_holds: list[str] = Field(default_factory=list)
    delay_hold_applied: bool = False
    delay_release_hold_applied: bool = False
    compliance_tag_hold_applied: bool = False
    # --- sizes (Get-MailboxStatistics) ---
    total_item_size: int = Field(default=0, ge=0, description="Bytes.")
    item_count: int = Field(default=0, ge=0)
    total_deleted_item_size: int = Field(default=0, ge=0, description="Recoverable Items, bytes.")
    deleted_item_count: int = Field(default=0, ge=0)
    archive_total_item_size: int = Field(default=0, ge=0)
    archive_item_count: int = Field(default=0, ge=0)
    corrupt_item_count: int = Field(
        default=0,
        ge=0,
        description="Items of the mailbox a move cannot copy (corrupt, too large): a move "
        "reports them as skipped (Get-MigrationUser SkippedItemCount; moves/progress.py).",
    )
    # --- quotas ---
    recoverable_items_quota: int = DEFAULT_RECOVERABLE_ITEMS_QUOTA
    prohibit_send_receive_quota: int = DEFAULT_PROHIBIT_SEND_RECEIVE_QUOTA
    prohibit_send_quota: int = DEFAULT_PROHIBIT_SEND_QUOTA
    issue_warning_quota: int = DEFAULT_ISSUE_WARNING_QUOTA
    # --- capabilities, permissions, delegates ---
    persisted_capabilities: list[str] = Field(
        default_factory=list,
        description="Extra PersistedCapabilities beyond those derived from licences.",
    )
    grant_send_on_behalf_to: list[str] = Field(default_factory=list)
    permissions: list[MailboxPermissionEntry] = Field(default_factory=list)
    send_as: list[str] = Field(
        default_factory=list,
        description="UPNs of the trustees holding SendAs on this recipient "
        "(Get-/Add-RecipientPermission; a permission on the directory object).",
    )
    calendar_permissions: list[MailboxPermissionEntry] = Field(
        default_factory=list,
        description="Users' rights on the Calendar folder beyond Default and Anonymous "
        "(Get-/Add-MailboxFolderPermission <mailbox>:\\Calendar).",
    )
    forwarding_address: str | None = Field(
        default=None, description="Set-Mailbox -ForwardingAddress: a recipient's UPN."
    )
    forwarding_smtp_address: str | None = Field(
        default=None, description="Set-Mailbox -ForwardingSmtpAddress: 'smtp:' and an address."
    )
    deliver_to_mailbox_and_forward: bool = False
    # --- previous mailbox (Set-User -PermanentlyClearPreviousMailboxInfo, §4) ---
    previous_recipient_type_details: str | None = None
    previous_exchange_guid: str | None = None
    external_email_address_before_licence: str | None = Field(
        default=None,
        description="The ExternalEmailAddress of a MailUser that licensing made a mailbox "
        "(exchange/licensing.py): it is a MailUser again once unlicensed.",
    )
    # --- cross-tenant move bookkeeping ---
    moved_to_tenant_id: str | None = Field(
        default=None, description="Set on the source once its mailbox moved away (§1)."
    )
    moved_from_tenant_id: str | None = None

    @property
    def is_mailbox(self) -> bool:
        return self.recipient_type_details in MAILBOX_TYPES

    @property
    def is_mail_user(self) -> bool:
        return self.recipient_type_details in MAIL_USER_TYPES

    @property
    def has_archive(self) -> bool:
        return self.archive_guid != ZERO_GUID and not self.archive_disabled

    @property
    def holds(self) -> list[str]:
        """Names of the holds that block a cross-tenant move (CSS-VAL check 4)."""
        out = []
        if self.litigation_hold_enabled:
            out.append("LitigationHold")
        if self.delay_hold_applied:
            out.append("DelayHold")
        if self.delay_release_hold_applied:
            out.append("DelayReleaseHold")
        if self.compliance_tag_hold_applied:
            out.append("ComplianceTagHold")
        # "-<guid>" entries are exclusions from an organization-wide policy, not holds
        # (Learn "identify-a-hold-on-an-exchange-online-mailbox").
        out += [f"InPlaceHold:{h}" for h in self.in_place_holds if not h.startswith("-")]
        return out

    def smtp_addresses(self) -> list[str]:
        return [a.split(":", 1)[1] for a in self.email_addresses if a.lower().startswith("smtp:")]

    def x500_addresses(self) -> list[str]:
        return [a for a in self.email_addresses if a.lower().startswith("x500:")]


def size_text(n: int) -> str:
    """Exchange's ByteQuantifiedSize rendering: ``"1.5 GB (1,610,612,736 bytes)"`` (§1.3)."""
    units = [("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)]
    for unit, factor in units:
        if n >= factor:
            value = n / factor
            text = f"{value:.3f}".rstrip("0").rstrip(".")
            return f"{text} {unit} ({n:,} bytes)"
    return f"{n} B ({n:,} bytes)"
