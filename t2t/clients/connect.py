"""Build the clients of one tenant from its identity and the host set."""

from __future__ import annotations

from dataclasses import dataclass, field

from t2t.clients.auth import (
    AzureIdentity,
    AzureIdentityTokenSource,
    Credential,
    MsalTokenSource,
    TokenSource,
)
from t2t.clients.azure import AzureClients
from t2t.clients.exchange import ExchangeClient
from t2t.clients.graph import GraphClient
from t2t.clients.hosts import HostSet
from t2t.clients.http import HttpLayer
from t2t.clients.interactive import DeviceCode, DeviceCodeTokenSource


@dataclass(frozen=True)
class TenantIdentity:
    """Who t2t is in one tenant: its own admin app (never the migration app)."""

    tenant_id: str
    client_id: str | None
    credential: Credential | DeviceCode


@dataclass
class TenantClients:
    """Every client of one tenant, sharing one token source."""

    tenant_id: str
    tokens: TokenSource
    exchange: ExchangeClient
    graph: GraphClient
    azure: AzureClients | None = field(default=None)
    """Azure Resource Manager and Key Vault (keyVaultCertificate mode): built on first use,
    with their own azure-identity credential for the same identity."""

    def close(self) -> None:
        self.tokens.close()
        if self.azure is not None:
            self.azure.close()


def connect(http: HttpLayer, hosts: HostSet, identity: TenantIdentity) -> TenantClients:
    tokens: TokenSource
    if isinstance(identity.credential, DeviceCode):
        tokens = DeviceCodeTokenSource(identity.tenant_id, identity.credential, hosts)
    elif isinstance(identity.credential, AzureIdentity):
        tokens = AzureIdentityTokenSource(
            identity.tenant_id, identity.client_id, identity.credential.mode, hosts
        )
    elif identity.client_id is None:
        raise ValueError("a client id is required for a secret or certificate")
    else:
        tokens = MsalTokenSource(identity.tenant_id, identity.client_id, identity.credential, hosts)
    exchange = ExchangeClient(
        http,
        base_url=hosts.exchange,
        tenant=identity.tenant_id,
        tokens=tokens,
        resource=hosts.exchange_resource,
        login=hosts.login,
    )
    graph = GraphClient(
        http,
        base_url=hosts.graph,
        tenant=identity.tenant_id,
        tokens=tokens,
        resource=hosts.graph_resource,
    )
    # Nothing connects until a Key Vault part or step; a person's sign-in reaches no Azure (the
    # spec refuses interactive with keyVaultCertificate).
    azure = None if isinstance(identity.credential, DeviceCode) else AzureClients(identity, hosts)
    return TenantClients(identity.tenant_id, tokens, exchange, graph, azure)
