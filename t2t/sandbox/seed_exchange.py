"""The seed's per-user Exchange block: what makes a seeded user a mailbox or a mail user.

Owned by the Exchange surface (it extends `RecipientSeed` and `recipient_from_seed`);
the directory side (`seed.UserSeed`) only references it as ``exchange:``. Anything the
seed leaves out is derived deterministically from the tenant id and the user's UPN, so a
seed stays short and a reset always yields the same GUIDs.

Formats (microsoft-t2t.md §4, §10.2; Get-Mailbox reference):

- ``LegacyExchangeDN`` of a cloud mailbox: ``/o=ExchangeLabs/ou=Exchange Administrative
  Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=<32 hex>-<alias>`` (the shape Exchange Online
  stamps; seen in every X500 proxy of the migration docs' examples);
- ``EmailAddresses``: ``SMTP:`` = primary, ``smtp:`` = secondary, ``X500:``/``x500:``
  = history; every Exchange Online recipient also has ``alias@<initial domain>``.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from t2t.sandbox.recipients import (
    DEFAULT_RECOVERABLE_ITEMS_QUOTA,
    ZERO_GUID,
    MailboxPermissionEntry,
    MoveRequestState,
    Recipient,
    RequestStatus,
)

_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_NAMESPACE = uuid.UUID("0b7ad3c4-5e6f-4a1b-9c2d-3e4f5a6b7c8d")  # = model.SANDBOX_NAMESPACE

EXO_LEGACY_DN_PREFIX = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"

RecipientKind = Literal[
    "UserMailbox",
    "SharedMailbox",
    "RoomMailbox",
    "EquipmentMailbox",
    "MailUser",
    "GuestMailUser",
]


def _derived(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(p.lower() for p in parts)))


class MoveRequestSeed(BaseModel):
    """A move request on the mailbox (recipients.MoveRequestState)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: RequestStatus = "InProgress"
    flags: str = "CrossOrg, Push"
    batchName: str = ""
    remoteHostName: str = ""


class RecipientSeed(BaseModel):
    """A seeded user's Exchange presence (Get-Mailbox / Get-MailUser)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipientTypeDetails: RecipientKind = "UserMailbox"
    alias: str | None = Field(default=None, description="Default: the UPN's local part.")
    primarySmtpAddress: str | None = Field(
        default=None, description="Default: the user's mail, else alias@<first custom domain>."
    )
    exchangeGuid: str | None = Field(
        default=None,
        pattern=_GUID,
        description="Default: derived for mailboxes; all zeros for mail users.",
    )
    archive: bool = Field(default=False, description="Has an online archive (ArchiveGuid set).")
    archiveGuid: str | None = Field(default=None, pattern=_GUID)
    legacyExchangeDN: str | None = None
    emailAddresses: list[str] = Field(
        default_factory=list,
        description="Further proxies, e.g. 'smtp:d@contoso.net', 'X500:/o=…' (history).",
    )
    externalEmailAddress: str | None = Field(
        default=None, description="Mail users only: where mail goes, e.g. 'SMTP:a@b.com'."
    )
    litigationHoldEnabled: bool = False
    inPlaceHolds: list[str] = Field(default_factory=list)
    archiveDisabled: bool = Field(default=False, description="A disabled ('demoted') archive.")
    auxiliaryArchives: int = Field(default=0, ge=0, description="Auxiliary archive mailboxes.")
    totalItemSize: int | None = Field(
        default=None, ge=0, description="Bytes (Get-MailboxStatistics); default derived."
    )
    itemCount: int | None = Field(default=None, ge=0, description="Default derived.")
    totalDeletedItemSize: int = Field(default=0, ge=0, description="Recoverable Items, bytes.")
    deletedItemCount: int = Field(default=0, ge=0)
    archiveTotalItemSize: int = Field(default=0, ge=0)
    archiveItemCount: int = Field(default=0, ge=0)
    archiveSubstrateHoldsItems: int = Field(
        default=0,
        ge=0,
        description="Items in the archive's Recoverable Items\\SubstrateHolds folder "
        "(Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope RecoverableItems): with an "
        "archive, 'this will cause the migration to fail' (Microsoft's validation script).",
    )
    recoverableItemsQuota: int | None = Field(default=None, ge=0, description="Default 30 GB.")
    persistedCapabilities: list[str] = Field(
        default_factory=list, description="Beyond those derived from licences."
    )
    grantSendOnBehalfTo: list[str] = Field(default_factory=list)
    fullAccess: list[str] = Field(
        default_factory=list, description="Users holding FullAccess (Get-MailboxPermission)."
    )
    sendAs: list[str] = Field(
        default_factory=list, description="Users holding SendAs (Get-RecipientPermission)."
    )
    calendar: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Calendar folder permissions: user → access rights, e.g. "
        "{'megan@contoso.com': ['Editor']} (Get-MailboxFolderPermission <mailbox>:\\Calendar).",
    )
    forwardingAddress: str | None = Field(
        default=None, description="A recipient mail is forwarded to (Get-Mailbox)."
    )
    forwardingSmtpAddress: str | None = Field(
        default=None, description="An SMTP address mail is forwarded to, e.g. 'smtp:a@b.com'."
    )
    deliverToMailboxAndForward: bool = False
    previousExchangeGuid: str | None = Field(default=None, pattern=_GUID)
    moveRequest: MoveRequestSeed | None = Field(
        default=None,
        description="A move request an admin started on this mailbox outside t2t (e.g. an "
        "offboarding move): Get-MoveRequest lists it; while it has not completed, a "
        "cross-tenant move fails with SourceMailboxAlreadyBeingMovedPermanentException.",
    )


def default_legacy_dn(tenant_id: str, upn: str, alias: str) -> str:
    hex32 = _derived(tenant_id, "legacydn", upn).replace("-", "")
    return f"{EXO_LEGACY_DN_PREFIX}/cn=Recipients/cn={hex32}-{alias.lower()}"


def recipient_from_seed(
    r: RecipientSeed,
    *,
    tenant_id: str,
    initial_domain: str,
    default_domain: str,
    upn: str,
    display_name: str,
    mail: str | None,
) -> Recipient:
    """Build the live `Recipient` of a seeded user (deterministic GUIDs and proxies)."""
    alias = r.alias or upn.split("@", 1)[0]
    primary = r.primarySmtpAddress or mail or f"{alias}@{default_domain}"
    is_mailbox = r.recipientTypeDetails.endswith("Mailbox")
    exchange_guid = r.exchangeGuid or (
        _derived(tenant_id, "exchangeguid", upn) if is_mailbox else ZERO_GUID
    )
    archive_guid = r.archiveGuid or (
        _derived(tenant_id, "archiveguid", upn) if r.archive else ZERO_GUID
    )
    legacy = r.legacyExchangeDN or default_legacy_dn(tenant_id, upn, alias)
    # Deterministic, plausible mailbox contents so a move visibly carries sizes over.
    seed_int = int(_derived(tenant_id, "size", upn).replace("-", "")[:8], 16)
    items = (200 + seed_int % 4800) if is_mailbox else 0
    size = items * (40_000 + seed_int % 60_000)
    proxies = [f"SMTP:{primary}"]
    seen = {primary.lower()}
    for extra in [f"smtp:{alias}@{initial_domain}", *r.emailAddresses]:
        prefix, _, address = extra.partition(":")
        if prefix.lower() == "smtp":
            if address.lower() in seen:
                continue
            seen.add(address.lower())
            extra = f"smtp:{address}"
        proxies.append(extra)
    return Recipient(
        recipient_type_details=r.recipientTypeDetails,
        exchange_guid=exchange_guid,
        archive_guid=archive_guid,
        legacy_exchange_dn=legacy,
        primary_smtp_address=primary,
        email_addresses=proxies,
        external_email_address=r.externalEmailAddress,
        alias=alias,
        name=display_name,
        litigation_hold_enabled=r.litigationHoldEnabled,
        in_place_holds=list(r.inPlaceHolds),
        archive_disabled=r.archiveDisabled,
        auxiliary_archives=r.auxiliaryArchives,
        total_item_size=r.totalItemSize if r.totalItemSize is not None else size,
        item_count=r.itemCount if r.itemCount is not None else items,
        total_deleted_item_size=r.totalDeletedItemSize,
        deleted_item_count=r.deletedItemCount,
        archive_total_item_size=r.archiveTotalItemSize,
        archive_item_count=r.archiveItemCount,
        archive_substrate_holds_items=r.archiveSubstrateHoldsItems,
        recoverable_items_quota=r.recoverableItemsQuota or DEFAULT_RECOVERABLE_ITEMS_QUOTA,
        persisted_capabilities=list(r.persistedCapabilities),
        grant_send_on_behalf_to=list(r.grantSendOnBehalfTo),
        permissions=[MailboxPermissionEntry(user=u) for u in r.fullAccess],
        send_as=list(r.sendAs),
        calendar_permissions=[
            MailboxPermissionEntry(user=u, access_rights=list(rights))
            for u, rights in r.calendar.items()
        ],
        forwarding_address=r.forwardingAddress,
        forwarding_smtp_address=r.forwardingSmtpAddress,
        deliver_to_mailbox_and_forward=r.deliverToMailboxAndForward,
        previous_exchange_guid=r.previousExchangeGuid,
        previous_recipient_type_details="UserMailbox" if r.previousExchangeGuid else None,
        move_request=(
            MoveRequestState(
                status=r.moveRequest.status,
                flags=r.moveRequest.flags,
                batch_name=r.moveRequest.batchName,
                remote_host_name=r.moveRequest.remoteHostName,
            )
            if r.moveRequest is not None
            else None
        ),
    )
