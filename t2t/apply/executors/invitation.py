"""Executor for `invitation.send`: one B2B invitation from t2t's target identity (never the
migration app), skipped when a guest for the address already exists."""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Write, converge, resolve_app_id
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import GraphClient
from t2t.clients.odata import eq, starts_with
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.invitation import (
    InvitationDesire,
    guest_for,
    guest_upn_prefix,
    invitation_body,
)
from t2t.probes import directory_objects as d
from t2t.probes.readers import graph_fact


async def _guest_exists(graph: GraphClient, address: str) -> bool:
    """Re-read the guests the planner would count (`guest_for`: the mail, or the UPN an
    invitation gives): both in one filter, so a guest whose mail changed is found again."""
    found_by = (
        f"{eq('mail', address)} or {starts_with('userPrincipalName', guest_upn_prefix(address))}"
    )
    fact = await graph_fact(
        graph.reader(), "/users", {"$filter": found_by, "$select": d.USER_SELECT}, d.parse_user
    )
    if fact.status != "present":
        raise ExecutionFailed(f"cannot re-read guests: {fact.reason}")
    return guest_for(address, fact.get()) is not None


@executes(K.INVITATION_SEND)
async def run_invitation(action: Action, ctx: ApplyContext) -> ActionResult:
    desire = InvitationDesire.from_dict(action.desired)
    graph = ctx.graph["target"]

    async def replan() -> Write | None:
        if await _guest_exists(graph, desire.address):
            return None
        app_id = await resolve_app_id(ctx, desire.app, desire.app_id)

        async def send() -> None:
            await graph.write("POST", "/invitations", invitation_body(desire, app_id))

        return Write(f"the invitation of {desire.address}", send)

    return await converge(action, ctx, replan)
