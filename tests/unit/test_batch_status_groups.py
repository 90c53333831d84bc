"""Every status Microsoft documents for a batch (PSDOC-GB) and a migration user (PSDOC-GU) falls
in the group microsoft-t2t.md §7 proposes; an unheard-of status is "unknown", never guessed.
The whole table is stated, so a status moved to another group fails here."""

from __future__ import annotations

import pytest

from t2t.planner.batches.catalogue import BATCH_STATUSES, USER_STATUSES, group

EXPECTED = {
    # batch (Get-MigrationBatch -Status)
    "Completed": "done",
    "CompletedWithErrors": "done",
    "Completing": "in-progress",
    "Corrupted": "failed",
    "Created": "in-progress",
    "Failed": "failed",
    "IncrementalSyncing": "in-progress",
    "Removing": "in-progress",
    "Starting": "in-progress",
    "Stopped": "stopped",
    "Syncing": "in-progress",
    "Stopping": "in-progress",
    "Synced": "synced",
    "SyncedwithErrors": "synced",
    "Waiting": "in-progress",
    # migration user (Get-MigrationUser -Status), besides those above
    "CompletedWithWarnings": "done",
    "CompletionFailed": "failed",
    "CompletionSynced": "synced",
    "IncrementalFailed": "failed",
    "IncrementalStopped": "stopped",
    "IncrementalSynced": "synced",
    "Provisioning": "in-progress",
    "ProvisionUpdating": "in-progress",
    "Queued": "in-progress",
    "Validating": "in-progress",
}


def test_the_table_covers_every_documented_status() -> None:
    assert {s.lower() for s in EXPECTED} == BATCH_STATUSES | USER_STATUSES


@pytest.mark.parametrize(("status", "expected"), sorted(EXPECTED.items()))
def test_each_status_falls_in_its_group_whatever_its_case(status: str, expected: str) -> None:
    assert (group(status), group(status.upper()), group(status.lower())) == (expected,) * 3


@pytest.mark.parametrize("status", ["", "Paused", "Synced with errors", "Complete"])
def test_a_status_microsoft_does_not_document_is_unknown(status: str) -> None:
    assert group(status) == "unknown"
