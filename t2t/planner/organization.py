"""Organization customization: a dehydrated tenant gets Enable-OrganizationCustomization first.

Exchange refuses organization relationships, endpoints and other objects in a dehydrated
tenant (`InvalidOperationInDehydratedContextException`, microsoft-365-docs #7403); the scripts
run `if ((Get-OrganizationConfig).IsDehydrated) { Enable-OrganizationCustomization }`
(microsoft-t2t.md §3.0 step 4, §3.5). Every action of that tenant that writes an Exchange
object depends on this one (see `hydration_dependency`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Role
from t2t.planner.domain import Domain, DomainOutcome, action_id
from t2t.state import Snapshot, fingerprint
from t2t.state import parts as P

if TYPE_CHECKING:
    from t2t.spec import Desired

KEY = "organization"


def customization_id(role: Role) -> str:
    return action_id(role, K.ORG_ENABLE_CUSTOMIZATION.name, KEY)


def is_dehydrated(snapshot: Snapshot, role: Role) -> bool:
    org = snapshot.tenant(role).organization
    return org.status == "present" and org.get().is_dehydrated


def hydration_dependency(snapshot: Snapshot, role: Role) -> tuple[str, ...]:
    """The action an Exchange write in `role` must wait for (none when already hydrated)."""
    return (customization_id(role),) if is_dehydrated(snapshot, role) else ()


def plan_organization(desired: Desired, snapshot: Snapshot) -> DomainOutcome:
    del desired  # both tenants need customization, whatever the spec says
    out = DomainOutcome()
    for role in ("source", "target"):
        if not is_dehydrated(snapshot, role):
            continue
        org = snapshot.tenant(role).organization.get()
        out.actions.append(
            Action(
                id=customization_id(role),
                tenant=role,
                kind=K.ORG_ENABLE_CUSTOMIZATION.name,
                key=KEY,
                operation="run",
                cmdlet="Enable-OrganizationCustomization",
                parameters={},
                desired={"is_dehydrated": False},
                observed={"Name": org.name, "IsDehydrated": True},
                fingerprint=fingerprint({"IsDehydrated": True}),
                summary=f"enable organization customization in the {role} tenant "
                "(it is dehydrated)",
            )
        )
    return out


ORGANIZATION = Domain(
    name="organization",
    source_needs=frozenset({P.ORGANIZATION}),
    target_needs=frozenset({P.ORGANIZATION}),
    plan=plan_organization,
)
