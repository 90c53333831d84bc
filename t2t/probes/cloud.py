"""Which cloud each tenant lives in: its OpenID configuration (t2t/clients/discovery.py).

One anonymous GET per tenant on every run, at the identity platform t2t signs in at; the
planner blocks a pair in two clouds (T2T-E113) and builds the endpoint's RemoteServer from the
source's (t2t/planner/clouds.py).
"""

from __future__ import annotations

from typing import Any

from t2t.clients import ClientError
from t2t.probes.registry import ReadContext, reads
from t2t.state import Fact
from t2t.state import parts as P
from t2t.state.cloud import TenantCloud


def parse_cloud(doc: dict[str, Any]) -> tuple[TenantCloud, ...]:
    """The document's cloud; () when it names no cloud instance."""
    instance = doc.get("cloud_instance_name")
    if not isinstance(instance, str) or not instance:
        return ()

    def text(key: str) -> str | None:
        value = doc.get(key)
        return value if isinstance(value, str) and value else None

    return (TenantCloud(instance, text("tenant_region_scope"), text("tenant_region_sub_scope")),)


@reads(P.CLOUD)
async def _cloud(ctx: ReadContext) -> Fact[Any]:
    try:
        doc = await ctx.exchange.openid_configuration()
    except ClientError as exc:
        return Fact.unknown(f"the tenant's OpenID configuration could not be read: {exc}")
    return Fact.present(parse_cloud(doc))
