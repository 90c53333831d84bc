"""Parsers from cmdlet output records to the observed model (pure; tested as fixtures)."""

from __future__ import annotations

from typing import Any

from t2t.probes.values import as_bool, as_bytes, as_int, as_list, as_str, lower_guid
from t2t.state.exchange import (
    ZERO_GUID,
    AcceptedDomain,
    MailboxStatistics,
    MailGroup,
    MigrationBatch,
    MigrationEndpoint,
    MigrationUser,
    MoveRequest,
    PreviousMailbox,
    Recipient,
    RemovedMailbox,
)

#: Properties asked of Get-Mailbox (`$select`): what microsoft-t2t.md §4 and §10.2 check.
MAILBOX_PROPERTIES = (
    "Identity",
    "Guid",
    "UserPrincipalName",
    "PrimarySmtpAddress",
    "RecipientTypeDetails",
    "ExchangeGuid",
    "ArchiveGuid",
    "ArchiveStatus",
    "LegacyExchangeDN",
    "EmailAddresses",
    "IsDirSynced",
    "PersistedCapabilities",
    "LitigationHoldEnabled",
    "InPlaceHolds",
    "DelayHoldApplied",
    "DelayReleaseHoldApplied",
    "ComplianceTagHoldApplied",
    "MailboxLocations",
    "DisplayName",
    "DisabledArchiveGuid",
    "RecoverableItemsQuota",
    "ProhibitSendReceiveQuota",
    "AutoExpandingArchiveEnabled",
    # What the move does not carry over (T2T-W350, t2t/probes/delegations.py): send-on-behalf
    # delegates and forwarding, Get-Mailbox properties (Set-Mailbox reference).
    "GrantSendOnBehalfTo",
    "ForwardingAddress",
    "ForwardingSmtpAddress",
    "DeliverToMailboxAndForward",
)
#: Properties asked of Get-MailUser.
MAILUSER_PROPERTIES = (
    "Identity",
    "Guid",
    "UserPrincipalName",
    "PrimarySmtpAddress",
    "RecipientTypeDetails",
    "ExchangeGuid",
    "ArchiveGuid",
    "LegacyExchangeDN",
    "EmailAddresses",
    "ExternalEmailAddress",
    "IsDirSynced",
    "PersistedCapabilities",
    "DisplayName",
    "RecoverableItemsQuota",
)


def parse_recipient(r: dict[str, Any]) -> Recipient:
    locations = as_list(r.get("MailboxLocations"))
    return Recipient(
        identity=str(r.get("Identity") or r.get("PrimarySmtpAddress") or ""),
        guid=lower_guid(r.get("Guid")),
        user_principal_name=str(r.get("UserPrincipalName") or ""),
        primary_smtp_address=str(r.get("PrimarySmtpAddress") or ""),
        recipient_type_details=str(r.get("RecipientTypeDetails") or ""),
        exchange_guid=lower_guid(r.get("ExchangeGuid")) or ZERO_GUID,
        archive_guid=lower_guid(r.get("ArchiveGuid")) or ZERO_GUID,
        legacy_exchange_dn=str(r.get("LegacyExchangeDN") or ""),
        email_addresses=as_list(r.get("EmailAddresses")),
        external_email_address=as_str(r.get("ExternalEmailAddress")),
        is_dir_synced=as_bool(r.get("IsDirSynced")),
        persisted_capabilities=as_list(r.get("PersistedCapabilities")),
        litigation_hold=as_bool(r.get("LitigationHoldEnabled")),
        in_place_holds=as_list(r.get("InPlaceHolds")),
        delay_hold=as_bool(r.get("DelayHoldApplied")),
        delay_release_hold=as_bool(r.get("DelayReleaseHoldApplied")),
        compliance_tag_hold=as_bool(r.get("ComplianceTagHoldApplied")),
        aux_archive_count=sum(1 for loc in locations if "auxarchive" in loc.lower()),
        archive_status=as_str(r.get("ArchiveStatus")),
        display_name=str(r.get("DisplayName") or ""),
        disabled_archive_guid=lower_guid(r.get("DisabledArchiveGuid")) or ZERO_GUID,
        recoverable_items_quota_bytes=as_bytes(r.get("RecoverableItemsQuota")),
        prohibit_send_receive_quota_bytes=as_bytes(r.get("ProhibitSendReceiveQuota")),
        auto_expanding_archive=as_bool(r.get("AutoExpandingArchiveEnabled")),
        grant_send_on_behalf_to=as_list(r.get("GrantSendOnBehalfTo")),
        forwarding_address=str(r.get("ForwardingAddress") or ""),
        forwarding_smtp_address=str(r.get("ForwardingSmtpAddress") or ""),
        deliver_to_mailbox_and_forward=as_bool(r.get("DeliverToMailboxAndForward")),
    )


#: Properties asked of Get-User (-RecipientTypeDetails MailUser): whether a mail user was a
#: mailbox (Learn, Cross-tenant mailbox migration, step 8: `Get-User <identity> | select Name,
#: *recipient*`; PreviousRecipientTypeDetails is a Get-User property, "Filterable properties
#: for the Filter parameter").
USER_PROPERTIES = (
    "Identity",
    "Guid",
    "UserPrincipalName",
    "RecipientTypeDetails",
    "PreviousRecipientTypeDetails",
)


#: Get-User's -Filter for users whose PreviousRecipientTypeDetails is set — the example of
#: Learn's "Filterable properties for the Filter parameter", PreviousRecipientTypeDetails
#: ("Get-User -Filter 'PreviousRecipientTypeDetails -ne $null'"). A constant: no value of
#: anyone's goes into it. parse_previous_mailbox still drops a "None" the server may return.
PREVIOUSLY_SOMETHING_ELSE = "PreviousRecipientTypeDetails -ne $null"


def parse_previous_mailbox(r: dict[str, Any]) -> PreviousMailbox | None:
    """A Get-User record whose PreviousRecipientTypeDetails names what it was; None when it
    was nothing else ("None", or empty)."""
    previous = str(r.get("PreviousRecipientTypeDetails") or "")
    if previous.lower() in ("", "none"):
        return None
    return PreviousMailbox(
        identity=str(r.get("Identity") or ""),
        guid=lower_guid(r.get("Guid")),
        user_principal_name=str(r.get("UserPrincipalName") or ""),
        previous_recipient_type_details=previous,
    )


def parse_statistics(r: dict[str, Any], *, archive: bool = False) -> MailboxStatistics:
    """A Get-MailboxStatistics record; `archive`: asked with -Archive (the main archive)."""
    return MailboxStatistics(
        identity=str(r.get("MailboxGuid") or r.get("Identity") or ""),
        total_item_size_bytes=as_bytes(r.get("TotalItemSize")),
        total_deleted_item_size_bytes=as_bytes(r.get("TotalDeletedItemSize")),
        is_archive=archive,
    )


def parse_accepted_domain(r: dict[str, Any]) -> AcceptedDomain:
    return AcceptedDomain(
        domain_name=str(r.get("DomainName") or r.get("Name") or "").lower(),
        domain_type=str(r.get("DomainType") or ""),
    )


def parse_endpoint(r: dict[str, Any]) -> MigrationEndpoint:
    app = as_str(r.get("ApplicationId"))
    return MigrationEndpoint(
        identity=str(r.get("Identity") or ""),
        endpoint_type=str(r.get("EndpointType") or ""),
        remote_server=as_str(r.get("RemoteServer")),
        remote_tenant=as_str(r.get("RemoteTenant")),
        application_id=app.lower() if app else None,
        app_secret_key_vault_url=as_str(r.get("AppSecretKeyVaultUrl")),
        max_concurrent_migrations=as_int(r.get("MaxConcurrentMigrations")),
    )


def parse_group(r: dict[str, Any]) -> MailGroup:
    return MailGroup(
        identity=str(r.get("Identity") or r.get("Name") or ""),
        name=str(r.get("Name") or ""),
        primary_smtp_address=str(r.get("PrimarySmtpAddress") or ""),
        recipient_type_details=str(r.get("RecipientTypeDetails") or ""),
        is_dir_synced=as_bool(r.get("IsDirSynced")),
        description=as_list(r.get("Description")),
    )


def parse_batch(r: dict[str, Any]) -> MigrationBatch:
    return MigrationBatch(
        identity=str(r.get("Identity") or ""),
        status=str(r.get("Status") or ""),
        batch_type=as_str(r.get("MigrationType")),
        source_endpoint=as_str(r.get("SourceEndpoint")),
        target_delivery_domain=as_str(r.get("TargetDeliveryDomain")),
        total_count=as_int(r.get("TotalCount")) or 0,
        complete_after=as_str(r.get("CompleteAfter")),
    )


def parse_migration_user(r: dict[str, Any]) -> MigrationUser:
    return MigrationUser(
        identity=str(r.get("Identity") or r.get("MailboxEmailAddress") or ""),
        batch_id=str(r.get("BatchId") or ""),
        status=str(r.get("Status") or ""),
        error=as_str(r.get("ErrorSummary")),
        data_consistency_score=as_str(r.get("DataConsistencyScore")),
        items_skipped=as_int(r.get("SkippedItemCount")),
    )


#: Properties asked of Get-MoveRequest: which mailbox (ExchangeGuid), how far its move is
#: (Status, a RequestStatus of the Get-MoveRequest reference) and what kind of move it is
#: (Flags, e.g. "CrossTenant" for cross-tenant moves, Learn FAQ; BatchName).
MOVE_REQUEST_PROPERTIES = ("Identity", "ExchangeGuid", "Status", "Flags", "BatchName")


def parse_move_request(r: dict[str, Any]) -> MoveRequest:
    return MoveRequest(
        identity=str(r.get("Identity") or r.get("Name") or ""),
        exchange_guid=lower_guid(r.get("ExchangeGuid")) or ZERO_GUID,
        status=str(r.get("Status") or ""),
        flags=str(r.get("Flags") or ""),
        batch_name=str(r.get("BatchName") or ""),
    )


#: Properties asked of Get-Mailbox -SoftDeletedMailbox / -InactiveMailboxOnly (Get-Mailbox
#: reference; IsInactiveMailbox, WhenSoftDeleted and ExternalDirectoryObjectId are properties of
#: the mailbox object those switches return).
REMOVED_MAILBOX_PROPERTIES = (
    "Identity",
    "PrimarySmtpAddress",
    "EmailAddresses",
    "ExchangeGuid",
    "IsInactiveMailbox",
    "ExternalDirectoryObjectId",
    "WhenSoftDeleted",
)


def parse_removed_mailbox(r: dict[str, Any], *, inactive: bool = False) -> RemovedMailbox:
    """A record of Get-Mailbox -SoftDeletedMailbox or -InactiveMailboxOnly (`inactive`: the
    latter, whatever IsInactiveMailbox says)."""
    return RemovedMailbox(
        identity=str(r.get("Identity") or r.get("PrimarySmtpAddress") or ""),
        primary_smtp_address=str(r.get("PrimarySmtpAddress") or ""),
        email_addresses=as_list(r.get("EmailAddresses")),
        exchange_guid=lower_guid(r.get("ExchangeGuid")) or ZERO_GUID,
        inactive=inactive or as_bool(r.get("IsInactiveMailbox")),
        external_directory_object_id=lower_guid(r.get("ExternalDirectoryObjectId")),
        when_soft_deleted=as_str(r.get("WhenSoftDeleted")),
    )
