"""The batch checks (T2T-E4xx / T2T-W4xx) and Microsoft's status values, grouped.

Sources: microsoft-t2t.md §6 (batches), §7 (statuses and t2t's proposed grouping), §8 (2,000
per batch), §9 (the exceptions each check prevents).
"""

from __future__ import annotations

from t2t.planner.checks import CheckDef, register

#: Microsoft's limit (microsoft-t2t.md §8, LEARN-24).
MAX_PER_BATCH = 2000

#: Get-MigrationBatch -Status values (PSDOC-GB), lower case: compare case-insensitively (the
#: docs spell one of them "SyncedwithErrors").
BATCH_STATUSES = frozenset(
    s.lower()
    for s in (
        "Completed", "CompletedWithErrors", "Completing", "Corrupted", "Created", "Failed",
        "IncrementalSyncing", "Removing", "Starting", "Stopped", "Syncing", "Stopping",
        "Synced", "SyncedWithErrors", "Waiting",
    )
)  # fmt: skip
#: Get-MigrationUser -Status values (PSDOC-GU), lower case.
USER_STATUSES = frozenset(
    s.lower()
    for s in (
        "Completed", "CompletedWithWarnings", "Completing", "CompletionFailed",
        "CompletionSynced", "Corrupted", "Failed", "IncrementalFailed", "IncrementalStopped",
        "IncrementalSynced", "IncrementalSyncing", "Provisioning", "ProvisionUpdating",
        "Queued", "Removing", "Starting", "Stopped", "Stopping", "Synced", "Syncing",
        "Validating",
    )
)  # fmt: skip

# t2t's grouping (microsoft-t2t.md §7, a design choice): terminal-ok, terminal-bad,
# needs-operator, everything else in progress.
DONE = frozenset({"completed", "completedwitherrors", "completedwithwarnings"})
FAILED = frozenset({"failed", "completionfailed", "incrementalfailed", "corrupted"})
STOPPED = frozenset({"stopped", "incrementalstopped"})
SYNCED = frozenset({"synced", "syncedwitherrors", "incrementalsynced", "completionsynced"})
#: Batch statuses in which Complete-MigrationBatch is accepted (PSDOC-CB).
COMPLETABLE = frozenset({"synced", "syncedwitherrors"})
#: Batch statuses in which t2t sends nothing to it (it is changing by itself or already done).
SETTLING = frozenset({"completing", "removing", "stopping", "starting", "corrupted"})


def group(status: str) -> str:
    """done | failed | stopped | synced | in-progress | unknown, for either kind of status."""
    s = status.lower()
    if s in DONE:
        return "done"
    if s in FAILED:
        return "failed"
    if s in STOPPED:
        return "stopped"
    if s in SYNCED:
        return "synced"
    if s in BATCH_STATUSES or s in USER_STATUSES:
        return "in-progress"
    return "unknown"


_DUPLICATE = "UserDuplicateInOtherBatchException"

#: Failures Microsoft fixes only by Remove-MigrationUser and a new batch (LEARN-24 "Migration
#: Failures": "Remove the migration user from the batch … Add user to new batch"), by the
#: exception name that starts a migration user's ErrorSummary. UserDuplicateInOtherBatch is
#: listed there too but is handled before the batch exists (T2T-W404).
REMOVE_AND_READD = frozenset(
    {
        "MailboxIsNotInExpectedDBException",
        "SourceMailboxAlreadyBeingMovedPermanentException",
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException",
        "AuxArchiveNotFoundInTargetRecipientException",
    }
)
_NO_PROXY = (
    "MigrationMRSPermanentException: Error: The target mailbox doesn't have an SMTP proxy "
    "matching '<domain>'"
)

CHECKS = (
    CheckDef(
        "T2T-E401",
        "batch-endpoint-missing",
        "error",
        "The batch's migration endpoint does not exist and is not planned (or its action is "
        "blocked)",
        "New-MigrationBatch fails: the SourceEndpoint couldn't be found "
        "(ManagementObjectNotFoundException)",
        "Let t2t create relationship.endpoint (resolve the checks that block it), then plan again.",
        "microsoft-t2t.md §3.6, §6",
    ),
    CheckDef(
        "T2T-E402",
        "batch-delivery-domain-not-accepted",
        "error",
        "The batch's targetDeliveryDomain is not an accepted domain of the target",
        f"{_NO_PROXY}; NotAcceptedDomainException (licensing scrubs proxies in domains the "
        "target has not accepted)",
        "Use the target's <tenant>.mail.onmicrosoft.com (or another accepted domain) as "
        "targetDeliveryDomain.",
        "microsoft-t2t.md §4, §6, §9",
    ),
    CheckDef(
        "T2T-E403",
        "batch-mailbox-no-delivery-proxy",
        "error",
        "The target MailUser has no proxy in the batch's targetDeliveryDomain and nothing in "
        "the plan adds one",
        _NO_PROXY,
        "Add the proxy (Set-MailUser -EmailAddresses @{add='smtp:<alias>@<domain>'}); the "
        "mailbox is left out of the batch until then.",
        "microsoft-t2t.md §4, §9 (OfficeDocs-Exchange #1061; cross-tenant #70)",
    ),
    CheckDef(
        "T2T-W404",
        "batch-mailbox-in-other-batch",
        "warning",
        "The mailbox is already a migration user of a batch that is not this wave's",
        _DUPLICATE,
        "It is left out of this batch. To move it with this wave, remove it from the other "
        "batch (Get-MigrationUser -Identity <address> | Remove-MigrationUser) and plan again.",
        "microsoft-t2t.md §6 (Re-add a user), §9",
    ),
    CheckDef(
        "T2T-W405",
        "batch-split",
        "warning",
        "The wave holds more than 2,000 mailboxes: it is split into sub-batches "
        "(<name>-01, -02, … in spec order)",
        "New-MigrationBatch refuses more than 2,000 users in one batch",
        "Nothing to do (information); split the wave in the spec to choose the groups.",
        "microsoft-t2t.md §8 (LEARN-24)",
    ),
    CheckDef(
        "T2T-W406",
        "migration-user-failed",
        "warning",
        "A migration user failed (its ErrorSummary is shown)",
        "the mailbox stays in the source; the failure names the Microsoft exception",
        "Fix the cause the ErrorSummary names; t2t prepares the target again and retries the "
        "user with Start-MigrationBatch (disruptive, needs approval).",
        "microsoft-t2t.md §6 (retry failures with Start-MigrationBatch), §7, §9",
    ),
    CheckDef(
        "T2T-W407",
        "batch-mailbox-left-out",
        "warning",
        "A mailbox is left out of its batch because a check blocks its preparation",
        "a mailbox whose target is not prepared fails its move (the blocking check names the "
        "exception: MigrationRecipientNotFoundException, MissingExchangeGuidException, …)",
        "Resolve the blocking check; the mailbox then goes into a new sub-batch (a running "
        "batch cannot grow).",
        "DESIGN.md (a blocked mailbox blocks only its own actions); microsoft-t2t.md §6",
    ),
    CheckDef(
        "T2T-W408",
        "batch-status-unrecognised",
        "warning",
        "A batch or migration user has a status t2t does not know",
        "a step sent in the wrong state (Complete-/Start-MigrationBatch refuse it)",
        "t2t plans nothing for it; check the batch in the Exchange admin center and report "
        "the status.",
        "microsoft-t2t.md §7 (PSDOC-GB, PSDOC-GU)",
    ),
    CheckDef(
        "T2T-W411",
        "migration-user-needs-readd",
        "warning",
        "A migration user failed in a way Microsoft fixes only by removing it from its batch "
        "and adding it to a new one",
        "restarting the batch forever: Start-MigrationBatch fails the user again with the same "
        "exception (MailboxIsNotInExpectedDBException, "
        "SourceMailboxAlreadyBeingMovedPermanentException, "
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException, "
        "AuxArchiveNotFoundInTargetRecipientException)",
        "t2t removes the user (Remove-MigrationUser, disruptive) and adds it to a new "
        "sub-batch of its wave. For SourceMailboxAlreadyBeingMoved, first wait until the other "
        "move completes or is removed.",
        "LEARN-24 'Migration Failures'; microsoft-t2t.md §6 (Re-add a user), §9",
    ),
)

#: T2T-E403 looks at one mailbox of a wave and leaves that mailbox out, the batch going on
#: without it: a mailbox-scope check, as plan's exit code 6 ("mailboxes left out") counts.
register(*(c for c in CHECKS if c.code != "T2T-E403"), scope="batch")
register(*(c for c in CHECKS if c.code == "T2T-E403"), scope="mailbox")
