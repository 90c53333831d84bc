"""ARM's and Key Vault's error bodies, raised by handlers and rendered by the routes.

ARM: ``{"error":{"code","message"}}`` (wire-protocols.md §4;
https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
Key Vault: ``{"error":{"code","message","innererror"?}}``
(https://learn.microsoft.com/azure/key-vault/general/rest-error-codes). Texts are Microsoft's
where public (each call site names its source); README "Open questions" lists the rest.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response


class AzureError(Exception):
    """An ARM or Key Vault refusal."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        inner: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.inner = status, code, message, inner
        self.headers = headers or {}

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.inner:
            error["innererror"] = {"code": self.inner}
        return JSONResponse({"error": error}, status_code=self.status, headers=self.headers)


def arm_headers() -> dict[str, str]:
    """ARM's request ids on every answer."""
    rid = str(uuid.uuid4())
    return {"x-ms-request-id": rid, "x-ms-correlation-request-id": rid}


def authorization_failed(object_id: str, action: str, scope: str) -> AzureError:
    """403 AuthorizationFailed. For a service principal ARM names the object id twice ("The
    client '<oid>' with object id '<oid>'", e.g. Azure/ARO-RP #66, Azure/azure-rest-api-specs-
    examples #4471); text verbatim from those and from
    https://learn.microsoft.com/azure/role-based-access-control/troubleshooting."""
    return AzureError(
        403,
        "AuthorizationFailed",
        f"The client '{object_id}' with object id '{object_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access "
        "was recently granted, please refresh your credentials.",
    )


def subscription_not_found(subscription_id: str) -> AzureError:
    return AzureError(
        404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
    )


def resource_group_not_found(name: str) -> AzureError:
    return AzureError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def resource_not_found(resource_type: str, name: str, group: str) -> AzureError:
    return AzureError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_request(message: str, code: str = "BadRequest") -> AzureError:
    return AzureError(400, code, message)


def kv_forbidden_by_policy(
    appid: str, oid: str, tid: str, kind: str, permission: str, vault: str, location: str
) -> AzureError:
    """403 of an access-policy vault, verbatim as Key Vault answers (e.g.
    turbot/steampipe-plugin-azure #127, ansible-collections/azure #635)."""
    return AzureError(
        403,
        "Forbidden",
        f"The user, group or application 'appid={appid};oid={oid};iss=https://sts.windows.net/"
        f"{tid}/' does not have {kind} {permission} permission on key vault '{vault};location="
        f"{location}'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287",
        inner="AccessDenied",
    )


def kv_forbidden_by_rbac(
    appid: str, oid: str, tid: str, action: str, resource: str, vault: str, location: str
) -> AzureError:
    """403 of an RBAC vault, as Key Vault answers (e.g. hashicorp/terraform-provider-azurerm
    #17015, piyushsachdeva/Terraform_AKS #2: ``DecisionReason: 'DeniedWithNoValidRBAC'``)."""
    return AzureError(
        403,
        "Forbidden",
        "Caller is not authorized to perform action on resource.\r\n"
        "If role assignments, deny assignments or role definitions were changed recently, "
        "please observe propagation time.\r\n"
        f"Caller: appid={appid};oid={oid};iss=https://sts.windows.net/{tid}/\r\n"
        f"Action: '{action}'\r\n"
        f"Resource: '{resource.lower()}'\r\n"
        "Assignment: (not found)\r\n"
        "DenyAssignmentId: null\r\n"
        "DecisionReason: 'DeniedWithNoValidRBAC' \r\n"
        f"Vault: {vault};location={location}\r\n",
        inner="ForbiddenByRbac",
    )
