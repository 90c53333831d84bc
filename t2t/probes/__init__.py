"""Read-only probes: gather the observed state of both tenants from the clients."""

from t2t.probes.organization import read_organization
from t2t.probes.relationships import parse_relationship, read_relationships
from t2t.probes.snapshot import read_snapshot, read_tenant

__all__ = [
    "parse_relationship",
    "read_organization",
    "read_relationships",
    "read_snapshot",
    "read_tenant",
]
