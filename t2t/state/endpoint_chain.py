"""Which migration endpoint a spec's `relationship.endpoint.name` stands for, without a state
file: the spec's name, or the replacement t2t made for it under a derived name.

Why a replacement: an endpoint's RemoteTenant is fixed when it is created —
`Set-MigrationEndpoint` has no `-RemoteTenant` parameter (its reference lists Identity,
AcceptUntrustedCertificates, ApplicationId, AppSecretKeyVaultUrl, Authentication, Credentials,
… SkipVerification, TestMailbox: learn.microsoft.com/powershell/module/exchangepowershell/
set-migrationendpoint) while `New-MigrationEndpoint -RemoteTenant` sets it (its reference) —
and endpoint names are unique (New-MigrationEndpoint refuses a second one), so an endpoint
pointing at the wrong tenant is replaced by a new one under another name.

The names, deterministic: the spec's `<name>`, then `<name>-2`, `<name>-3`, … An ExchangeRemoteMove
endpoint of that chain whose RemoteTenant is not the source domain is *replaced*. The endpoint
in use is the first of the chain that exists and is not replaced (it may have been created by
hand, or the spec's own one was removed with --allow-destroy after its replacement); when none
exists, the first name after the last replaced one (the spec's own name when none is). So the
next plan finds the replacement again by the same rule, and an endpoint named otherwise is
never taken for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from t2t.state.exchange import MigrationEndpoint

ENDPOINT_TYPE = "ExchangeRemoteMove"


def chain_index(name: str, candidate: str) -> int | None:
    """1 for the spec's name, N for `<name>-N` (N ≥ 2), None for any other endpoint."""
    if candidate.lower() == name.lower():
        return 1
    m = re.fullmatch(re.escape(name.lower()) + r"-([2-9]|[1-9]\d+)", candidate.lower())
    return int(m.group(1)) if m else None


def chain_name(name: str, index: int) -> str:
    return name if index == 1 else f"{name}-{index}"


def is_replaced(endpoint: MigrationEndpoint, remote_tenant: str) -> bool:
    """A cross-tenant endpoint whose RemoteTenant is not the source domain (T2T-E232)."""
    return (
        endpoint.endpoint_type.lower() == ENDPOINT_TYPE.lower()
        and (endpoint.remote_tenant or "").lower() != remote_tenant.lower()
    )


@dataclass(frozen=True)
class EndpointChain:
    in_use: str
    """The endpoint name batches use and the endpoint domain plans (it may not exist yet)."""
    replaced: tuple[MigrationEndpoint, ...]
    """The chain's endpoints that point at the wrong tenant, in chain order."""

    @property
    def replaced_names(self) -> frozenset[str]:
        return frozenset(e.identity.lower() for e in self.replaced)


def endpoint_chain(
    endpoints: tuple[MigrationEndpoint, ...], name: str, remote_tenant: str
) -> EndpointChain:
    """The endpoint in use for the spec's `name` and the ones it replaces (module docstring)."""
    chain = sorted(
        ((i, e) for e in endpoints if (i := chain_index(name, e.identity)) is not None),
        key=lambda p: p[0],
    )
    replaced = tuple(e for _, e in chain if is_replaced(e, remote_tenant))
    usable = next((e for _, e in chain if not is_replaced(e, remote_tenant)), None)
    if usable is not None:
        return EndpointChain(in_use=usable.identity, replaced=replaced)
    last = max((i for i, e in chain if is_replaced(e, remote_tenant)), default=0)
    return EndpointChain(in_use=chain_name(name, last + 1), replaced=replaced)
