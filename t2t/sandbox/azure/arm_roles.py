"""``Microsoft.Authorization/roleAssignments`` at a scope: what makes an RBAC vault's data plane
(and ARM itself) answer yes.

Emulated so an ``enableRbacAuthorization`` vault can be decided (issue 12); t2t does not write
them. Paths and bodies as "Role Assignments - Create / Get / Delete / List For Scope"
(https://learn.microsoft.com/rest/api/authorization/role-assignments): ``{scope}/providers/
Microsoft.Authorization/roleAssignments/{roleAssignmentName}`` with ``properties.roleDefinitionId``
and ``properties.principalId``. Writing one needs ``Microsoft.Authorization/roleAssignments/
write`` (Owner, User Access Administrator; Contributor may not,
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). Refusals:
PrincipalNotFound and RoleAssignmentExists with the texts ARM answers ("Troubleshoot Azure
RBAC", https://learn.microsoft.com/azure/role-based-access-control/troubleshooting);
RoleDefinitionDoesNotExist's text is assumed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.responses import Response

from t2t.sandbox.azure import roles
from t2t.sandbox.azure.arm import ArmCall, arm_route, ok
from t2t.sandbox.azure.errors import AzureError, arm_headers, bad_request
from t2t.sandbox.azure.model import RoleAssignment

READ = "Microsoft.Authorization/roleAssignments/read"
WRITE = "Microsoft.Authorization/roleAssignments/write"
DELETE = "Microsoft.Authorization/roleAssignments/delete"

_SCOPE = r"(?P<scope>/subscriptions/(?P<sub>[^/]+)(?:/.+?)?)"
_ASSIGNMENTS = _SCOPE + r"/providers/Microsoft\.Authorization/roleAssignments"
_TEMPLATE = "{scope}/providers/Microsoft.Authorization/roleAssignments"


def assignment_json(a: RoleAssignment, subscription_id: str) -> dict[str, Any]:
    role = roles.role_by_id(a.role_definition_id)
    assert role is not None
    stamp = a.created_at.isoformat().replace("+00:00", "Z")
    return {
        "id": a.id,
        "name": a.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": roles.role_definition_id(subscription_id, role),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": a.scope,
            "createdOn": stamp,
            "updatedOn": stamp,
        },
    }


def _find(call: ArmCall, azure_assignments: list[RoleAssignment]) -> RoleAssignment | None:
    name, scope = call.param("name").lower(), call.param("scope").lower()
    return next((a for a in azure_assignments if a.name == name and a.scope.lower() == scope), None)


def put_assignment(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    scope, name = call.param("scope"), call.param("name").lower()
    assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    call.authorize(tenant.azure, WRITE, assignment_id)
    try:
        uuid.UUID(name)
    except ValueError:
        raise bad_request(
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
            "InvalidRoleAssignmentId",
        ) from None
    props = call.json_object().get("properties")
    if not isinstance(props, dict):
        raise bad_request("properties with roleDefinitionId and principalId are required.")
    role = roles.role_by_id(str(props.get("roleDefinitionId", "")))
    if role is None:
        raise AzureError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{props.get('roleDefinitionId')}' does not "
            "exist.",
        )
    principal = str(props.get("principalId", "")).lower()
    known = {sp.id for sp in tenant.service_principals} | {u.id for u in tenant.users}
    if principal not in known:
        raise AzureError(
            400,
            "PrincipalNotFound",
            f"Principal {principal.replace('-', '')} does not exist in the directory "
            f"{tenant.tenant_id}. Check that you have the correct principal ID. If you are "
            "creating this principal and then immediately assigning a role, this error might "
            "be related to a replication delay. In this case, set the role assignment "
            "principalType property to a value, such as ServicePrincipal, User, or Group.  See "
            "https://aka.ms/docs-principaltype",
        )
    with call.ctx.store.lock:
        existing = _find(call, tenant.azure.role_assignments)
        twin = next(
            (
                a
                for a in tenant.azure.role_assignments
                if a.principal_id == principal
                and a.role_definition_id == role.id
                and a.scope.lower() == scope.lower()
            ),
            None,
        )
        if existing is not None:
            if twin is existing:
                return ok(assignment_json(existing, call.param("sub").lower()))
            raise AzureError(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        if twin is not None:
            raise AzureError(409, "RoleAssignmentExists", "The role assignment already exists.")
        assignment = RoleAssignment(
            name=name,
            scope=scope,
            role_definition_id=role.id,
            principal_id=principal,
            principal_type=str(props.get("principalType") or "ServicePrincipal"),
            created_at=call.now,
        )
        tenant.azure.role_assignments.append(assignment)
        call.save()
    return ok(assignment_json(assignment, call.param("sub").lower()), 201)


def get_assignment(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, READ, call.param("scope"))
    found = _find(call, tenant.azure.role_assignments)
    if found is None:
        raise AzureError(404, "RoleAssignmentNotFound", "The role assignment does not exist.")
    return ok(assignment_json(found, call.param("sub").lower()))


def delete_assignment(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, DELETE, call.param("scope"))
    with call.ctx.store.lock:
        found = _find(call, tenant.azure.role_assignments)
        if found is None:
            return Response(status_code=204, headers=arm_headers())
        tenant.azure.role_assignments.remove(found)
        call.save()
    return ok(assignment_json(found, call.param("sub").lower()))


_PRINCIPAL_FILTER = re.compile(r"principalId\s+eq\s+'([^']+)'", re.IGNORECASE)


def list_assignments(call: ArmCall) -> Response:
    """At, above and below the scope, optionally ``$filter=principalId eq '…'``."""
    tenant = call.subscription_tenant()
    scope = call.param("scope")
    call.authorize(tenant.azure, READ, scope)
    wanted = _PRINCIPAL_FILTER.search(call.query.get("$filter", ""))
    value = [
        assignment_json(a, call.param("sub").lower())
        for a in tenant.azure.role_assignments
        if (roles.covers(a.scope, scope) or roles.covers(scope, a.scope))
        and (wanted is None or a.principal_id == wanted.group(1).lower())
    ]
    return ok({"value": value})


ROUTES = [
    arm_route(
        "PUT",
        _ASSIGNMENTS + r"/(?P<name>[^/]+)",
        f"PUT {_TEMPLATE}/{{roleAssignmentName}}",
        put_assignment,
    ),
    arm_route(
        "GET",
        _ASSIGNMENTS + r"/(?P<name>[^/]+)",
        f"GET {_TEMPLATE}/{{roleAssignmentName}}",
        get_assignment,
    ),
    arm_route(
        "DELETE",
        _ASSIGNMENTS + r"/(?P<name>[^/]+)",
        f"DELETE {_TEMPLATE}/{{roleAssignmentName}}",
        delete_assignment,
    ),
    arm_route("GET", _ASSIGNMENTS, f"GET {_TEMPLATE}", list_assignments),
]
