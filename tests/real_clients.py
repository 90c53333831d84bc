"""A tenant's real t2t clients against the sandbox, for tests that drive them directly: the
admin app's identity, one HttpLayer over the sandbox's CA, the token for the service fetched
before the test's own requests (so the counters the test reads hold only those)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from t2t.clients import HttpLayer, TenantClients, TenantIdentity, connect, sandbox_hosts
from t2t.clients.auth import ClientSecret

if TYPE_CHECKING:  # not at run time: tests/bench/bench_probe.py measures its own memory
    from tests.conftest import SandboxHandle

T = TypeVar("T")


def identity_of(
    tenant: dict[str, Any], client_id: str | None = None, *, secret: str | None = None
) -> TenantIdentity:
    """One app of a profile's tenant entry: its admin app, or the seeded client ``client_id``;
    ``secret`` in place of the app's own (a wrong secret)."""
    app = tenant["adminApp"]
    if client_id is not None:
        app = next(c for c in tenant["clients"] if c["clientId"] == client_id)
    key = app["clientSecret"] if secret is None else secret
    return TenantIdentity(tenant["tenantId"], app["clientId"], ClientSecret(key))


def admin_identity(
    sandbox: SandboxHandle, tenant: str, *, secret: str | None = None
) -> TenantIdentity:
    """The sandbox tenant's admin app, as t2t signs in with it."""
    return identity_of(sandbox.tenant(tenant), secret=secret)


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
