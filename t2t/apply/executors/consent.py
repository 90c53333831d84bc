"""Executor for `consent.grant` (and `consent.await`, the manual gate).

Consent = the app's service principal (created first, `POST /servicePrincipals {"appId"}`) holds
Mailbox.Migration on Exchange Online's service principal (`POST …/appRoleAssignedTo`); in the
source the service principal's owner is the target tenant (microsoft-t2t.md §3.3).
"""

from __future__ import annotations

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    lost_answer,
    resolve_app_id,
    settled,
    verified,
)
from t2t.apply.executors.registry import executes
from t2t.apply.executors.replication import graph_not_replicated, send_replicated
from t2t.apply.result import ActionResult
from t2t.apply.waiting import reread
from t2t.clients import ClientError, GraphClient, TransportError
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.shared.app import EXCHANGE_APP_ID
from t2t.planner.shared.consent import ConsentDesire, ConsentState, consent_state
from t2t.probes.migration_app import read_assignments, read_service_principals


async def _state(graph: GraphClient, desire: ConsentDesire, app_id: str) -> ConsentState:
    reader = graph.reader()
    sps = await read_service_principals(reader, [app_id, EXCHANGE_APP_ID])
    assignments = await read_assignments(reader, sps, app_id)
    if sps.status != "present" or assignments.status != "present":
        raise ExecutionFailed(f"cannot re-read consent: {sps.reason or assignments.reason}")
    return consent_state(desire, app_id, sps.get(), assignments.get())


async def _create_sp(
    ctx: ApplyContext, graph: GraphClient, desire: ConsentDesire, app_id: str
) -> str:
    """``POST /servicePrincipals``; after a lost answer or a refusal, the one that exists now
    (re-read while reads lag), never a second POST; a lost answer that does not show: unknown."""
    try:
        created = await graph.write("POST", "/servicePrincipals", {"appId": app_id})
    except ClientError as exc:
        found: list[str] = []

        async def present() -> bool:
            sp = (await _state(graph, desire, app_id)).app_sp
            if sp is not None:
                found.append(sp.id)
            return sp is not None

        lost = isinstance(exc, TransportError)
        if not (await reread(ctx, present) if lost else await present()):
            if lost:
                raise lost_answer("POST /servicePrincipals", exc, ctx) from exc
            raise
        return found[0]
    return str((created or {}).get("id") or "")


@executes(K.CONSENT_GRANT, K.CONSENT_AWAIT)
async def run_consent(action: Action, ctx: ApplyContext) -> ActionResult:
    desire = ConsentDesire.from_dict(action.desired)
    graph = ctx.graph[action.tenant]
    result = ActionResult(id=action.id, status="done")
    with settled(result):
        app_id = await resolve_app_id(ctx, desire.app, desire.app.app_id)
        state = await _state(graph, desire, app_id)
        if state.status == "granted":
            result.status, result.message = "noop", "already consented"
            return result
        if state.status == "wrong-owner":
            raise ExecutionFailed("blocked by T2T-E213 (service principal of another owner)")
        if action.kind == K.CONSENT_AWAIT.name:
            result.status = "blocked"
            result.message = "waiting for a person: " + str(action.parameters.get("url", ""))
            return result
        sp = state.app_sp
        fresh = sp is None  # made here: writes naming it may meet replication
        if sp is None:
            sp_id = await _create_sp(ctx, graph, desire, app_id)
        else:
            sp_id = sp.id
        exo = state.exchange_sp
        if exo is None:
            raise ExecutionFailed(
                f"Exchange Online's service principal ({EXCHANGE_APP_ID}) is not in the "
                f"{action.tenant} tenant"
            )
        body = {"principalId": sp_id, "resourceId": exo.id, "appRoleId": desire.app.role_id}

        async def granted() -> bool:
            return (await _state(graph, desire, app_id)).status == "granted"

        async def sp_present() -> bool:
            return (await _state(graph, desire, app_id)).app_sp is not None

        try:
            await send_replicated(
                ctx,
                lambda: graph.write("POST", f"/servicePrincipals/{exo.id}/appRoleAssignedTo", body),
                not_replicated=graph_not_replicated,
                fresh=fresh,
                present=sp_present,
            )
        except TransportError as exc:
            # The answer was lost: the grant may exist. Re-read, never grant twice.
            if not await reread(ctx, granted):
                raise lost_answer("appRoleAssignedTo", exc, ctx) from None
        except ClientError:
            if not await granted():  # granted meanwhile (another run)? else the real answer
                raise
        await verified(ctx, granted, "the Mailbox.Migration assignment to show")
        result.message = f"Mailbox.Migration granted to {app_id} in the {action.tenant} tenant"
    return result
