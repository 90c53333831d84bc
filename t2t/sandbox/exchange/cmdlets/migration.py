"""Migration cmdlets: endpoints, Test-MigrationServerAvailability, batches, migration users,
their statistics and move requests (microsoft-t2t.md §3.6, §6, §7, §9).

References (MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell/):
New-/Set-/Get-/Remove-MigrationEndpoint.md (ExchangeRemoteMove parameter set),
Test-MigrationServerAvailability.md, New-/Set-/Get-/Start-/Stop-/Complete-/Remove-MigrationBatch.md,
Get-/Set-/Remove-MigrationUser.md, Get-MigrationUserStatistics.md, Get-MoveRequest.md.
Output property names follow the objects these cmdlets return in Exchange Online; the
sandbox renders the subset a migration needs (listed per record function).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from t2t.sandbox.credentials import secret_digest
from t2t.sandbox.exchange.cmdlets.organization import require_hydrated
from t2t.sandbox.exchange.directory import find_recipient
from t2t.sandbox.exchange.errors import CmdletError, not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Credential, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.model import SandboxState, Tenant, derived_guid
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.moves.consent import app_consented
from t2t.sandbox.moves.credentials import sign_in_failure
from t2t.sandbox.moves.engine import error_text, failure, preflight, source_tenant_of
from t2t.sandbox.moves.model import MigrationBatch, MigrationEndpoint, MigrationUser
from t2t.sandbox.recipients import size_text

MAX_BATCH_USERS = 2000
"""Mailboxes per batch (LEARN-24, microsoft-t2t.md §8)."""

_MIG = "Microsoft.Exchange.Data.Storage.Management"
BATCH_STATUSES = (
    "Completed",
    "CompletedWithErrors",
    "Completing",
    "Corrupted",
    "Created",
    "Failed",
    "IncrementalSyncing",
    "Removing",
    "Starting",
    "Stopped",
    "Syncing",
    "Stopping",
    "Synced",
    "SyncedWithErrors",
    "Waiting",
)
"""PSDOC-GB; the docs spell ``SyncedwithErrors``, Exchange emits ``SyncedWithErrors``."""
USER_STATUSES = (
    "Completed",
    "CompletedWithWarnings",
    "Completing",
    "CompletionFailed",
    "CompletionSynced",
    "Corrupted",
    "Failed",
    "IncrementalFailed",
    "IncrementalStopped",
    "IncrementalSynced",
    "IncrementalSyncing",
    "Provisioning",
    "ProvisionUpdating",
    "Queued",
    "Removing",
    "Starting",
    "Stopped",
    "Stopping",
    "Synced",
    "Syncing",
    "Validating",
)
STATUS_SUMMARY: dict[str, str] = {
    **dict.fromkeys(("Completed", "CompletedWithWarnings"), "Completed"),
    **dict.fromkeys(("Failed", "CompletionFailed", "IncrementalFailed", "Corrupted"), "Failed"),
    **dict.fromkeys(("Stopped", "IncrementalStopped"), "Stopped"),
    **dict.fromkeys(("Synced", "IncrementalSynced", "CompletionSynced"), "Synced"),
}
"""-StatusSummary groups (PSDOC-GU: Active, Completed, Failed, Stopped, Synced); every
other status is Active."""

_KV_URL = re.compile(r"^https://[a-zA-Z_0-9\-]+\.vault\.azure\.net(:443)?/certificates/.+")


def _raise(key: str, /, **fields: str) -> CmdletError:
    s = spec(key)
    return CmdletError(400, s.full_type, s.render(**fields))


def _permanent(text: str) -> CmdletError:
    return _raise("MigrationPermanentException", text=text)


# ---------------------------------------------------------------- endpoints


def endpoint_record(t: Tenant, ep: MigrationEndpoint) -> Record:
    active = sum(
        1
        for b in t.migration_batches
        if b.source_endpoint.lower() == ep.name.lower()
        for u in b.users
        if u.status in ("Queued", "Syncing", "Completing")
    )
    return {
        "Identity": ep.name,
        "Name": ep.name,
        "EndpointType": enum_value(ep.endpoint_type, f"{_MIG}.MigrationType"),
        "RemoteServer": ep.remote_server,
        "RemoteTenant": ep.remote_tenant,
        "ApplicationId": ep.application_id,
        "AppSecretKeyVaultUrl": ep.app_secret_key_vault_url,
        "Username": ep.credential_user,
        "IsRemote": True,
        "MaxConcurrentMigrations": "Unlimited"
        if ep.max_concurrent_migrations is None
        else str(ep.max_concurrent_migrations),
        "MaxConcurrentIncrementalSyncs": "Unlimited"
        if ep.max_concurrent_incremental_syncs is None
        else str(ep.max_concurrent_incremental_syncs),
        "ActiveCount": active,
        "InactiveCount": 0,
        "UseAutodiscover": False,
        "Guid": guid(ep.guid),
        "LastModifiedTime": date(ep.when_changed),
        "IsValid": True,
    }


def find_endpoint(t: Tenant, identity: str) -> MigrationEndpoint | None:
    key = str(identity).strip().lower()
    return next((e for e in t.migration_endpoints if key in (e.name.lower(), e.guid)), None)


def _require_endpoint(t: Tenant, identity: str) -> MigrationEndpoint:
    ep = find_endpoint(t, identity)
    if ep is None:
        raise not_found(identity)
    return ep


def _verify_endpoint(inv: Invocation, ep: MigrationEndpoint) -> None:
    """What New-/Set-MigrationEndpoint check unless -SkipVerification (LEARN-24:
    New-MigrationEndpoint fails until the source has consented): the remote tenant, consent,
    and — when this call brings -Credentials — a sign-in to the source with them, as the move
    will do (moves/credentials.py): a secret still propagating after addPassword, removed,
    expired or another app's is refused here. That Exchange signs in at this point rests on
    consent being checked at all (microsoft-365-docs PR #13640: "the authentication of the
    endpoint creation will keep failing" until the source consents); the refusal's text is
    the move's (README, open questions)."""
    if not ep.application_id:
        return
    source = inv.state.resolve_tenant(ep.remote_tenant or "")
    if source is None:
        raise _raise(
            "MigrationServerConnectionFailedException",
            inner=f"MRSRemotePermanentException: The remote tenant '{ep.remote_tenant}' "
            "couldn't be found.",
        )
    if ep.has_secret and not app_consented(source, ep.application_id):
        raise _raise(
            "MigrationAppNotConsentedInSource", app=ep.application_id, tenant=ep.remote_tenant or ""
        )
    if "Credentials" in inv.params:
        refused = sign_in_failure(inv.state, source, ep, inv.now)
        if refused is not None:
            raise CmdletError(400, refused.full_type, refused.message)


def _apply_endpoint(inv: Invocation, ep: MigrationEndpoint) -> None:
    p = inv.params
    if "RemoteServer" in p:
        ep.remote_server = str(p.get("RemoteServer"))
    if "RemoteTenant" in p:
        ep.remote_tenant = p.get("RemoteTenant")
    if "ApplicationId" in p:
        ep.application_id = p.get("ApplicationId")
    if "AppSecretKeyVaultUrl" in p:
        url = p.get("AppSecretKeyVaultUrl")
        if url and not _KV_URL.match(url):
            raise _permanent(
                f"The AppSecretKeyVaultUrl '{url}' isn't a Key Vault certificate URL "
                "(https://<vault>.vault.azure.net/certificates/<name>/<version>)."
            )
        ep.app_secret_key_vault_url = url
    if "Credentials" in p:
        cred: Credential = p.get("Credentials")
        ep.credential_user = cred.user_name
        ep.has_secret = True
        ep.secret_fingerprint = secret_digest(cred.password)
    if "MaxConcurrentMigrations" in p:
        ep.max_concurrent_migrations = p.get("MaxConcurrentMigrations")
    if "MaxConcurrentIncrementalSyncs" in p:
        ep.max_concurrent_incremental_syncs = p.get("MaxConcurrentIncrementalSyncs")
    if ep.application_id and ep.has_secret and ep.app_secret_key_vault_url:
        raise _permanent("Specify either Credentials or AppSecretKeyVaultUrl, not both.")
    # No credential at all is accepted, as Exchange accepts it; every batch against such an
    # endpoint then fails (exo-module-protocol.md, "Credentials in time" [live]).
    if (
        ep.application_id
        and ep.credential_user
        and ep.credential_user.lower() != ep.application_id.lower()
    ):
        raise _permanent(
            f"The Credentials user name '{ep.credential_user}' must be the application id "
            f"'{ep.application_id}'."
        )
    if ep.application_id and not ep.remote_tenant:
        raise _permanent("A cross-tenant endpoint with an ApplicationId needs RemoteTenant.")
    if not p.get("SkipVerification"):
        _verify_endpoint(inv, ep)


def new_migration_endpoint(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    if not p.get("ExchangeRemoteMove"):
        raise CmdletError(
            501,
            "T2t.Sandbox.NotEmulatedException",
            "The t2t sandbox emulates only the ExchangeRemoteMove parameter set of "
            "New-MigrationEndpoint.",
            code="NotImplemented",
            error_id="",
        )
    require_hydrated(t)
    name: str = p.get("Name")
    if find_endpoint(t, name) is not None:
        raise _raise("MigrationEndpointDuplicateException", name=name)
    ep = MigrationEndpoint(
        guid=derived_guid(t.tenant_id, "endpoint", name, inv.now.isoformat()),
        name=name,
        remote_server=str(p.get("RemoteServer")),
        when_created=inv.now,
        when_changed=inv.now,
    )
    _apply_endpoint(inv, ep)
    if inv.what_if:
        return []
    t.migration_endpoints.append(ep)
    inv.created(ep.guid)
    return [endpoint_record(t, ep)]


def set_migration_endpoint(inv: Invocation) -> list[Record]:
    t = inv.tenant
    current = _require_endpoint(t, inv.params.get("Identity"))
    require_hydrated(t)
    ep = current.model_copy(deep=True)
    _apply_endpoint(inv, ep)
    if not inv.what_if:
        ep.when_changed = inv.now
        t.migration_endpoints[t.migration_endpoints.index(current)] = ep
    return []


def get_migration_endpoint(inv: Invocation) -> list[Record]:
    t = inv.tenant
    identity = inv.params.get("Identity")
    if identity:
        ep = _require_endpoint(t, identity)
        if not inv.visible(ep.guid):  # not replicated yet (faults.py lag)
            raise not_found(identity)
        return [endpoint_record(t, ep)]
    wanted = inv.params.get("Type")
    return [
        endpoint_record(t, e)
        for e in t.migration_endpoints
        if (not wanted or e.endpoint_type.lower() == str(wanted).lower()) and inv.visible(e.guid)
    ]


def remove_migration_endpoint(inv: Invocation) -> list[Record]:
    t = inv.tenant
    ep = _require_endpoint(t, inv.params.get("Identity"))
    for b in t.migration_batches:
        if b.source_endpoint.lower() == ep.name.lower():
            raise _raise("MigrationEndpointInUseException", name=ep.name, batch=b.name)
    if not inv.what_if:
        t.migration_endpoints.remove(ep)
    return []


def test_migration_server_availability(inv: Invocation) -> list[Record]:
    """-Endpoint [-TestMailbox <target MailUser>]: the per-user simulation of a move
    (BLOG-2). The answer is a record with Result Failed, not an error envelope, even for a
    missing mailbox (cross-tenant #89 shows ManagementObjectNotFoundException in ErrorDetail)."""
    t, p = inv.tenant, inv.params
    ep = _require_endpoint(t, p.get("Endpoint"))

    def result(ok: bool, message: str = "", detail: str = "") -> list[Record]:
        return [
            {
                "Result": enum_value("Success" if ok else "Failed", f"{_MIG}.MigrationTestResult"),
                "Message": message,
                "SupportsCutover": False,
                "ErrorDetail": detail,
                "ConnectionSettings": None,
                "TestedEndpoint": ep.name,
                "IsValid": True,
                "Identity": None,
            }
        ]

    state = inv.state
    probe = MigrationBatch(
        guid=derived_guid("probe"),
        name="TestMigrationServerAvailability",
        source_endpoint=ep.name,
        created_at=inv.now,
        started_at=inv.now,
    )
    mailbox = p.get("TestMailbox")
    if mailbox:
        if find_recipient(t, mailbox) is None:
            nf = not_found(mailbox)
            return result(False, nf.text, f"{nf.exception_type}: {nf.text}")
        mu = MigrationUser(guid=derived_guid("probe-user"), identity=mailbox, when_created=inv.now)
        problem = preflight(state, t, probe, mu)
        # Proxies in the delivery domain belong to the batch, not to this test.
        if problem is not None:
            return result(False, problem.message, f"{problem.full_type}: {problem.message}")
        return result(True)
    source = source_tenant_of(state, t, probe)
    if source is None or (ep.application_id and not app_consented(source, ep.application_id)):
        f = failure(
            "MigrationServerConnectionFailedException",
            inner="MRSRemotePermanentException: The source tenant could not be reached or "
            "has not consented to the migration application.",
        )
        return result(False, f.message, f"{f.full_type}: {f.message}")
    refused = sign_in_failure(state, source, ep, inv.now)
    if refused is not None:
        return result(False, refused.message, f"{refused.full_type}: {refused.message}")
    return result(True)


# ---------------------------------------------------------------- batches


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
            u.approve_skipped_items = True
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


# ---------------------------------------------------------------- migration users


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


def migration_user_record(t: Tenant, b: MigrationBatch, u: MigrationUser) -> Record:
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
        "SyncedItemCount": u.items_synced,
        "SkippedItemCount": 0,
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
    return [migration_user_record(t, b, u) for b, u in pairs]


def set_migration_user(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    _, u = _require_user(t, p.get("Identity"))
    if not inv.what_if:
        if p.get("ApproveSkippedItems"):
            u.approve_skipped_items = True
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
    state: SandboxState, t: Tenant, b: MigrationBatch, u: MigrationUser
) -> Record:
    source = state.resolve_tenant(u.source_tenant_id) if u.source_tenant_id else None
    su = source.user(u.source_user_id) if source and u.source_user_id else None
    sr = su.recipient if su else None
    total = (sr.total_item_size + sr.archive_total_item_size) if sr else u.bytes_transferred
    count = (sr.item_count + sr.archive_item_count) if sr else u.items_synced
    total = max(total, u.bytes_transferred)
    done = {"Synced": 95, "Completing": 99, "Completed": 100}.get(u.status, 0)
    if u.status == "Syncing":
        done = 50
    return {
        **migration_user_record(t, b, u),
        "Error": error_text(u.failure) if u.failure else None,
        "BytesTransferred": size_text(u.bytes_transferred),
        "EstimatedTotalTransferSize": size_text(total),
        "EstimatedTotalTransferCount": count,
        "TotalItemsInSourceMailboxCount": count,
        "PercentageComplete": done,
        "TotalQueuedDuration": "00:00:00",
        "DataConsistencyScore": "Perfect" if u.status in ("Synced", "Completed") else None,
    }


def get_migration_user_statistics(inv: Invocation) -> list[Record]:
    t = inv.tenant
    b, u = _require_user(t, inv.params.get("Identity"))
    return [migration_user_statistics_record(inv.state, t, b, u)]


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
    return out


# ---------------------------------------------------------------- registration


def _not_yet(
    name: str,
    kind: Kind = Kind.SWITCH,
    dotnet: str = "System.Management.Automation.SwitchParameter",
) -> Param:
    return Param(name, kind, dotnet, emulated=False)


_UNL = "Microsoft.Exchange.Data.Unlimited`1[System.Int32]"
_EP_ID = "Microsoft.Exchange.Management.Migration.MigrationEndpointIdParameter"
_BATCH_ID = "Microsoft.Exchange.Management.Migration.MigrationBatchIdParameter"
_USER_ID = "Microsoft.Exchange.Management.Migration.MigrationUserIdParameter"


def register(registry: Registry) -> None:
    endpoint_common = (
        Param("ApplicationId"),
        Param("AppSecretKeyVaultUrl"),
        Param("Credentials", Kind.CREDENTIAL, "System.Management.Automation.PSCredential"),
        Param("MaxConcurrentMigrations", Kind.UNLIMITED_INT, _UNL),
        Param("MaxConcurrentIncrementalSyncs", Kind.UNLIMITED_INT, _UNL),
        Param("RemoteServer", dotnet_type="Microsoft.Exchange.Data.Fqdn"),
        Param("SkipVerification", Kind.SWITCH),
        _not_yet(
            "Partition", Kind.STRING, "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter"
        ),
        CONFIRM,
        DC_PARAM,
        WHATIF,
    )
    registry.add(
        CmdletSpec(
            "New-MigrationEndpoint",
            (
                Param("Name", mandatory=True),
                Param("ExchangeRemoteMove", Kind.SWITCH),
                Param("RemoteTenant"),
                *endpoint_common,
                _not_yet("Autodiscover"),
                _not_yet("EmailAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                _not_yet("ExchangeOutlookAnywhere"),
                _not_yet("IMAP"),
                _not_yet("Gmail"),
                _not_yet("PSTImport"),
                _not_yet("PublicFolder"),
                _not_yet("Compliance"),
                _not_yet("AcceptUntrustedCertificates"),
                _not_yet("Authentication", Kind.STRING, "System.String"),
                _not_yet("ExchangeServer", Kind.STRING, "System.String"),
                _not_yet("RpcProxyServer", Kind.STRING, "Microsoft.Exchange.Data.Fqdn"),
                _not_yet("Port", Kind.INT, "System.Int32"),
                _not_yet("Security", Kind.STRING, "System.String"),
                _not_yet("TestMailbox", Kind.STRING, "System.String"),
            ),
            new_migration_endpoint,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-MigrationEndpoint",
            (
                Param("Identity", dotnet_type=_EP_ID, mandatory=True),
                *endpoint_common,
                _not_yet("ExchangeServer", Kind.STRING, "System.String"),
                _not_yet("TestMailbox", Kind.STRING, "System.String"),
            ),
            set_migration_endpoint,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MigrationEndpoint",
            (
                Param("Identity", dotnet_type=_EP_ID),
                Param(
                    "Type",
                    Kind.ENUM,
                    f"{_MIG}.MigrationType",
                    choices=(
                        "IMAP",
                        "XO1",
                        "ExchangeOutlookAnywhere",
                        "BulkProvisioning",
                        "ExchangeRemoteMove",
                        "ExchangeLocalMove",
                        "PSTImport",
                        "PublicFolder",
                        "GoogleWorkspace",
                    ),
                ),
                DC_PARAM,
                _not_yet("ConnectionSettings", Kind.STRING, "System.String"),
                _not_yet("Diagnostic"),
                _not_yet("DiagnosticArgument", Kind.STRING, "System.String"),
                _not_yet("Partition", Kind.STRING, "System.String"),
            ),
            get_migration_endpoint,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Remove-MigrationEndpoint",
            (Param("Identity", dotnet_type=_EP_ID, mandatory=True), CONFIRM, DC_PARAM, WHATIF),
            remove_migration_endpoint,
        )
    )
    registry.add(
        CmdletSpec(
            "Test-MigrationServerAvailability",
            (
                Param("Endpoint", dotnet_type=_EP_ID, mandatory=True),
                Param(
                    "TestMailbox",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
                ),
                _not_yet("Autodiscover"),
                _not_yet(
                    "Credentials", Kind.CREDENTIAL, "System.Management.Automation.PSCredential"
                ),
                _not_yet("EmailAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                _not_yet("ExchangeRemoteMove"),
                _not_yet("RemoteServer", Kind.STRING, "Microsoft.Exchange.Data.Fqdn"),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                WHATIF,
            ),
            test_migration_server_availability,
        )
    )
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
                    choices=(
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
                    ),
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
