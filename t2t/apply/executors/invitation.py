"""Executor for `invitation.send`: one B2B invitation from t2t's target identity (never the
migration app), skipped when a guest for the address already exists."""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, failure_message, resolve_app_id, verified
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, GraphClient
from t2t.clients.odata import eq
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.invitation import InvitationDesire, guest_for, invitation_body
from t2t.probes import directory_objects as d
from t2t.probes.readers import graph_fact


async def _guest_exists(graph: GraphClient, address: str) -> bool:
    fact = await graph_fact(
        graph.reader(),
        "/users",
        {"$filter": eq("mail", address), "$select": d.USER_SELECT},
        d.parse_user,
    )
    if fact.status != "present":
        raise ExecutionFailed(f"cannot re-read guests: {fact.reason}")
    return guest_for(address, fact.get()) is not None


@executes(K.INVITATION_SEND)
async def run_invitation(action: Action, ctx: ApplyContext) -> ActionResult:
    desire = InvitationDesire.from_dict(action.desired)
    graph = ctx.graph["target"]
    result = ActionResult(id=action.id, status="done")
    try:
        if await _guest_exists(graph, desire.address):
            result.status, result.message = "noop", "the guest exists (invited before)"
            return result
        app_id = await resolve_app_id(ctx, desire.app, desire.app_id)
        await graph.write("POST", "/invitations", invitation_body(desire, app_id))

        async def invited() -> bool:
            return await _guest_exists(graph, desire.address)

        if not await verified(ctx, invited):
            raise ExecutionFailed("the invitation was sent but the guest is not visible")
        result.message = f"invited {desire.address}"
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)
    return result
