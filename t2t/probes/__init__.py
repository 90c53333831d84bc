"""Read-only probes: gather the observed state of both tenants from the clients."""

from t2t.probes.organization import read_organization
from t2t.probes.registry import ProbeRequest
from t2t.probes.relationships import parse_relationship, read_relationships
from t2t.probes.snapshot import SOURCE_PARTS, TARGET_PARTS, read_snapshot, read_tenant

__all__ = [
    "SOURCE_PARTS",
    "TARGET_PARTS",
    "ProbeRequest",
    "parse_relationship",
    "read_organization",
    "read_relationships",
    "read_snapshot",
    "read_tenant",
]
