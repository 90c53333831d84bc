"""Migration users, their statistics and move requests (microsoft-t2t.md §7, §9).

References: see the package docstring."""

from __future__ import annotations

import datetime as dt
from typing import Any

from t2t.sandbox.exchange.cmdlets.migration._common import (
    _BATCH_ID,
    _MIG,
    _UNL,
    _USER_ID,
    STATUS_SUMMARY,
    USER_STATUSES,
    _not_yet,
    _permanent,
)
from t2t.sandbox.exchange.cmdlets.migration.batches import _require_batch
from t2t.sandbox.exchange.directory import recipients
from t2t.sandbox.exchange.errors import not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid
from t2t.sandbox.model import SandboxState, Tenant, User, derived_guid
from t2t.sandbox.moves.engine import error_text
from t2t.sandbox.moves.model import MigrationBatch, MigrationUser
from t2t.sandbox.moves.progress import progress
from t2t.sandbox.recipients import REQUEST_STATUSES, Recipient, size_text


def _summary(status: str) -> str:
    return STATUS_SUMMARY.get(status, "Active")


def _find_user(t: Tenant, identity: str) -> tuple[MigrationBatch, MigrationUser] | None:
    key = str(identity).strip().lower()
    for b in t.migration_batches:
        for u in b.users:
            if key in (u.identity.lower(), u.guid):
                return b, u
    return None


def _require_user(t: Tenant, identity: str) -> tuple[MigrationBatch, MigrationUser]:
    found = _find_user(t, identity)
    if found is None:
        raise not_found(identity)
    return found


def _mailbox_guid(t: Tenant, u: MigrationUser) -> str:
    tu = t.user(u.target_user_id) if u.target_user_id else None
    r = tu.recipient if tu else None
    return r.exchange_guid if r else "00000000-0000-0000-0000-000000000000"


def migration_user_record(
    state: SandboxState, t: Tenant, b: MigrationBatch, u: MigrationUser, now: dt.datetime
) -> Record:
    """Get-MigrationUser's object; its item counts move while the user syncs
    (moves/progress.py). ``LastSuccessfulSyncTime`` is the MigrationUser property of that name
    (Exchange Server API reference, MigrationUser.LastSuccessfulSyncTime, jj956435)."""
    done = progress(state, t, u, now)
    return {
        "Identity": u.identity,
        "Identifier": u.identity,
        "MailboxEmailAddress": u.identity,
        "BatchId": b.name,
        "Status": enum_value(u.status, f"{_MIG}.MigrationUserStatus"),
        "StatusSummary": enum_value(_summary(u.status), f"{_MIG}.MigrationUserStatusSummary"),
        "ErrorSummary": error_text(u.failure) if u.failure else "",
        "RecipientType": "MailUser",
        "MailboxGuid": guid(_mailbox_guid(t, u)),
        "RequestGuid": guid(derived_guid(u.guid, "request")),
        "LastSuccessfulSyncTime": date(u.last_successful_sync) if u.last_successful_sync else None,
        "SyncedItemCount": done.items_synced,
        "SkippedItemCount": done.items_skipped,
        "DataConsistencyScore": done.consistency,
        "Guid": guid(u.guid),
        "IsValid": True,
    }


def get_migration_user(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    if p.get("Identity"):
        pairs = [_require_user(t, p.get("Identity"))]
    else:
        pairs = [(b, u) for b in t.migration_batches for u in b.users]
    if p.get("BatchId"):
        batch = _require_batch(t, p.get("BatchId"))
        pairs = [(b, u) for b, u in pairs if b is batch]
    if p.get("Status"):
        pairs = [(b, u) for b, u in pairs if u.status.lower() == p.get("Status").lower()]
    if p.get("StatusSummary"):
        want = p.get("StatusSummary").lower()
        pairs = [(b, u) for b, u in pairs if _summary(u.status).lower() == want]
    return [migration_user_record(inv.state, t, b, u, inv.now) for b, u in pairs]


def set_migration_user(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    _, u = _require_user(t, p.get("Identity"))
    if not inv.what_if:
        if p.get("ApproveSkippedItems"):
            u.skipped_items_approved_at = inv.now
        if "CompleteAfter" in p:
            u.complete_after = p.get("CompleteAfter")
    return []


def remove_migration_user(inv: Invocation) -> list[Record]:
    t = inv.tenant
    b, u = _require_user(t, inv.params.get("Identity"))
    if u.status in ("Syncing", "Completing"):
        raise _permanent(
            f"The migration user '{u.identity}' can't be removed while its status is {u.status}."
        )
    if not inv.what_if:
        b.users.remove(u)
    return []


def migration_user_statistics_record(
    state: SandboxState, t: Tenant, b: MigrationBatch, u: MigrationUser, now: dt.datetime
) -> Record:
    """Get-MigrationUserStatistics: the user's object and the copy's figures at ``now``
    (moves/progress.py)."""
    done = progress(state, t, u, now)
    return {
        **migration_user_record(state, t, b, u, now),
        "Error": error_text(u.failure) if u.failure else None,
        "BytesTransferred": size_text(done.bytes_transferred),
        "EstimatedTotalTransferSize": size_text(done.bytes_total),
        "EstimatedTotalTransferCount": done.items_total,
        "TotalItemsInSourceMailboxCount": done.items_total,
        "PercentageComplete": done.percent,
        "TotalQueuedDuration": "00:00:00",
    }


def get_migration_user_statistics(inv: Invocation) -> list[Record]:
    t = inv.tenant
    b, u = _require_user(t, inv.params.get("Identity"))
    return [migration_user_statistics_record(inv.state, t, b, u, inv.now)]


def get_move_request(inv: Invocation) -> list[Record]:
    """Move requests the batches created (only users that got past validation). Flags of
    a cross-tenant pull are assumed ``CrossOrg, Pull, CrossTenant`` (§6 filters on
    ``-Flags CrossTenant``)."""
    t, p = inv.tenant, inv.params
    out: list[Record] = []
    for b in t.migration_batches:
        for u in b.users:
            if u.move_request_status is None:
                continue
            tu = t.user(u.target_user_id) if u.target_user_id else None
            r = tu.recipient if tu else None
            name = r.name if r else u.identity
            if p.get("Identity") and str(p.get("Identity")).lower() not in (
                name.lower(),
                u.identity.lower(),
                (r.alias.lower() if r else ""),
            ):
                continue
            if p.get("BatchName") and str(p.get("BatchName")).lower() not in (
                b.name.lower(),
                f"migrationservice:{b.name.lower()}",
            ):
                continue
            if p.get("Status") and u.move_request_status.lower() != p.get("Status").lower():
                continue
            flags = "CrossOrg, Pull, CrossTenant"
            if p.get("Flags") and not all(
                f.strip().lower() in flags.lower() for f in str(p.get("Flags")).split(",")
            ):
                continue
            out.append(
                {
                    "DisplayName": tu.display_name if tu else u.identity,
                    "Alias": r.alias if r else "",
                    "Name": name,
                    "Identity": name,
                    "ExchangeGuid": guid(_mailbox_guid(t, u)),
                    "Status": enum_value(u.move_request_status, f"{_MIG}.RequestStatus"),
                    "Flags": enum_value(flags, f"{_MIG}.RequestFlags"),
                    "RequestStyle": "CrossOrg",
                    "Direction": "Pull",
                    "RemoteHostName": "outlook.office365.com",
                    "BatchName": f"MigrationService:{b.name}",
                    "TargetDeliveryDomain": b.target_delivery_domain,
                    "IsOffline": False,
                    "Suspend": u.move_request_status == "Suspended",
                    "SuspendWhenReadyToComplete": not b.auto_complete,
                    "RecipientTypeDetails": r.recipient_type_details if r else "MailUser",
                }
            )
    return out + admin_move_requests(t, p)


def _identities(t: Tenant, u: User, r: Recipient) -> set[str]:
    """What Remove-/Get-MoveRequest -Identity accepts for a mailbox's move request
    (MoveRequestIdParameter: "Name, Alias, … Email address, GUID, … User ID or UPN")."""
    return {
        r.name.lower(),
        r.alias.lower(),
        r.primary_smtp_address.lower(),
        u.user_principal_name.lower(),
        u.id,
        r.exchange_guid,
        *(a.lower() for a in r.smtp_addresses()),
    }


def admin_move_requests(t: Tenant, p: Any) -> list[Record]:
    """Move requests an admin started outside the sandbox's batches (recipients'
    `move_request`: an onboarding or offboarding move), as Get-MoveRequest shows them, with
    the same filters as the batches' moves."""
    out: list[Record] = []
    for u, r in recipients(t):
        m = r.move_request
        if m is None:
            continue
        if p.get("Identity") and str(p.get("Identity")).strip().lower() not in _identities(t, u, r):
            continue
        if p.get("BatchName") and str(p.get("BatchName")).lower() != m.batch_name.lower():
            continue
        if p.get("Status") and m.status.lower() != str(p.get("Status")).lower():
            continue
        if p.get("Flags") and not all(
            f.strip().lower() in m.flags.lower() for f in str(p.get("Flags")).split(",")
        ):
            continue
        out.append(
            {
                "DisplayName": u.display_name,
                "Alias": r.alias,
                "Name": r.name,
                "Identity": r.name,
                "ExchangeGuid": guid(r.exchange_guid),
                "Status": enum_value(m.status, f"{_MIG}.RequestStatus"),
                "Flags": enum_value(m.flags, f"{_MIG}.RequestFlags"),
                "RemoteHostName": m.remote_host_name,
                "BatchName": m.batch_name,
                "IsOffline": False,
                "Suspend": m.status == "Suspended",
                "RecipientTypeDetails": r.recipient_type_details,
            }
        )
    return out


def remove_move_request(inv: Invocation) -> list[Record]:
    """Remove-MoveRequest -Identity (Remove-MoveRequest reference: "Use the Remove-MoveRequest
    cmdlet to cancel a mailbox move initiated using the New-MoveRequest cmdlet"): removes a
    move request an admin started (`Recipient.move_request`). The moves of the sandbox's
    migration batches are removed with their migration users (Remove-MigrationUser), as t2t
    does; they are not found here."""
    t, identity = inv.tenant, str(inv.params.get("Identity"))
    key = identity.strip().lower()
    for u, r in recipients(t):
        if r.move_request is not None and key in _identities(t, u, r):
            if not inv.what_if:
                r.move_request = None
            return []
    raise not_found(identity)


def register(registry: Registry) -> None:
    registry.add(
        CmdletSpec(
            "Get-MigrationUser",
            (
                Param("Identity", dotnet_type=_USER_ID),
                Param("BatchId", dotnet_type=_BATCH_ID),
                Param("Status", Kind.ENUM, f"{_MIG}.MigrationUserStatus", choices=USER_STATUSES),
                Param(
                    "StatusSummary",
                    Kind.ENUM,
                    f"{_MIG}.MigrationUserStatusSummary",
                    choices=("Active", "Completed", "Failed", "Stopped", "Synced"),
                ),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
                DC_PARAM,
                _not_yet("IncludeAssociatedUsers"),
                _not_yet("MailboxGuid", Kind.GUID, "System.Guid"),
                _not_yet("Partition", Kind.STRING, "System.String"),
            ),
            get_migration_user,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-MigrationUser",
            (
                Param("Identity", dotnet_type=_USER_ID, mandatory=True),
                Param("ApproveSkippedItems", Kind.SWITCH),
                Param("CompleteAfter", Kind.DATETIME, "System.DateTime"),
                _not_yet("BadItemLimit", Kind.UNLIMITED_INT, _UNL),
                _not_yet("LargeItemLimit", Kind.UNLIMITED_INT, _UNL),
                _not_yet("StartAfter", Kind.DATETIME, "System.DateTime"),
                _not_yet("SyncNow"),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_migration_user,
        )
    )
    registry.add(
        CmdletSpec(
            "Remove-MigrationUser",
            (
                Param("Identity", dotnet_type=_USER_ID, mandatory=True),
                Param("Force", Kind.SWITCH),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            remove_migration_user,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MigrationUserStatistics",
            (
                Param("Identity", dotnet_type=_USER_ID, mandatory=True),
                DC_PARAM,
                _not_yet("IncludeReport"),
                _not_yet("IncludeSkippedItems"),
                _not_yet("IncludeCopilotReport"),
                _not_yet("Diagnostic"),
                _not_yet("DiagnosticArgument", Kind.STRING, "System.String"),
                _not_yet("LimitSkippedItemsTo", Kind.INT, "System.Int32"),
                _not_yet("SkipSubscription"),
                _not_yet("Partition", Kind.STRING, "System.String"),
            ),
            get_migration_user_statistics,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MoveRequest",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.MoveRequestIdParameter",
                ),
                Param("BatchName"),
                Param(
                    "Status",
                    Kind.ENUM,
                    f"{_MIG}.RequestStatus",
                    choices=REQUEST_STATUSES,
                ),
                Param("Flags"),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
                DC_PARAM,
                _not_yet("MoveStatus", Kind.STRING, "System.String"),
                _not_yet("Suspend", Kind.BOOL, "System.Boolean"),
                _not_yet("SourceDatabase", Kind.STRING, "System.String"),
                _not_yet("TargetDatabase", Kind.STRING, "System.String"),
                _not_yet("SortBy", Kind.STRING, "System.String"),
            ),
            get_move_request,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Remove-MoveRequest",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.MoveRequestIdParameter",
                    mandatory=True,
                ),
                _not_yet("MoveRequestQueue", Kind.STRING, "System.String"),
                _not_yet("MailboxGuid", Kind.GUID, "System.Guid"),
                _not_yet("ProxyToMailbox", Kind.STRING, "System.String"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            remove_move_request,
        )
    )
