"""Live state of the move service, stored on the *target* tenant (the target pulls, §1).

Why here and not in ``model.py``: these objects belong to the Exchange surface; the
tenant only holds lists of them (``Tenant.migration_endpoints``, ``Tenant.migration_batches``,
``Tenant.move_service``). This module imports nothing of the sandbox but tracking.py (the
base of every state model), so ``model.py`` can import it without a cycle.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from t2t.sandbox.tracking import Tracked


class _State(Tracked):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class MigrationEndpoint(_State):
    """An ``ExchangeRemoteMove`` endpoint (New-MigrationEndpoint, PSDOC-ME, §3.6)."""

    guid: str
    name: str
    endpoint_type: str = "ExchangeRemoteMove"
    remote_server: str
    remote_tenant: str | None = None
    application_id: str | None = None
    app_secret_key_vault_url: str | None = None
    credential_user: str | None = None
    has_secret: bool = False
    """A secret was given with -Credentials (never stored in clear, never shown)."""
    secret_fingerprint: str | None = None
    """SHA-256 (hex) of that secret: the digest the app's passwordCredential keeps, so the
    move service can sign in "with" it (moves/credentials.py)."""
    max_concurrent_migrations: int | None = 20
    max_concurrent_incremental_syncs: int | None = 10
    when_created: dt.datetime
    when_changed: dt.datetime


class MigrationFailure(_State):
    """Why a migration user failed: the .NET exception type and its message (§9)."""

    exception: str
    """Short name, e.g. ``MissingExchangeGuidException``."""
    full_type: str
    message: str


class MigrationUser(_State):
    """One CSV row of a batch (Get-MigrationUser, PSDOC-GU)."""

    guid: str
    identity: str
    """The CSV's EmailAddress: the *target* address (§6)."""
    target_user_id: str | None = None
    source_user_id: str | None = None
    source_tenant_id: str | None = None
    status: str = "Queued"
    failure: MigrationFailure | None = None
    sticky_failure: MigrationFailure | None = None
    """A failure Microsoft fixes only by Remove-MigrationUser and a new batch (LEARN-24
    "Migration Failures"): Start-MigrationBatch retries fail with it again (moves/conditions.py)."""
    next_step_at: dt.datetime | None = None
    complete_after: dt.datetime | None = None
    skipped_items_approved_at: dt.datetime | None = None
    """When Set-MigrationUser / Set-MigrationBatch -ApproveSkippedItems last ran for it: it
    "marks all of the skipped items that were discovered prior to the current time as
    approved" (Set-MigrationUser reference), so it covers only items skipped before then
    (moves/progress.py `awaits_approval`)."""
    last_successful_sync: dt.datetime | None = None
    bytes_transferred: int = 0
    items_synced: int = 0
    items_skipped: int = 0
    """Items the copy could not bring (SkippedItemCount), recorded when the sync ends."""
    move_request_status: str | None = None
    """Get-MoveRequest Status of the move this user drives (None: no move request yet)."""
    when_created: dt.datetime


class MigrationBatch(_State):
    """New-MigrationBatch's object (PSDOC-MB, PSDOC-GB)."""

    guid: str
    name: str
    status: str = "Created"
    migration_type: str = "ExchangeRemoteMove"
    source_endpoint: str
    target_delivery_domain: str | None = None
    auto_complete: bool = False
    complete_after: dt.datetime | None = None
    start_after: dt.datetime | None = None
    notification_emails: list[str] = Field(default_factory=list)
    bad_item_limit: int | None = None
    large_item_limit: int | None = None
    users: list[MigrationUser] = Field(default_factory=list)
    submitted_by: str = ""
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    initial_sync_at: dt.datetime | None = None
    last_synced_at: dt.datetime | None = None
    finalized_at: dt.datetime | None = None
    next_step_at: dt.datetime | None = None
    """When the batch itself next changes status (Stopping, Removing, Starting)."""


class MoveServiceSettings(_State):
    """Pace of the emulated Mailbox Replication Service (sandbox-only, not Microsoft's).

    Each migration-user status step takes ``seconds_per_step`` of sandbox clock; the
    whole path Queued → Syncing → Synced takes two steps, completion two more.
    """

    seconds_per_step: int = Field(default=60, ge=0)
    trim_exchange_guid_parameter: bool = False
    """Switch for the open question of seed comment 9 / microsoft-t2t.md §12.5: when on,
    Set-MailUser refuses -ExchangeGuid/-ArchiveGuid as an unknown parameter, as if RBAC
    trimmed it for the caller."""
