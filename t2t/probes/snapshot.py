"""Gather both tenants concurrently into one Snapshot, through read-only clients only."""

from __future__ import annotations

import asyncio

from t2t.clients import ExchangeClient
from t2t.probes.organization import read_organization
from t2t.probes.relationships import read_relationships
from t2t.state import Role, Snapshot, TenantState


async def read_tenant(role: Role, tenant_id: str, exchange: ExchangeClient) -> TenantState:
    reader = exchange.reader()  # the read-only guard: a probe cannot send a write
    organization, relationships = await asyncio.gather(
        read_organization(reader), read_relationships(reader)
    )
    return TenantState(
        role=role, tenant_id=tenant_id, organization=organization, relationships=relationships
    )


async def read_snapshot(
    source_id: str, source: ExchangeClient, target_id: str, target: ExchangeClient
) -> Snapshot:
    """Both tenants, read at the same time."""
    src, tgt = await asyncio.gather(
        read_tenant("source", source_id, source), read_tenant("target", target_id, target)
    )
    return Snapshot(source=src, target=tgt)
