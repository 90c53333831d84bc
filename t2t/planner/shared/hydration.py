"""Organization customization as the other domains need it: a dehydrated tenant's Exchange
writes wait for Enable-OrganizationCustomization.

Exchange refuses organization relationships, endpoints and other objects in a dehydrated
tenant (`InvalidOperationInDehydratedContextException`, microsoft-365-docs #7403); the scripts
run `if ((Get-OrganizationConfig).IsDehydrated) { Enable-OrganizationCustomization }`
(microsoft-t2t.md §3.0 step 4, §3.5).
"""

from __future__ import annotations

from t2t.planner import kinds as K
from t2t.planner.actions import Role
from t2t.planner.domain import action_id
from t2t.state import Snapshot

KEY = "organization"


def customization_id(role: Role) -> str:
    return action_id(role, K.ORG_ENABLE_CUSTOMIZATION.name, KEY)


def is_dehydrated(snapshot: Snapshot, role: Role) -> bool:
    org = snapshot.tenant(role).organization
    return org.status == "present" and org.get().is_dehydrated


def hydration_dependency(snapshot: Snapshot, role: Role) -> tuple[str, ...]:
    """The action an Exchange write in `role` must wait for (none when already hydrated)."""
    return (customization_id(role),) if is_dehydrated(snapshot, role) else ()
