"""Executor for `endpoint.create` / `endpoint.update` (microsoft-t2t.md §3.6, §3.2).

clientSecret mode: addPassword (displayName = t2t's marker, so the secret is marked as it is
created) → the secret goes straight into `-Credentials` (a PSCredential, encrypted by the
Exchange client under the tenant's module key: wire.py) and is registered for log redaction
the moment it exists; it is never stored or logged.

keyVaultCertificate mode: the certificate's current version is read again from the vault
(`-AppSecretKeyVaultUrl` names it), and Exchange is asked first, with -WhatIf, whether it
accepts it — a key just added to the app is not found by Entra for seconds (propagation.py);
then the write is sent once. No secret is made. Entra refuses a new secret for seconds,
and New-MigrationEndpoint signs in with it: so the secret goes to Exchange only once it signs
in to the source (propagation.py); one that never does is removed, as is one Exchange
refused. Once Exchange has *answered* the write that gave the endpoint the new secret, every
other marker secret of the endpoint is removed (read again then): none can be in use. A lost
answer proves nothing — Exchange may have refused it (the endpoint may exist already while
reads lag) — so nothing is removed then; the plan that follows sees two or more markers on a
working endpoint and gives it a new secret (planner/endpoint.py). So a run killed at any
moment leaves at most the marker secrets the next write removes, and never removes the one in
use. Endpoints are never removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    converged_after,
    read_app,
    resolve_app_id,
    settled,
    verified,
)
from t2t.apply.executors.propagation import wait_for_certificate, wait_for_secret
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, ExchangeClient, GraphClient, TransportError, deadline, wire
from t2t.clients.errors import DeadlineReached
from t2t.logs import register_secret
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.endpoint import (
    EndpointDesire,
    EndpointOutcome,
    marker_keys,
    plan_endpoint,
    requested_end,
    secret_marker,
)
from t2t.planner.shared.key_vault import VaultDesire, usable
from t2t.probes.endpoints import read_endpoints
from t2t.probes.key_vault import read_key_vault, read_vault_certificate
from t2t.state.directory import Application
from t2t.state.exchange import MigrationEndpoint


async def _endpoints(exchange: ExchangeClient, name: str) -> tuple[MigrationEndpoint, ...]:
    fact = await read_endpoints(exchange.reader(), name)
    if fact.status != "present":
        raise ExecutionFailed(f"cannot read the endpoints: {fact.reason}")
    return fact.get()


async def certificate_url(ctx: ApplyContext, vault: VaultDesire) -> str:
    """The vault certificate's current version, read now (what -AppSecretKeyVaultUrl names);
    ExecutionFailed when there is none that Exchange could sign in with."""
    azure = ctx.azure.get("target")
    if azure is None:
        raise ExecutionFailed("no Azure clients for the target tenant")
    reader = azure.reader()
    where = vault.certificate_key
    groups = await read_key_vault(reader, vault.subscription_id, vault.resource_group, vault.name)
    if groups.status != "present":
        raise ExecutionFailed(f"cannot read the vault {vault.name}: {groups.reason}")
    found = next((g.vault for g in groups.get() if g.vault is not None), None)
    if found is None:
        raise ExecutionFailed(f"the vault {vault.name} does not exist")
    certs = await read_vault_certificate(reader, found, vault.certificate_name)
    if certs.status != "present":
        raise ExecutionFailed(f"cannot read the certificate {where}: {certs.reason}")
    current = next((c.current for c in certs.get()), None)
    if current is None or not usable(current, _now()):
        raise ExecutionFailed(f"the certificate {where} has no usable version")
    return current.id


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _plan(
    ctx: ApplyContext, exchange: ExchangeClient, desire: EndpointDesire
) -> tuple[EndpointOutcome, Application | None]:
    endpoints = await _endpoints(exchange, desire.name)
    app = await read_app(ctx, desire.app)
    secrets = app.password_credentials if app is not None else None
    markers = marker_keys(app, desire.name)
    now = _now()  # the secret is checked against today again, as at plan time
    url = await certificate_url(ctx, desire.key_vault) if desire.key_vault else None
    outcome = plan_endpoint(desire, endpoints, markers, secrets, now=now, certificate_url=url)
    return outcome, app


def _new_secret(desire: EndpointDesire) -> dict[str, Any]:
    """addPassword's body: t2t's marker, and an endDateTime when the default lifetime (two
    years) would end before the migration needs the secret (planner/endpoint.py)."""
    credential: dict[str, Any] = {"displayName": secret_marker(desire.name)}
    end = requested_end(desire.secret_needed_until, dt.datetime.now(dt.UTC))
    if end is not None:
        credential["endDateTime"] = end
    return {"passwordCredential": credential}


#: Time given to remove a new secret once the action's own deadline has passed.
CLEANUP_SECONDS = 60.0


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
    with settled(result):
        desire = EndpointDesire.from_dict(action.desired)
        app_id = await resolve_app_id(ctx, desire.app, desire.app_id)
        desire = dataclasses.replace(desire, app_id=app_id)
        outcome, app = await _plan(ctx, exchange, desire)
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
                "POST", f"/applications/{app.object_id}/addPassword", _new_secret(desire)
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
            except DeadlineReached:
                with deadline.within(CLEANUP_SECONDS):  # the action's own deadline has passed
                    await _remove_secrets(graph, app, (new_key,))
                raise
            params["Credentials"] = wire.credential(app_id, secret)
            del secret
        if outcome.needs_certificate:
            waited = await wait_for_certificate(ctx, exchange, pending.cmdlet, params)
        try:
            out = await exchange.invoke(pending.cmdlet, params)
            result.warnings.extend(out.warnings)
            result.request_ids.extend(out.request_ids)
        except ClientError as exc:
            # Exchange answered with an error: the new secret went nowhere, remove it. When the
            # answer was lost (TransportError) Exchange may have acted — and reads lag writes —
            # so the new secret may be the endpoint's: keep it, and every other one; the next
            # plan replaces them all with one the endpoint is known to hold.
            if new_key and app is not None and not isinstance(exc, TransportError):
                await _remove_secrets(graph, app, (new_key,))

            async def answered() -> bool:
                return (await _plan(ctx, exchange, desire))[0].action is None

            result.message = await converged_after(ctx, pending.cmdlet, exc, answered)
            return result
        finally:
            params.pop("Credentials", None)
        stale: tuple[str, ...] = ()
        if new_key and app is not None:
            # Exchange answered the write that gave the endpoint new_key: every other secret
            # t2t made for it (an interrupted earlier run's) is unused and goes now — before
            # the verify, whose re-plan would otherwise ask for a new secret to replace them.
            now = marker_keys(await read_app(ctx, desire.app), desire.name)
            stale = tuple(key for key in now if key != new_key)
            await _remove_secrets(graph, app, stale)

        async def converged() -> bool:
            return (await _plan(ctx, exchange, desire))[0].action is None

        await verified(ctx, converged, f"the endpoint as {pending.cmdlet} set it to show")
        result.message = f"{pending.cmdlet} verified"
        if waited:
            what = "certificate accepted" if outcome.needs_certificate else "new secret usable"
            result.message = f"{what} after {waited:.0f} s; {result.message}"
        if stale:
            result.message += f"; removed {len(stale)} unused t2t secret(s)"
    return result
