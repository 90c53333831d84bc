"""A wave's batches on a replaced endpoint (one that points at the wrong tenant: T2T-E232,
t2t/state/endpoint_chain.py): their unfinished users move to a new batch of the wave on the
endpoint in use.

No batch can be re-pointed: `Set-MigrationBatch` has no `-SourceEndpoint` (its reference lists
Identity, AddUsers, AllowUnknownColumnsInCsv, ApproveSkippedItems, CompleteAfter, CSVData,
MoveOptions, NotificationEmails, Partition, ReportInterval, SkipMerging, SkipMoving,
SkipReports, StartAfter, SyncNow, Update). So:

- a batch none of whose users completed is removed (`Remove-MigrationBatch`: "a migration
  batch that either isn't running or has been completed", its reference) and its users go into
  the wave's next sub-batch, created with `-SourceEndpoint <the endpoint in use>`;
- a batch some of whose users completed keeps them: each unfinished user is removed from it
  (`Remove-MigrationUser`) and added to that sub-batch; a completed user is never touched;
- a batch that is running (syncing, starting, completing, stopping) is left as it is, with a
  notice: Remove-MigrationBatch refuses it, and Stop-MigrationBatch is the administrator's call.

Every step is disruptive (the moves start again), so apply asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.batches.catalogue import group
from t2t.planner.batches.desire import BatchDesire, batch_observed
from t2t.planner.domain import DomainOutcome, action_id
from t2t.state import fingerprint
from t2t.state.exchange import MigrationBatch, MigrationUser

#: Batch statuses in which Remove-MigrationBatch refuses ("isn't running or has been
#: completed": its reference), lower case; Removing is already on its way out.
RUNNING = frozenset(
    {"syncing", "incrementalsyncing", "starting", "completing", "stopping", "waiting"}
)
REMOVING = "removing"
#: What a removal waits for: (action ids, blocking codes).
After = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass
class Moves:
    """What the wave's new sub-batch takes from batches on replaced endpoints."""

    removals: dict[str, str] = field(default_factory=dict)
    """Target address (lower case) → the id of the action that takes it out of its old batch."""
    held: set[str] = field(default_factory=set)
    """Addresses left in a running batch on a replaced endpoint (the notice says why)."""
    batches: set[str] = field(default_factory=set)
    """The wave's batches on replaced endpoints (lower case): their completed users are moved
    mailboxes, in no other wave's batch."""


def leaves(user: MigrationUser) -> bool:
    """A migration user that moves to the endpoint in use: not completed, not being removed."""
    return group(user.status) != "done" and user.status.lower() != REMOVING


def plan_moves(
    batches: list[MigrationBatch],
    by_batch: dict[str, list[MigrationUser]],
    desire: Callable[[str], BatchDesire],
    out: DomainOutcome,
    after: After = ((), ()),
) -> Moves:
    """The removals that free the unfinished users of the wave's `batches` on replaced
    endpoints (module docstring); `desire(name)` is the wave's batch desire on the endpoint
    in use. `after` is (the org-level actions, the codes) a new batch waits for: a removal
    waits for them too (the replacement endpoint first), so no user leaves its batch while
    the one that takes it cannot be created."""
    moves = Moves(batches={b.identity.lower() for b in batches})
    for b in batches:
        users = by_batch.get(b.identity.lower(), [])
        pending = [u for u in users if leaves(u)]
        if b.status.lower() == REMOVING or not pending:
            continue
        d = desire(b.identity)
        if b.status.lower() in RUNNING:
            out.notices.append(
                f"batch {b.identity} is on {b.source_endpoint}, which points at the wrong "
                f"tenant, and is {b.status}: Remove-MigrationBatch removes only a batch that "
                f"isn't running, so its {len(pending)} unfinished user(s) move to "
                f"{d.endpoint} once it has stopped (Stop-MigrationBatch -Identity "
                f"{b.identity}, by hand)."
            )
            moves.held.update(u.identity.lower() for u in pending)
            continue
        if any(group(u.status) == "done" for u in users):
            for u in pending:
                moves.removals[u.identity.lower()] = _remove_user(d, b, u, out, after).id
        else:
            action = _remove_batch(d, b, pending, out, after)
            moves.removals.update((u.identity.lower(), action.id) for u in pending)
    return moves


def _remove_batch(
    d: BatchDesire, b: MigrationBatch, users: list[MigrationUser], out: DomainOutcome, after: After
) -> Action:
    observed = batch_observed(b)
    action = Action(
        id=action_id("target", K.BATCH_REMOVE.name, b.identity),
        tenant="target",
        kind=K.BATCH_REMOVE.name,
        key=b.identity,
        operation="delete",
        cmdlet="Remove-MigrationBatch",
        parameters={"Identity": b.identity},
        changes=(
            Change(field="SourceEndpoint", before=b.source_endpoint, after=None),
            Change(field="Users", before=[u.identity for u in users], after=[]),
        ),
        desired=d.to_dict(),
        observed=observed,
        fingerprint=fingerprint(observed),
        depends_on=after[0],
        blocked_by=after[1],
        risk="disruptive",
        summary=f"remove batch {b.identity} ({b.status}; none of its {len(users)} user(s) "
        f"completed): its endpoint {b.source_endpoint} points at the wrong tenant, so they "
        f"move to a new batch on {d.endpoint}",
        unverified=("WIRE-4",),
    )
    out.actions.append(action)
    return action


def remove_user_action(
    d: BatchDesire, b: MigrationBatch, u: MigrationUser, summary: str, after: After = ((), ())
) -> Action:
    """Remove-MigrationUser of `u` from batch `b` (disruptive: the wave's next sub-batch takes
    it): for a failure Microsoft fixes by removal (T2T-W411) and for an unfinished user of a
    batch on a replaced endpoint."""
    observed = {"Identity": u.identity, "BatchId": b.identity, "Status": u.status, "Error": u.error}
    return Action(
        id=action_id("target", K.BATCH_REMOVE_USER.name, u.identity.lower()),
        tenant="target",
        kind=K.BATCH_REMOVE_USER.name,
        key=u.identity,
        operation="delete",
        cmdlet="Remove-MigrationUser",
        parameters={"Identity": u.identity},
        changes=(Change(field="BatchId", before=b.identity, after=None),),
        desired=d.to_dict(),
        observed=observed,
        fingerprint=fingerprint(observed),
        depends_on=after[0],
        blocked_by=after[1],
        risk="disruptive",
        summary=summary,
    )


def _remove_user(
    d: BatchDesire, b: MigrationBatch, u: MigrationUser, out: DomainOutcome, after: After
) -> Action:
    action = remove_user_action(
        d,
        b,
        u,
        f"remove migration user {u.identity} ({u.status}) from batch {b.identity}: its "
        f"endpoint {b.source_endpoint} points at the wrong tenant, so the user moves to a new "
        f"batch on {d.endpoint} (the batch's completed users stay)",
        after,
    )
    out.actions.append(action)
    return action
