"""Migration batches (microsoft-t2t.md §6, §8).

References: see the package docstring."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from t2t.sandbox.exchange.cmdlets.migration._common import (
    _BATCH_ID,
    _EP_ID,
    _MIG,
    _UNL,
    BATCH_STATUSES,
    MAX_BATCH_USERS,
    STATUS_SUMMARY,
    _not_yet,
    _raise,
)
from t2t.sandbox.exchange.cmdlets.migration.endpoints import _require_endpoint
from t2t.sandbox.exchange.directory import find_recipient
from t2t.sandbox.exchange.errors import CmdletError, not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.model import Tenant, derived_guid
from t2t.sandbox.moves.engine import failure
from t2t.sandbox.moves.model import MigrationBatch, MigrationUser


def _csv_rows(data: bytes, allow_unknown: bool) -> list[str]:
    """The batch CSV: header ``EmailAddress`` (target addresses, LEARN-24 §6)."""
    if not data:
        raise _raise("MigrationCsvException", text="The CSV data is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _raise("MigrationCsvException", text="The CSV data isn't valid UTF-8 text.") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise _raise("MigrationCsvException", text="The CSV data has no header row.")
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    if "emailaddress" not in lowered:
        raise _raise(
            "MigrationCsvException",
            text="The CSV file doesn't contain the required column 'EmailAddress'.",
        )
    unknown = [n for n in names if n.lower() not in ("emailaddress",) and n]
    if unknown and not allow_unknown:
        raise _raise(
            "MigrationCsvException",
            text=f"The CSV file contains the unknown column '{unknown[0]}'. Remove it, or use "
            "-AllowUnknownColumnsInCsv $true.",
        )
    col = lowered.index("emailaddress")
    rows: list[str] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        value = row[col].strip() if col < len(row) else ""
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise _raise(
                "MigrationCsvException",
                text=f"Row {number}: '{value}' isn't a valid value for EmailAddress.",
            )
        if value.lower() in (r.lower() for r in rows):
            raise _raise(
                "MigrationCsvException",
                text=f"Row {number}: the user '{value}' appears more than once in the CSV.",
            )
        rows.append(value)
    if not rows:
        raise _raise("MigrationCsvException", text="The CSV data contains no users.")
    if len(rows) > MAX_BATCH_USERS:
        raise _raise(
            "MigrationCsvException",
            text=f"The CSV data contains {len(rows)} users; a batch holds at most "
            f"{MAX_BATCH_USERS:,}.",
        )
    return rows


def _batch_record(t: Tenant, b: MigrationBatch) -> Record:
    statuses = [u.status for u in b.users]
    return {
        "Identity": b.name,
        "BatchGuid": guid(b.guid),
        "Status": enum_value(b.status, f"{_MIG}.MigrationBatchStatus"),
        "Type": enum_value(b.migration_type, f"{_MIG}.MigrationType"),
        "MigrationType": enum_value(b.migration_type, f"{_MIG}.MigrationType"),
        "TotalCount": len(b.users),
        "ActiveCount": sum(1 for s in statuses if STATUS_SUMMARY.get(s) is None),
        "StoppedCount": sum(1 for s in statuses if STATUS_SUMMARY.get(s) == "Stopped"),
        "SyncedCount": sum(1 for s in statuses if STATUS_SUMMARY.get(s) == "Synced"),
        "FinalizedCount": sum(1 for s in statuses if STATUS_SUMMARY.get(s) == "Completed"),
        "FailedCount": sum(1 for s in statuses if STATUS_SUMMARY.get(s) == "Failed"),
        "PendingCount": sum(1 for s in statuses if s == "Queued"),
        "SourceEndpoint": b.source_endpoint,
        "TargetDeliveryDomain": b.target_delivery_domain,
        "AutoComplete": b.auto_complete,
        "CompleteAfter": date(b.complete_after) if b.complete_after else None,
        "CompleteAfterUTC": date(b.complete_after) if b.complete_after else None,
        "StartAfter": date(b.start_after) if b.start_after else None,
        "NotificationEmails": strings(b.notification_emails),
        "BadItemLimit": "Unlimited" if b.bad_item_limit is None else str(b.bad_item_limit),
        "LargeItemLimit": "Unlimited" if b.large_item_limit is None else str(b.large_item_limit),
        "SubmittedByUser": b.submitted_by,
        "CreationDateTime": date(b.created_at),
        "CreationDateTimeUTC": date(b.created_at),
        "StartDateTime": date(b.started_at) if b.started_at else None,
        "InitialSyncDateTime": date(b.initial_sync_at) if b.initial_sync_at else None,
        "LastSyncedDateTime": date(b.last_synced_at) if b.last_synced_at else None,
        "FinalizedDateTime": date(b.finalized_at) if b.finalized_at else None,
        "BatchDirection": "Onboarding",
        "IsValid": True,
    }


def find_batch(t: Tenant, identity: str) -> MigrationBatch | None:
    key = str(identity).strip().lower()
    if key.startswith("migrationservice:"):
        key = key.split(":", 1)[1]
    return next((b for b in t.migration_batches if key in (b.name.lower(), b.guid)), None)


def _require_batch(t: Tenant, identity: str) -> MigrationBatch:
    b = find_batch(t, identity)
    if b is None:
        raise not_found(identity)
    return b


def _in_other_batch(t: Tenant, identity: str, user_id: str | None) -> MigrationBatch | None:
    for b in t.migration_batches:
        for u in b.users:
            if u.status == "Removing":
                continue
            if u.identity.lower() == identity.lower() or (user_id and u.target_user_id == user_id):
                return b
    return None


def _start_users(t: Tenant, b: MigrationBatch, now: dt.datetime, *, retry_failed: bool) -> None:
    pace = dt.timedelta(seconds=t.move_service.seconds_per_step)
    for u in b.users:
        if u.status in ("Queued", "Stopped") or (retry_failed and u.status == "Failed"):
            if u.failure is not None and u.failure.exception in (
                "MigrationRecipientNotFoundException",
                "UserDuplicateInOtherBatchException",
            ):
                continue  # CSV-level failures: remove the user and add it again (§6)
            u.status, u.failure, u.next_step_at = "Queued", None, now + pace
            u.move_request_status = "Queued"


def new_migration_batch(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    name: str = p.get("Name")
    if find_batch(t, name) is not None:
        raise _raise("MigrationBatchDuplicateException", name=name)
    endpoint = p.get("SourceEndpoint")
    if not endpoint:
        raise CmdletError(
            501,
            "T2t.Sandbox.NotEmulatedException",
            "The t2t sandbox emulates only cross-tenant batches (-SourceEndpoint).",
            code="NotImplemented",
            error_id="",
        )
    ep = _require_endpoint(t, endpoint)
    if "CSVData" not in p:
        raise _raise("MigrationCsvException", text="The CSVData parameter is required.")
    rows = _csv_rows(p.get("CSVData"), bool(p.get("AllowUnknownColumnsInCsv")))
    batch = MigrationBatch(
        guid=derived_guid(t.tenant_id, "batch", name, inv.now.isoformat()),
        name=name,
        source_endpoint=ep.name,
        target_delivery_domain=p.get("TargetDeliveryDomain"),
        auto_complete=bool(p.get("AutoComplete")),
        complete_after=p.get("CompleteAfter"),
        notification_emails=list(p.get("NotificationEmails") or []),
        bad_item_limit=p.get("BadItemLimit"),
        large_item_limit=p.get("LargeItemLimit"),
        submitted_by=t.admin_client.display_name,
        created_at=inv.now,
    )
    for row in rows:
        mu = MigrationUser(
            guid=derived_guid(batch.guid, "user", row), identity=row, when_created=inv.now
        )
        found = find_recipient(t, row)
        if found is None:
            mu.status = "Failed"
            mu.failure = failure("MigrationRecipientNotFoundException", user=row)
        else:
            mu.target_user_id = found[0].id
            other = _in_other_batch(t, row, found[0].id)
            if other is not None:
                mu.status = "Failed"
                mu.failure = failure(
                    "UserDuplicateInOtherBatchException", user=row, batch=other.name
                )
        batch.users.append(mu)
    if inv.what_if:
        return []
    if p.get("AutoStart"):
        batch.status, batch.started_at = "Syncing", inv.now
        _start_users(t, batch, inv.now, retry_failed=False)
    t.migration_batches.append(batch)
    inv.created(batch.guid)
    return [_batch_record(t, batch)]


def get_migration_batch(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    if p.get("Identity"):
        batches = [_require_batch(t, p.get("Identity"))]
        if not inv.visible(batches[0].guid):  # not replicated yet (faults.py lag)
            raise not_found(p.get("Identity"))
    else:
        batches = [b for b in t.migration_batches if inv.visible(b.guid)]
    if p.get("Status"):
        batches = [b for b in batches if b.status.lower() == p.get("Status").lower()]
    if p.get("Endpoint"):
        batches = [
            b for b in batches if b.source_endpoint.lower() == str(p.get("Endpoint")).lower()
        ]
    return [_batch_record(t, b) for b in batches]


def set_migration_batch(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    b = _require_batch(t, p.get("Identity"))
    if inv.what_if:
        return []
    if "CompleteAfter" in p:
        b.complete_after = p.get("CompleteAfter")
    if "NotificationEmails" in p:
        b.notification_emails = list(p.get("NotificationEmails") or [])
    if "BadItemLimit" in p:
        b.bad_item_limit = p.get("BadItemLimit")
    if "LargeItemLimit" in p:
        b.large_item_limit = p.get("LargeItemLimit")
    if p.get("ApproveSkippedItems"):
        for u in b.users:
            u.skipped_items_approved_at = inv.now
    return []


def _invalid_state(b: MigrationBatch, action: str) -> CmdletError:
    return _raise(
        "MigrationBatchInvalidStateException", name=b.name, action=action, status=b.status
    )


def start_migration_batch(inv: Invocation) -> list[Record]:
    """Created/Stopped → Syncing; after failures it retries the failed users (PSDOC-CB)."""
    t = inv.tenant
    b = _require_batch(t, inv.params.get("Identity"))
    retry = b.status in ("SyncedWithErrors", "CompletedWithErrors", "Failed")
    if b.status not in ("Created", "Stopped") and not retry:
        raise _invalid_state(b, "started")
    if not inv.what_if:
        b.status = "Syncing"
        b.started_at = b.started_at or inv.now
        _start_users(t, b, inv.now, retry_failed=retry)
        if all(u.status == "Failed" for u in b.users):
            b.status = "Failed"
    return []


def stop_migration_batch(inv: Invocation) -> list[Record]:
    t = inv.tenant
    b = _require_batch(t, inv.params.get("Identity"))
    if b.status not in ("Syncing", "Synced", "SyncedWithErrors", "Starting"):
        raise _invalid_state(b, "stopped")
    if not inv.what_if:
        pace = dt.timedelta(seconds=t.move_service.seconds_per_step)
        b.status = "Stopping"
        for u in b.users:
            if u.status in ("Queued", "Syncing", "Synced"):
                u.status, u.next_step_at = "Stopping", inv.now + pace
    return []


def complete_migration_batch(inv: Invocation) -> list[Record]:
    """Only from Synced/SyncedWithErrors; in Exchange Online it sets CompleteAfter to now
    (PSDOC-CB, microsoft-t2t.md §6)."""
    t = inv.tenant
    b = _require_batch(t, inv.params.get("Identity"))
    if b.status not in ("Synced", "SyncedWithErrors"):
        raise _invalid_state(b, "completed")
    if not inv.what_if:
        b.complete_after = inv.now
        if "NotificationEmails" in inv.params:
            b.notification_emails = list(inv.params.get("NotificationEmails") or [])
    return []


def remove_migration_batch(inv: Invocation) -> list[Record]:
    t = inv.tenant
    b = _require_batch(t, inv.params.get("Identity"))
    if b.status in ("Syncing", "Completing", "Stopping"):
        raise _invalid_state(b, "removed")
    if not inv.what_if:
        b.status = "Removing"
        b.next_step_at = inv.now + dt.timedelta(seconds=t.move_service.seconds_per_step)
        for u in b.users:
            u.status = "Removing"
    return []


def register(registry: Registry) -> None:
    registry.add(
        CmdletSpec(
            "New-MigrationBatch",
            (
                Param("Name", mandatory=True),
                Param("CSVData", Kind.BYTES, "System.Byte[]"),
                Param("SourceEndpoint", dotnet_type=_EP_ID),
                Param("TargetDeliveryDomain"),
                Param("AutoStart", Kind.SWITCH),
                Param("AutoComplete", Kind.SWITCH),
                Param("CompleteAfter", Kind.DATETIME, "System.DateTime"),
                Param(
                    "NotificationEmails",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpAddress]",
                ),
                Param("BadItemLimit", Kind.UNLIMITED_INT, _UNL),
                Param("LargeItemLimit", Kind.UNLIMITED_INT, _UNL),
                Param("AllowUnknownColumnsInCsv", Kind.BOOL, "System.Boolean"),
                _not_yet("StartAfter", Kind.DATETIME, "System.DateTime"),
                _not_yet("TargetEndpoint", Kind.STRING, _EP_ID),
                _not_yet("Local"),
                _not_yet("ArchiveOnly"),
                _not_yet("PrimaryOnly"),
                _not_yet(
                    "TargetDatabases", Kind.MULTI, "Microsoft.Exchange.Data.MultiValuedProperty"
                ),
                _not_yet(
                    "TargetArchiveDatabases",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.MultiValuedProperty",
                ),
                _not_yet("MoveOptions", Kind.MULTI, "Microsoft.Exchange.Data.MultiValuedProperty"),
                _not_yet("SkipMerging", Kind.MULTI, "Microsoft.Exchange.Data.MultiValuedProperty"),
                _not_yet("AutoRetryCount", Kind.INT, "System.Int32"),
                _not_yet("ReportInterval", Kind.STRING, "System.TimeSpan"),
                _not_yet("TimeZone", Kind.STRING, "Microsoft.Exchange.Data.ExTimeZoneValue"),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            new_migration_batch,
        )
    )
    batch_id = Param("Identity", dotnet_type=_BATCH_ID, mandatory=True)
    registry.add(
        CmdletSpec(
            "Get-MigrationBatch",
            (
                Param("Identity", dotnet_type=_BATCH_ID),
                Param("Status", Kind.ENUM, f"{_MIG}.MigrationBatchStatus", choices=BATCH_STATUSES),
                Param("Endpoint", dotnet_type=_EP_ID),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
                DC_PARAM,
                _not_yet("IncludeReport"),
                _not_yet("Diagnostic"),
                _not_yet("DiagnosticArgument", Kind.STRING, "System.String"),
                _not_yet("Partition", Kind.STRING, "System.String"),
            ),
            get_migration_batch,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-MigrationBatch",
            (
                batch_id,
                Param("CompleteAfter", Kind.DATETIME, "System.DateTime"),
                Param(
                    "NotificationEmails",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpAddress]",
                ),
                Param("BadItemLimit", Kind.UNLIMITED_INT, _UNL),
                Param("LargeItemLimit", Kind.UNLIMITED_INT, _UNL),
                Param("ApproveSkippedItems", Kind.SWITCH),
                _not_yet("CSVData", Kind.BYTES, "System.Byte[]"),
                _not_yet("StartAfter", Kind.DATETIME, "System.DateTime"),
                _not_yet("AutoRetryCount", Kind.INT, "System.Int32"),
                _not_yet("ReportInterval", Kind.STRING, "System.TimeSpan"),
                _not_yet("SyncNow"),
                _not_yet("Update"),
                _not_yet("AddUsers"),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_migration_batch,
        )
    )
    for verb, run in (
        ("Start", start_migration_batch),
        ("Stop", stop_migration_batch),
        ("Remove", remove_migration_batch),
    ):
        registry.add(
            CmdletSpec(
                f"{verb}-MigrationBatch",
                (
                    batch_id,
                    _not_yet("Partition", Kind.STRING, "System.String"),
                    CONFIRM,
                    DC_PARAM,
                    WHATIF,
                ),
                run,
            )
        )
    registry.add(
        CmdletSpec(
            "Complete-MigrationBatch",
            (
                batch_id,
                Param(
                    "NotificationEmails",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpAddress]",
                ),
                _not_yet("SyncAndComplete"),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            complete_migration_batch,
        )
    )
