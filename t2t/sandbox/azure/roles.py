"""Azure's built-in roles the sandbox knows, and whether a principal's role assignments allow an
action at a scope.

Role ids, ``actions``/``notActions`` and ``dataActions`` are Microsoft's built-in role
definitions (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles — Owner,
Contributor, Reader, User Access Administrator — and its "security" page for the Key Vault
roles; the Key Vault data actions per operation are in
https://learn.microsoft.com/azure/key-vault/general/rbac-guide). Only the parts the emulated
operations touch are listed. ``*`` is Azure's wildcard: any characters, case-insensitive
(https://learn.microsoft.com/azure/role-based-access-control/role-definitions, "Actions").

Assignments inherit downwards: one at a subscription covers its resource groups and their
resources ("Understand scope for Azure RBAC").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from t2t.sandbox.azure.model import RoleAssignment


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    name: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()

    def allows(self, action: str, *, data: bool) -> bool:
        if data:
            return any(_matches(p, action) for p in self.data_actions)
        return any(_matches(p, action) for p in self.actions) and not any(
            _matches(p, action) for p in self.not_actions
        )


_KV_CONTROL_READS = (
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.KeyVault/checkNameAvailability/read",
    "Microsoft.KeyVault/deletedVaults/read",
    "Microsoft.KeyVault/locations/*/read",
    "Microsoft.KeyVault/vaults/*/read",
    "Microsoft.KeyVault/operations/read",
)

ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner", actions=("*",)),
    RoleDefinition(
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Contributor",
        actions=("*",),
        not_actions=(
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ),
    ),
    RoleDefinition("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", actions=("*/read",)),
    RoleDefinition(
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
        actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
    ),
    RoleDefinition(
        "f25e0fa2-a7c8-4377-a976-54943a77a395",
        "Key Vault Contributor",
        actions=(
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.KeyVault/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
        ),
        not_actions=(
            "Microsoft.KeyVault/locations/deletedVaults/purge/action",
            "Microsoft.KeyVault/hsmPools/*",
            "Microsoft.KeyVault/managedHsms/*",
        ),
    ),
    RoleDefinition(
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        "Key Vault Administrator",
        actions=_KV_CONTROL_READS,
        data_actions=("Microsoft.KeyVault/vaults/*",),
    ),
    RoleDefinition(
        "a4417e6f-fecd-4de8-b567-7b0420556985",
        "Key Vault Certificates Officer",
        actions=_KV_CONTROL_READS,
        data_actions=(
            "Microsoft.KeyVault/vaults/certificatecas/*",
            "Microsoft.KeyVault/vaults/certificates/*",
            "Microsoft.KeyVault/vaults/certificatecontacts/write",
        ),
    ),
    RoleDefinition(
        "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
        "Key Vault Certificate User",
        data_actions=(
            "Microsoft.KeyVault/vaults/certificates/read",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            "Microsoft.KeyVault/vaults/keys/read",
        ),
    ),
    RoleDefinition(
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        "Key Vault Secrets Officer",
        actions=_KV_CONTROL_READS,
        data_actions=("Microsoft.KeyVault/vaults/secrets/*",),
    ),
    RoleDefinition(
        "4633458b-17de-408a-b874-0445c86b69e6",
        "Key Vault Secrets User",
        data_actions=(
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ),
    ),
    RoleDefinition(
        "21090545-7ca7-4776-b22c-e363652d74d2",
        "Key Vault Reader",
        actions=_KV_CONTROL_READS,
        data_actions=(
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ),
    ),
)

ROLE_NAMES: tuple[str, ...] = tuple(r.name for r in ROLES)


def role_by_name(name: str) -> RoleDefinition | None:
    key = name.lower()
    return next((r for r in ROLES if r.name.lower() == key), None)


def role_by_id(role_id: str) -> RoleDefinition | None:
    """By GUID or by a ``…/roleDefinitions/{guid}`` id, as role assignments name it."""
    key = role_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return next((r for r in ROLES if r.id == key), None)


def role_definition_id(subscription_id: str, role: RoleDefinition) -> str:
    """The id ARM shows in a role assignment's ``properties.roleDefinitionId``."""
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{role.id}"
    )


@cache
def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in glob.split("*")), re.IGNORECASE)


def _matches(glob: str, action: str) -> bool:
    return _pattern(glob).fullmatch(action) is not None


def covers(scope: str, resource: str) -> bool:
    """Whether an assignment at ``scope`` applies to ``resource`` (same or below it)."""
    s, r = scope.rstrip("/").lower(), resource.rstrip("/").lower()
    return r == s or r.startswith(s + "/")


def allowed(
    assignments: Iterable[RoleAssignment],
    principal_id: str,
    action: str,
    resource: str,
    *,
    data: bool = False,
) -> bool:
    """Whether any of ``principal_id``'s assignments covering ``resource`` allows ``action``
    (a data action when ``data``)."""
    pid = principal_id.lower()
    for a in assignments:
        if a.principal_id.lower() != pid or not covers(a.scope, resource):
            continue
        role = role_by_id(a.role_definition_id)
        if role is not None and role.allows(action, data=data):
            return True
    return False


def has_any_role(assignments: Iterable[RoleAssignment], principal_id: str, resource: str) -> bool:
    """Whether the principal holds any role at or above ``resource`` (it can see it)."""
    pid = principal_id.lower()
    return any(a.principal_id.lower() == pid and covers(a.scope, resource) for a in assignments)
