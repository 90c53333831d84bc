"""Wait until a new credential signs in, before any Microsoft service is given it.

Why: Entra refuses a secret for seconds after ``addPassword`` — "I've observed latency from
4-18 seconds" (microsoft-graph-docs #17966, exo-module-protocol.md "Credentials in time") —
with AADSTS7000215, and New-MigrationEndpoint signs in with the credential it is given. So
t2t signs in to the source tenant with the migration app and the new secret, exactly as the
move service will, and hands the secret to Exchange only once Entra accepts it. Any other
refusal (AADSTS700016: the app is not in the source; a tenant that cannot be reached) is not
propagation and fails at once.

The Key Vault certificate is the same case with one difference: t2t never holds its private key
(Exchange Online reads it from the vault), so it cannot sign in with it. Exchange can: the very
endpoint write, sent with -WhatIf, has Exchange check the certificate as the move will without
changing anything, and a key Entra does not find yet (AADSTS700027 "The key was not found",
AADSTS700024 outside its valid time) is waited out before the write is sent for real.
"""

from __future__ import annotations

import re
from typing import Any

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed
from t2t.apply.waiting import wait_for
from t2t.clients import AuthError, ClientError, ClientSecret, ExchangeClient
from t2t.clients.auth import sign_in

#: Entra's answer while a new secret propagates: "Invalid client secret provided"
#: (hoppscotch #3868: "With a fresh created secret … AADSTS7000215").
PROPAGATING = frozenset({7000215})


async def wait_for_secret(ctx: ApplyContext, app_id: str, secret: str) -> float:
    """Seconds waited until the migration app signs in to the source with ``secret``;
    ExecutionFailed if Entra refuses it otherwise; DeadlineReached if it is still refused at
    the action's deadline (on the context's secret schedule, waiting.py)."""
    if ctx.hosts is None or "source" not in ctx.tenant_ids:
        raise ExecutionFailed("cannot try the new secret: no sign-in host or source tenant")
    hosts, tenant = ctx.hosts, ctx.tenant_ids["source"]

    async def signs_in() -> bool:
        try:
            await sign_in(hosts, tenant, app_id, ClientSecret(secret), hosts.exchange_resource)
        except AuthError as exc:
            if not PROPAGATING & set(exc.codes):
                raise ExecutionFailed(
                    f"the new secret does not sign in to the source: {exc}"
                ) from exc
            return False
        return True

    return await wait_for(
        ctx,
        signs_in,
        f"the new secret of {app_id} to sign in to the source",
        schedule=ctx.secret_wait_delays,
    )


#: Entra's answers while a new key credential propagates, as Exchange reports them: the key is
#: not found yet (AADSTS700027 "The certificate with identifier used to sign the client
#: assertion is not registered on application. [Reason - The key was not found.]", Microsoft
#: Q&A "AADSTS700027 error") or not valid yet (AADSTS700024). A key Entra finds but that has
#: ended (AADSTS700027 "[Reason - The key used is expired.]", microsoft/azure-tools-for-java
#: #2785) will never become usable: that refusal fails at once.
KEY_PROPAGATING = re.compile(r"AADSTS700024\b|AADSTS700027\b.*?The key was not found", re.S)


async def wait_for_certificate(
    ctx: ApplyContext, exchange: ExchangeClient, cmdlet: str, params: dict[str, Any]
) -> float:
    """Seconds waited until Exchange accepts the endpoint write ``cmdlet`` with ``params``
    (the vault certificate in -AppSecretKeyVaultUrl) under -WhatIf; ExecutionFailed on any
    other refusal; DeadlineReached if Entra still does not find the key at the deadline."""

    async def accepted() -> bool:
        try:
            await exchange.invoke(cmdlet, {**params, "WhatIf": True})
        except ClientError as exc:
            if KEY_PROPAGATING.search(str(exc)) is None:
                raise ExecutionFailed(f"{cmdlet} -WhatIf refused the certificate: {exc}") from exc
            return False
        return True

    return await wait_for(
        ctx,
        accepted,
        f"Exchange to accept the certificate in {params.get('AppSecretKeyVaultUrl')}",
        schedule=ctx.secret_wait_delays,
    )
