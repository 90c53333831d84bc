"""Clients of Microsoft's APIs: auth, one HTTP layer, Exchange admin API (Graph and ARM to come)."""

from t2t.clients.auth import (
    AzureIdentity,
    AzureIdentityTokenSource,
    ClientCertificate,
    ClientSecret,
    Credential,
    MsalTokenSource,
)
from t2t.clients.connect import TenantClients, TenantIdentity, connect
from t2t.clients.errors import (
    AuthError,
    ClientError,
    ExchangeError,
    GraphError,
    GraphNotFound,
    ModuleKeyUnavailable,
    NoModuleKey,
    ObjectNotFound,
    PermissionDenied,
    ProfileError,
    SecretUnavailable,
    ServiceError,
    TransportError,
    TruncatedResult,
    WriteForbidden,
)
from t2t.clients.exchange import CmdletResult, ExchangeClient, is_read_cmdlet
from t2t.clients.graph import GraphClient
from t2t.clients.hosts import CLOUDS, GLOBAL, HostSet, load_profile, sandbox_hosts
from t2t.clients.http import HttpLayer
from t2t.clients.secrets import resolve_secret

__all__ = [
    "CLOUDS",
    "GLOBAL",
    "AuthError",
    "AzureIdentity",
    "AzureIdentityTokenSource",
    "ClientCertificate",
    "ClientError",
    "ClientSecret",
    "CmdletResult",
    "Credential",
    "ExchangeClient",
    "ExchangeError",
    "GraphClient",
    "GraphError",
    "GraphNotFound",
    "HostSet",
    "HttpLayer",
    "ModuleKeyUnavailable",
    "MsalTokenSource",
    "NoModuleKey",
    "ObjectNotFound",
    "PermissionDenied",
    "ProfileError",
    "SecretUnavailable",
    "ServiceError",
    "TenantClients",
    "TenantIdentity",
    "TransportError",
    "TruncatedResult",
    "WriteForbidden",
    "connect",
    "is_read_cmdlet",
    "load_profile",
    "resolve_secret",
    "sandbox_hosts",
]
