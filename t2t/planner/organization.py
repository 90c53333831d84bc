"""Organization customization: a dehydrated tenant gets Enable-OrganizationCustomization first.

Exchange refuses organization relationships, endpoints and other objects in a dehydrated
tenant (`InvalidOperationInDehydratedContextException`, microsoft-365-docs #7403); the scripts
run `if ((Get-OrganizationConfig).IsDehydrated) { Enable-OrganizationCustomization }`
(microsoft-t2t.md §3.0 step 4, §3.5). Every action of that tenant that writes an Exchange
object depends on this one (`PlanContext.hydration`, t2t/planner/shared/hydration.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2t.planner import kinds as K
from t2t.planner.actions import Action
from t2t.planner.context import HYDRATION, PlanContext
from t2t.planner.domain import Domain, DomainOutcome
from t2t.planner.shared.hydration import KEY, customization_id, is_dehydrated
from t2t.state import fingerprint

if TYPE_CHECKING:
    pass


def plan_organization(ctx: PlanContext) -> DomainOutcome:
    """Both tenants need customization, whatever the spec says."""
    snapshot = ctx.snapshot
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
    source_needs=frozenset(),
    target_needs=frozenset(),
    uses=(HYDRATION,),
    emits=frozenset({K.ORG_ENABLE_CUSTOMIZATION}),
    plan=plan_organization,
)
