"""What every migration cmdlet module shares: statuses, errors, parameter helpers.

References: see the package docstring."""

from __future__ import annotations

from t2t.sandbox.exchange.errors import CmdletError
from t2t.sandbox.exchange.params import Kind, Param
from t2t.sandbox.moves.catalogue import spec

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


def _raise(key: str, /, **fields: str) -> CmdletError:
    s = spec(key)
    return CmdletError(400, s.full_type, s.render(**fields))


def _permanent(text: str) -> CmdletError:
    return _raise("MigrationPermanentException", text=text)


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
