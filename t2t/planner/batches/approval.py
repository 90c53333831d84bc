"""A migration user whose skipped items wait for approval (T2T-W412).

Why: a cross-tenant batch is a remote move, and "Approval of migrations with a score of
Investigate or worse is required for the completion of Remote Move, Public Folder, and Google
Workspace migrations" (Learn, "Track and prevent migration data loss",
https://learn.microsoft.com/exchange/mailbox-migration/track-prevent-data-loss-dcs). The user
stays Synced: "If the batch appears stuck after running the cmdlet, check for unapproved
skipped items (use Set-MigrationUser -ApproveSkippedItems)" (Complete-MigrationBatch
reference). The grade is the DataConsistencyScore Get-MigrationUser shows ("the
DataConsistencyScore property exists on MigrationBatch, MigrationUser, and RequestStatistics
objects").

t2t never approves by itself: -ApproveSkippedItems "marks all of the skipped items that were
discovered prior to the current time as approved" (Set-MigrationUser reference) — it accepts
that those items are lost, which only a person who has looked at them can decide. Nothing
Exchange shows says an approval was given, so the finding stays until the user completes; a
Poor grade cannot be approved at all ("you cannot force the migration to succeed. Please
contact Microsoft Support"). Shared by the plan (batches/domain.py) and `t2t status`.
"""

from __future__ import annotations

from t2t.planner.batches.catalogue import group
from t2t.planner.checks import CheckDef, register

#: DataConsistencyScore grades that need approval before completion (Learn, as above).
NEEDS_APPROVAL = frozenset({"investigate", "poor"})

AWAITING_APPROVAL = CheckDef(
    "T2T-W412",
    "migration-user-awaits-skipped-item-approval",
    "warning",
    "A migration user's skipped items wait for approval (DataConsistencyScore Investigate or "
    "Poor): it does not complete until they are approved",
    "a batch that never completes: Complete-MigrationBatch (or CompleteAfter) leaves the user "
    "Synced — 'If the batch appears stuck after running the cmdlet, check for unapproved "
    "skipped items'; Microsoft names no exception",
    "Review what would be lost (Get-MigrationUserStatistics <user> -IncludeSkippedItems | "
    "Select-Object -ExpandProperty SkippedItems), then approve it: Set-MigrationUser <user> "
    "-ApproveSkippedItems (or Set-MigrationBatch <batch> -ApproveSkippedItems for every user "
    "of the batch); the move then completes on its own. Approving accepts the loss of those "
    "items, so t2t never approves by itself. A Poor score cannot be approved: contact "
    "Microsoft Support.",
    "Learn, 'Track and prevent migration data loss' (grades, 'Approval of migrations with a "
    "score of Investigate or worse is required for the completion of Remote Move … "
    "migrations', 'How to see which items were not migrated'); Set-MigrationUser reference "
    "(-ApproveSkippedItems); Complete-MigrationBatch reference (Exchange Online notes); "
    "Get-MigrationUserStatistics reference (-IncludeSkippedItems); Exchange Team blog "
    "'Troubleshooting Cross-Tenant Mailbox Migrations' (Data Consistency Score)",
)

register(AWAITING_APPROVAL, scope="batch")


def awaits_approval(status: str, score: str | None) -> bool:
    """Synced (not completed) with a grade that needs approval before completion."""
    return group(status) == "synced" and (score or "").lower() in NEEDS_APPROVAL


def approval_detail(batch: str, score: str | None, skipped: int | None) -> str:
    """The finding's message: the grade, the count, and what approval can do for it."""
    items = "skipped items" if skipped is None else f"{skipped} skipped item(s)"
    text = f"DataConsistencyScore {score} in batch {batch}, {items}"
    if (score or "").lower() == "poor":
        return text + ": Poor cannot be approved; contact Microsoft Support"
    return text + ": completes once they are approved (Set-MigrationUser -ApproveSkippedItems)"
