"""A tenant's real t2t clients against the sandbox, for tests that drive them directly: the
admin app's identity, one HttpLayer over the sandbox's CA, the token for the service fetched
before the test's own requests (so the counters the test reads hold only those)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from t2t.clients import HttpLayer, TenantClients, TenantIdentity, connect, sandbox_hosts
from t2t.clients.auth import ClientSecret
from tests.conftest import SandboxHandle

T = TypeVar("T")


def admin_identity(sandbox: SandboxHandle, tenant: str) -> TenantIdentity:
    t = sandbox.tenant(tenant)
    app = t["adminApp"]
    return TenantIdentity(t["tenantId"], app["clientId"], ClientSecret(app["clientSecret"]))


def with_clients(
    sandbox: SandboxHandle,
    tenant: str,
    service: Literal["exchange", "graph"],
    use: Callable[[TenantClients], Awaitable[T]],
) -> T:
    """``use(clients)`` with the tenant's token for ``service`` already in hand."""
    hosts = sandbox_hosts(sandbox.profile)
    resource = hosts.exchange_resource if service == "exchange" else hosts.graph_resource

    async def go() -> T:
        async with HttpLayer(ca_file=hosts.ca_file) as layer:
            clients = connect(layer, hosts, admin_identity(sandbox, tenant))
            try:
                await clients.tokens.token(resource)
                return await use(clients)
            finally:
                clients.tokens.close()

    return asyncio.run(go())
