"""A move already holding the source mailbox (T2T-E330). Pure.

Why a check of its own: Learn lists the failure — "SourceMailboxAlreadyBeingMovedPermanentException:
The source mailbox already has an existing move request. Investigate and remove the existing
move. It is possible that this is an internal Microsoft move and you will need to wait for the
move to complete. … Add user to new batch after the original move has been removed or
completed" (Cross-tenant mailbox migration, "Migration Failures"). A move an administrator
started (an onboarding or offboarding move, another cross-tenant move) is listed by the source's
Get-MoveRequest (Learn FAQ "How can I see just moves that are cross-tenant moves, not my
onboarding and off-boarding moves?"), so it is caught before the batch; an internal Microsoft
move is not visible to the tenant and is handled after the fact (T2T-W411: remove and re-add).
"""

from __future__ import annotations

from t2t.planner.checks import CheckDef, check
from t2t.planner.mailboxes.source import SourceMailbox

_LEARN = (
    "Learn, Cross-tenant mailbox migration, 'Migration Failures' "
    "(SourceMailboxAlreadyBeingMovedPermanentException: 'The source mailbox already has an "
    "existing move request … Add user to new batch after the original move has been removed "
    "or completed', https://learn.microsoft.com/microsoft-365/enterprise/"
    "cross-tenant-mailbox-migration#migration-failures) and FAQ 'How can I see just moves that "
    "are cross-tenant moves, not my onboarding and off-boarding moves?' (Get-MoveRequest lists "
    "every kind); Get-MoveRequest and Remove-MoveRequest references"
)


@check(
    CheckDef(
        "T2T-E330",
        "source-move-in-progress",
        "error",
        "The source mailbox already has a move request that has not completed (Get-MoveRequest)",
        "SourceMailboxAlreadyBeingMovedPermanentException: the source mailbox already has an "
        "existing move request",
        "Wait for the move of this mailbox to complete, or remove it in the source "
        "(Remove-MoveRequest <identity>), then plan again. A move Microsoft runs internally is "
        "not visible: if the batch fails with this exception anyway, t2t removes and re-adds "
        "the user on the next apply (T2T-W411).",
        _LEARN,
    ),
    scope="mailbox",
    tenant="source",
)
def move_in_progress(m: SourceMailbox) -> str | None:
    open_moves = [r for r in m.move_requests if not r.ended]
    if not open_moves:
        return None
    return "; ".join(
        f"Get-MoveRequest {r.identity}: Status {r.status}"
        + (f", Flags {r.flags}" if r.flags else "")
        + (f", BatchName {r.batch_name}" if r.batch_name else "")
        for r in open_moves
    )
