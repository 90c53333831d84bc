"""The seed's ``azure:`` block of a tenant: its subscriptions and the Azure roles its apps hold.

Example (the default seed's Fabrikam)::

    azure:
      subscriptions:
        - subscriptionId: 3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
          displayName: Fabrikam migration
      roleAssignments:
        - principal: 1d6f2b3c-4d5e-4f60-9b7c-8d9e0f1a2b3c   # an app of the seed, by clientId
          role: Contributor                               # a built-in role (roles.py)
          scope: /subscriptions/3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d

A role assignment's principal is the service principal of that app in this tenant, exactly as
Azure RBAC assigns roles to service principals
(https://learn.microsoft.com/azure/role-based-access-control/overview). Scopes are a
subscription of this tenant or a resource group or vault below it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from t2t.sandbox.azure.model import AzureState, RoleAssignment, Subscription
from t2t.sandbox.azure.roles import ROLE_NAMES, role_by_name

_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_SCOPE = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-fA-F-]{36})"
    r"(/resourceGroups/[-\w._()]{1,90}(/providers/Microsoft\.KeyVault/vaults/[a-zA-Z0-9-]{3,24})?)?$",
    re.IGNORECASE,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubscriptionSeed(_Model):
    subscriptionId: str = Field(pattern=_GUID)
    displayName: str = "Azure subscription 1"


class RoleAssignmentSeed(_Model):
    principal: str = Field(
        pattern=_GUID,
        description="The clientId of the adminApp or a client of this tenant (or the appId of "
        "Office 365 Exchange Online / Microsoft Graph): its service principal gets the role.",
    )
    role: str = Field(json_schema_extra={"enum": list(ROLE_NAMES)})
    scope: str = Field(
        description="/subscriptions/{id}, optionally /resourceGroups/{name}, optionally "
        "/providers/Microsoft.KeyVault/vaults/{name}; the subscription must be one of this "
        "tenant's."
    )

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role_by_name(role) is None:
            raise ValueError(f"unknown role {role!r}; the sandbox knows {list(ROLE_NAMES)}")
        return role

    @field_validator("scope")
    @classmethod
    def _scope_shape(cls, scope: str) -> str:
        if not _SCOPE.match(scope):
            raise ValueError(
                f"{scope!r} is not a scope the sandbox emulates: /subscriptions/{{id}}"
                "[/resourceGroups/{name}[/providers/Microsoft.KeyVault/vaults/{name}]]"
            )
        return scope


class AzureSeed(_Model):
    """A tenant's Azure: subscriptions trusting its directory, and role assignments."""

    subscriptions: list[SubscriptionSeed] = Field(default_factory=list)
    roleAssignments: list[RoleAssignmentSeed] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> AzureSeed:
        ids = [s.subscriptionId.lower() for s in self.subscriptions]
        for i, sid in enumerate(ids):
            if sid in ids[:i]:
                raise ValueError(f"subscriptions[{i}]: duplicate subscriptionId {sid}")
        for i, a in enumerate(self.roleAssignments):
            m = _SCOPE.match(a.scope)
            assert m is not None  # checked by the field validator
            if m.group("sub").lower() not in ids:
                raise ValueError(
                    f"roleAssignments[{i}].scope: subscription {m.group('sub')} is not one of "
                    "this tenant's subscriptions"
                )
        return self


def azure_state_from_seed(
    seed: AzureSeed,
    *,
    principal_id: Callable[[str], str],
    assignment_name: Callable[[RoleAssignmentSeed], str],
    created_at: dt.datetime,
) -> AzureState:
    """The tenant's Azure at seed time (no resource group or vault yet)."""
    assignments = []
    for a in seed.roleAssignments:
        role = role_by_name(a.role)
        assert role is not None  # checked by RoleAssignmentSeed
        assignments.append(
            RoleAssignment(
                name=assignment_name(a),
                scope=a.scope,
                role_definition_id=role.id,
                principal_id=principal_id(a.principal),
                created_at=created_at,
            )
        )
    return AzureState(
        subscriptions=[
            Subscription(subscription_id=s.subscriptionId.lower(), display_name=s.displayName)
            for s in seed.subscriptions
        ],
        role_assignments=assignments,
    )
