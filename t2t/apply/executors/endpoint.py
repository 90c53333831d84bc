"""Executor for `endpoint.create` / `endpoint.update` (microsoft-t2t.md §3.6, §3.2).

clientSecret mode: addPassword (displayName = t2t's marker) → the secret goes straight into
`-Credentials` (a PSCredential, encrypted by the Exchange client under the tenant's module
key: wire.py) and is registered for log redaction the moment it exists; it is never stored
or logged. Entra refuses a new secret for seconds, and New-MigrationEndpoint signs in with
it: so the secret goes to Exchange only once it signs in to the source (propagation.py); one
that never does is removed. Before creating one, the marker secrets that no endpoint can be
using (the endpoint is absent or names another app) are removed: they are what a crash
between addPassword and New-MigrationEndpoint left behind. If the write fails and the
endpoint still does not use the app, the new secret is removed too. Endpoints are never
removed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    failure_message,
    read_app,
    resolve_app_id,
    verified,
)
from t2t.apply.executors.propagation import wait_for_secret
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, ExchangeClient, GraphClient, TransportError, wire
from t2t.logs import register_secret
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.endpoint import EndpointDesire, EndpointOutcome, plan_endpoint, secret_marker
from t2t.probes.endpoints import read_endpoints
from t2t.state.directory import Application
from t2t.state.exchange import MigrationEndpoint


async def _endpoints(exchange: ExchangeClient, name: str) -> tuple[MigrationEndpoint, ...]:
    fact = await read_endpoints(exchange.reader(), name)
    if fact.status != "present":
        raise ExecutionFailed(f"cannot read the endpoints: {fact.reason}")
    return fact.get()


def _uses_app(endpoints: tuple[MigrationEndpoint, ...], desire: EndpointDesire) -> bool:
    """The endpoint names this app and its credential is not refused: its secret is in use."""
    return any(
        e.identity.lower() == desire.name.lower()
        and (e.application_id or "").lower() == (desire.app_id or "")
        and e.credential_refused is None
        for e in endpoints
    )


def _markers(app: Application | None, desire: EndpointDesire) -> tuple[str, ...]:
    if app is None:
        return ()
    marker = secret_marker(desire.name)
    return tuple(p.key_id for p in app.password_credentials if p.display_name == marker)


async def _plan(
    ctx: ApplyContext, exchange: ExchangeClient, desire: EndpointDesire
) -> tuple[EndpointOutcome, Application | None, tuple[str, ...]]:
    endpoints = await _endpoints(exchange, desire.name)
    app = await read_app(ctx, desire.app)
    unused = () if _uses_app(endpoints, desire) else _markers(app, desire)
    return plan_endpoint(desire, endpoints, unused), app, unused


async def _remove_secrets(graph: GraphClient, app: Application, key_ids: tuple[str, ...]) -> None:
    for key_id in key_ids:
        await graph.write(
            "POST", f"/applications/{app.object_id}/removePassword", {"keyId": key_id}
        )


@executes(K.ENDPOINT_CREATE, K.ENDPOINT_UPDATE)
async def run_endpoint(action: Action, ctx: ApplyContext) -> ActionResult:
    exchange = ctx.exchange["target"]
    graph = ctx.graph["target"]
    result = ActionResult(id=action.id, status="done")
    try:
        desire = EndpointDesire.from_dict(action.desired)
        app_id = await resolve_app_id(ctx, desire.app, desire.app_id)
        desire = dataclasses.replace(desire, app_id=app_id)
        outcome, app, unused = await _plan(ctx, exchange, desire)
        pending = outcome.action
        if pending is None:
            result.status, result.message = "noop", "already as desired"
            return result
        if pending.blocked:
            raise ExecutionFailed(f"blocked by {', '.join(pending.blocked_by)}")
        params: dict[str, Any] = dict(pending.parameters)
        if "ApplicationId" in params:
            params["ApplicationId"] = app_id
        new_key: str | None = None
        waited = 0.0
        if outcome.needs_secret:
            if app is None:
                raise ExecutionFailed("the migration app is not readable in the target")
            created = await graph.write(
                "POST",
                f"/applications/{app.object_id}/addPassword",
                {"passwordCredential": {"displayName": secret_marker(desire.name)}},
            )
            secret = str((created or {}).get("secretText") or "")
            if not secret:
                raise ExecutionFailed("addPassword returned no secretText")
            register_secret(secret)
            new_key = str((created or {}).get("keyId") or "")
            try:
                waited = await wait_for_secret(ctx, app_id, secret)
            except ExecutionFailed:
                await _remove_secrets(graph, app, (new_key,))
                raise
            params["Credentials"] = wire.credential(app_id, secret)
            del secret
        try:
            out = await exchange.invoke(pending.cmdlet, params)
            result.warnings.extend(out.warnings)
            result.request_ids.extend(out.request_ids)
        except ClientError as exc:
            # Exchange answered with an error: the new secret went nowhere, remove it. When the
            # answer was lost (TransportError) Exchange may have acted — and reads lag writes —
            # so the new secret may be the endpoint's: keep it; a verified endpoint write
            # later tells which secret is in use (below).
            if new_key and app is not None and not isinstance(exc, TransportError):
                await _remove_secrets(graph, app, (new_key,))
            if (await _plan(ctx, exchange, desire))[0].action is None:
                result.message = f"already converged after {exc}"
                return result
            raise ExecutionFailed(str(exc)) from exc
        finally:
            params.pop("Credentials", None)

        async def converged() -> bool:
            return (await _plan(ctx, exchange, desire))[0].action is None

        if not await verified(ctx, converged):
            raise ExecutionFailed(f"{pending.cmdlet} returned but the endpoint is not as desired")
        result.message = f"{pending.cmdlet} verified"
        if waited:
            result.message = f"new secret usable after {waited:.0f} s; {result.message}"
        if new_key and app is not None:
            # The endpoint verifiably holds new_key: every other secret t2t made for this
            # endpoint (a crashed earlier run's) is unused and is removed now.
            stale = [key for key in unused if key != new_key]
            if stale:
                await _remove_secrets(graph, app, tuple(stale))
                result.message += f"; removed {len(stale)} unused t2t secret(s)"
    except (ExecutionFailed, ClientError) as exc:
        result.status, result.message = "failed", failure_message(exc)
    return result
