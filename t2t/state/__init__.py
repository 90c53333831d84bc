"""The observed-state model: what probes read from both tenants (present / absent / unknown)."""

from t2t.state.fingerprint import fingerprint
from t2t.state.model import (
    MOVE_CAPABILITIES,
    OrganizationConfig,
    OrgRelationship,
    Role,
    Snapshot,
    TenantState,
)
from t2t.state.presence import Fact

__all__ = [
    "MOVE_CAPABILITIES",
    "Fact",
    "OrgRelationship",
    "OrganizationConfig",
    "Role",
    "Snapshot",
    "TenantState",
    "fingerprint",
]
