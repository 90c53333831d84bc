"""Executors for `user.usage_location` and `license.assign` (Graph, through `$batch`).

The licence executor re-checks, right before assigning, that the target MailUser carries the
source's ExchangeGuid: a licence on a MailUser without it provisions a fresh mailbox and the
move fails for good ("already has a primary mailbox", microsoft-t2t.md §4).

Licensing is asynchronous: Graph lists the licence at once, but Exchange reacts only once its
plans have provisioned (``provisionedPlans[].provisioningStatus`` PendingInput → Success;
typically under 30 minutes, up to 24 hours — Learn, "Delays in provisioning of user/mailbox or
synchronizing changes in Exchange Online"). Only then does licensing scrub proxies outside
accepted domains and does the T2T licence become the ExchangeT2TMbxMove capability the move
service checks ([LEARN-24]). So, once the licences are visible, the executor reads the
provisioning state: provisioned → it re-reads the proxies and re-stamps what the scrub took;
still provisioning → the action is done (the licences are assigned) with a warning, the
address is noted in the context so that batch.create holds its batch in this run, and the
next plan holds it (T2T-E320) until Exchange has provisioned, re-stamping then as needed.

The Entra user of a MailUser this run created may answer 404 to PATCH and assignLicense while
it replicates (replication.py): those are sent again; a lost answer is re-read, never re-sent.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    Write,
    converge,
    settled,
)
from t2t.apply.executors.mailuser import identity_replan
from t2t.apply.executors.registry import executes
from t2t.apply.executors.replication import graph_not_replicated, planned_absent, send_replicated
from t2t.apply.graph_batch import GraphBatcher
from t2t.apply.result import ActionResult
from t2t.apply.waiting import wait_for
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.mailboxes import MailboxDesire, assign_body, missing_skus, usage_location_body
from t2t.probes import directory_objects as dirobj
from t2t.state.directory import DirectoryUser


def _path(upn_or_id: str) -> str:
    return "/users/" + quote(upn_or_id, safe="@")


async def read_user(batch: GraphBatcher, upn_or_id: str) -> DirectoryUser | None:
    """One user by id or UPN, read now in the tenant's `$batch` (merged there with the other
    user reads it carries: graph_batch.py)."""
    body = await batch.read_user(upn_or_id, dirobj.USER_SELECT)
    return None if body is None else dirobj.parse_user(body)


async def _present(batch: GraphBatcher, user_id: str) -> bool:
    return await read_user(batch, user_id) is not None


async def _user(batch: GraphBatcher, d: MailboxDesire, ctx: ApplyContext) -> DirectoryUser:
    """The target user; New-MailUser made it moments ago, and Graph reads may lag (waited
    out until the action's deadline)."""
    upn = str(d.upn)
    found: list[DirectoryUser] = []

    async def visible() -> bool:
        user = await read_user(batch, upn)
        if user is not None:
            found.append(user)
        return user is not None

    await wait_for(ctx, visible, f"the target user {upn} to appear in Graph")
    return found[0]


@executes(K.USER_USAGE_LOCATION)
async def run_usage_location(action: Action, ctx: ApplyContext) -> ActionResult:
    d = MailboxDesire.from_dict(action.desired)
    batch = ctx.graph_batch(action.tenant)

    async def replan() -> Write | None:
        user = await _user(batch, d, ctx)
        body = usage_location_body(d, user)
        if body is None:
            return None
        return Write(
            f"usageLocation {body['usageLocation']}",
            lambda: _send(ctx, action, batch, user.id, "PATCH", _path(user.id), body),
        )

    return await converge(action, ctx, replan)


async def _send(
    ctx: ApplyContext,
    action: Action,
    batch: GraphBatcher,
    user_id: str,
    method: str,
    path: str,
    body: dict[str, object],
) -> None:
    """A Graph write to the user, sent again while its Entra user replicates."""
    await send_replicated(
        ctx,
        lambda: batch.call(method, path, body),
        not_replicated=graph_not_replicated,
        fresh=planned_absent(action),
        present=lambda: _present(batch, user_id),
    )


@executes(K.LICENSE_ASSIGN)
async def run_license(action: Action, ctx: ApplyContext) -> ActionResult:
    d = MailboxDesire.from_dict(action.desired)
    batch = ctx.graph_batch(action.tenant)
    reads = ctx.recipient_reads(action.tenant)
    seen: list[DirectoryUser] = []  # the user as the last re-plan read it

    async def replan() -> Write | None:
        user = await _user(batch, d, ctx)
        seen[:] = [user]
        add = missing_skus(d, user)
        if not add:
            return None
        current = await reads.read(d.target)
        if current is None or current.exchange_guid != d.exchange_guid:
            have = current.exchange_guid if current is not None else "no target object"
            raise ExecutionFailed(
                f"licence withheld: the target's ExchangeGuid is {have}, not the source's "
                f"{d.exchange_guid} (a licence now would provision a fresh mailbox)"
            )
        if current.is_mailbox:
            raise ExecutionFailed(f"licence withheld: {d.target} is already a mailbox")
        if not user.usage_location:
            raise ExecutionFailed("licence withheld: the user has no usageLocation")
        path = f"{_path(user.id)}/assignLicense"
        return Write(
            "assignLicense",
            lambda: _send(ctx, action, batch, user.id, "POST", path, assign_body(add)),
        )

    result = await converge(action, ctx, replan)
    if result.status != "done":
        return result
    with settled(result):
        await _after_assignment(action, ctx, d, result, seen[0])
    return result


async def _after_assignment(
    action: Action, ctx: ApplyContext, d: MailboxDesire, result: ActionResult, user: DirectoryUser
) -> None:
    """Licences visible (``user``: the read that verified them, its provisioning state the
    first look): wait (briefly) for Exchange to provision them, then re-stamp what licensing
    scrubbed; still provisioning: hold the batch in this run (T2T-E320)."""
    batch = ctx.graph_batch(action.tenant)
    pending = user.exchange_provisioning
    for delay in ctx.licence_provisioning_delays:
        if not pending:
            break
        await asyncio.sleep(delay)
        now = await read_user(batch, user.id)
        pending = now.exchange_provisioning if now is not None else pending
    if pending:
        ctx.licences_provisioning[d.target.lower()] = pending
        result.message = "licences verified; Exchange is still provisioning them"
        result.warnings.append(
            f"Exchange has not provisioned the licences yet ({', '.join(sorted(set(pending)))}"
            "): its batch waits (T2T-E320); any address licensing removes is stamped "
            "again on a later run"
        )
        return
    # Provisioned: licensing has scrubbed proxies outside accepted domains — re-read,
    # re-stamp what went.
    replan = identity_replan(ctx, action.tenant, d, fresh=planned_absent(action))
    restamped = await converge(action, ctx, replan)
    if restamped.status in ("failed", "unknown"):
        # settled() already said how the re-stamp ended, and why: the licence ends so too
        # (raised again, "run again" would be said twice)
        result.status, result.message = restamped.status, restamped.message
        return
    result.message = "licences verified and provisioned"
    if restamped.status == "done":
        result.warnings.append("licensing removed stamped addresses; stamped them again")
