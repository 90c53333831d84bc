"""Wait until a new client secret signs in, before any Microsoft service is given it.

Why: Entra refuses a secret for seconds after ``addPassword`` — "I've observed latency from
4-18 seconds" (microsoft-graph-docs #17966, exo-module-protocol.md "Credentials in time") —
with AADSTS7000215, and New-MigrationEndpoint signs in with the credential it is given. So
t2t signs in to the source tenant with the migration app and the new secret, exactly as the
move service will, and hands the secret to Exchange only once Entra accepts it. Any other
refusal (AADSTS700016: the app is not in the source; a tenant that cannot be reached) is not
propagation and fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import time

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed
from t2t.clients import AuthError, ClientSecret
from t2t.clients.auth import sign_in

#: Entra's answer while a new secret propagates: "Invalid client secret provided"
#: (hoppscotch #3868: "With a fresh created secret … AADSTS7000215").
PROPAGATING = frozenset({7000215})

log = logging.getLogger(__name__)


async def wait_for_secret(ctx: ApplyContext, app_id: str, secret: str) -> float:
    """Seconds waited until the migration app signs in to the source with ``secret``;
    ExecutionFailed if Entra refuses it otherwise, or still after the context's delays."""
    if ctx.hosts is None or "source" not in ctx.tenant_ids:
        raise ExecutionFailed("cannot try the new secret: no sign-in host or source tenant")
    hosts, tenant = ctx.hosts, ctx.tenant_ids["source"]
    started = time.monotonic()
    last: AuthError | None = None
    for delay in ctx.secret_wait_delays:
        await asyncio.sleep(delay)
        try:
            await sign_in(hosts, tenant, app_id, ClientSecret(secret), hosts.exchange_resource)
        except AuthError as exc:
            if not PROPAGATING & set(exc.codes):
                raise ExecutionFailed(
                    f"the new secret does not sign in to the source: {exc}"
                ) from exc
            last = exc
            log.info(
                "the new secret of %s is not usable yet (%.0f s): waiting",
                app_id,
                time.monotonic() - started,
            )
            continue
        return time.monotonic() - started
    waited = time.monotonic() - started
    raise ExecutionFailed(
        f"the new secret was still refused after {waited:.0f} s ({last}); Entra usually "
        "accepts a new secret within seconds: run apply again"
    )
