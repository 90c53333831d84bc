"""``Microsoft.KeyVault/vaults`` in ARM: the paths and bodies azure-mgmt-keyvault 14.1.0 sends
(``VaultsOperations``: create_or_update, get, update, delete, update_access_policy, list_*,
check_name_availability, get/list/purge deleted).

Microsoft's behaviour emulated, with sources:

- PUT is long-running (REST "Vaults - Create Or Update": 200 or 201). A new vault answers
  201 with ``provisioningState: RegisteringDns`` (the VaultProvisioningState values are
  Succeeded and RegisteringDns) and ``Retry-After`` (the headers the SDK reads on 201); a
  non-terminal provisioningState tells a client the operation is not finished and it polls
  the resource until ``Succeeded`` ("Track asynchronous Azure operations",
  https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations; as
  azure-mgmt-core's ARMPolling does for a PUT without Azure-AsyncOperation/Location). DNS
  registration takes ``DNS_SECONDS`` of sandbox time; until then the data plane is
  unreachable. Updating an existing vault answers 200, done.
- ``enableRbacAuthorization`` left out of a create: ``true`` from api-version 2026-02-01 on,
  ``false`` before; an update leaves it as it is ("Prepare for Key Vault API version
  2026-02-01 and later: Azure RBAC as default access control",
  https://learn.microsoft.com/azure/key-vault/general/access-control-default). azure-mgmt-
  keyvault 14.1.0 sends 2026-05-15, so a vault it creates without the field is an RBAC vault.
- Soft delete is on and cannot be turned off; retention 90 days unless 7–90 is given
  (https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview). A deleted vault
  keeps its name until it is purged.
- Vault names are global (every tenant's vaults and deleted vaults): VaultAlreadyExists, and
  VaultNameNotValid for a bad name, texts verbatim as ARM answers them (Esri/arcgis-gitops
  #174; Azure/AI-in-a-Box #104; "Common error codes for Azure Key Vault",
  https://learn.microsoft.com/azure/key-vault/general/common-error-codes).
- Access policies: ``accessPolicies/{add|replace|remove}`` merge, replace or remove the
  permissions of the entry with the same tenant, object and application ids (REST "Vaults -
  Update Access Policy"; https://learn.microsoft.com/azure/key-vault/general/assign-access-policy).
- Management actions are always authorized by Azure RBAC, whatever the vault's data-plane model
  (same access-control-default page; "Azure RBAC vs. access policies").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.responses import Response

from t2t.sandbox.azure import roles
from t2t.sandbox.azure.arm import (
    _RG,
    _SUB,
    ArmCall,
    arm_route,
    location_name,
    ok,
    require_resource_group,
)
from t2t.sandbox.azure.errors import AzureError, arm_headers, bad_request, resource_not_found
from t2t.sandbox.azure.model import AccessPolicy, AzureState, DeletedVault, Vault
from t2t.sandbox.model import Tenant

DNS_SECONDS = 1.0
"""Sandbox seconds a new vault spends in RegisteringDns (also its ``Retry-After``)."""

RBAC_DEFAULT_FROM = "2026-02-01"
"""The first api-version whose creates default ``enableRbacAuthorization`` to true."""

VAULT_READ = "Microsoft.KeyVault/vaults/read"
VAULT_WRITE = "Microsoft.KeyVault/vaults/write"
VAULT_DELETE = "Microsoft.KeyVault/vaults/delete"
ACCESS_POLICY_WRITE = "Microsoft.KeyVault/vaults/accessPolicies/write"
DELETED_READ = "Microsoft.KeyVault/deletedVaults/read"
PURGE = "Microsoft.KeyVault/locations/deletedVaults/purge/action"

_VAULT = _RG + r"/providers/Microsoft\.KeyVault/vaults/(?P<name>[^/]+)"
_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_PERMISSION_KINDS = ("keys", "secrets", "certificates", "storage")


def rbac_default(api_version: str) -> bool:
    return api_version[:10] >= RBAC_DEFAULT_FROM


def all_vault_names(call: ArmCall) -> dict[str, str]:
    """Lowercased name → where it is taken, across every tenant (names are global)."""
    taken: dict[str, str] = {}
    for t in call.ctx.store.state.tenants:
        for v in t.azure.vaults:
            taken[v.name.lower()] = v.id
        for d in t.azure.deleted_vaults:
            taken.setdefault(d.vault.name.lower(), f"deleted:{d.vault.id}")
    return taken


def _already_exists(name: str) -> AzureError:
    return AzureError(
        409,
        "VaultAlreadyExists",
        f"The vault name '{name}' is already in use. Vault names are globally unique so it is "
        "possible that the name is already taken. If you are sure that the vault name was not "
        "taken then it is possible that a vault with the same name was recently deleted but "
        "not purged after being placed in a recoverable state. If the vault is in a "
        "recoverable state then the vault will need to be purged before reusing the name. For "
        "more information about VaultAlreadyExists, soft delete and purging a vault follow "
        "this link https://go.microsoft.com/fwlink/?linkid=2147740.",
    )


def _name_not_valid(name: str) -> AzureError:
    return AzureError(
        400,
        "VaultNameNotValid",
        f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric "
        "characters. The name must begin with a letter, end with a letter or digit, and not "
        "contain consecutive hyphens. Follow this link for more information: "
        "https://go.microsoft.com/fwlink/?linkid=2147742",
    )


# -- JSON ----------------------------------------------------------------------------------


def policy_json(p: AccessPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {"tenantId": p.tenant_id, "objectId": p.object_id}
    if p.application_id:
        out["applicationId"] = p.application_id
    out["permissions"] = {k: list(getattr(p, k)) for k in _PERMISSION_KINDS}
    return out


def vault_json(v: Vault, now: dt.datetime) -> dict[str, Any]:
    props: dict[str, Any] = {
        "sku": {"family": v.sku_family, "name": v.sku_name},
        "tenantId": v.tenant_id,
        "accessPolicies": [policy_json(p) for p in v.access_policies],
        "enabledForDeployment": v.enabled_for_deployment,
        "enabledForDiskEncryption": v.enabled_for_disk_encryption,
        "enabledForTemplateDeployment": v.enabled_for_template_deployment,
        "enableSoftDelete": v.enable_soft_delete,
        "softDeleteRetentionInDays": v.soft_delete_retention_in_days,
        "enableRbacAuthorization": v.enable_rbac_authorization,
        "vaultUri": v.uri,
        "provisioningState": v.provisioning_state(now),
        "publicNetworkAccess": v.public_network_access,
    }
    if v.enable_purge_protection is not None:
        props["enablePurgeProtection"] = v.enable_purge_protection
    if v.network_acls is not None:
        props["networkAcls"] = v.network_acls
    return {
        "id": v.id,
        "name": v.name,
        "type": "Microsoft.KeyVault/vaults",
        "location": v.location,
        "tags": v.tags,
        "properties": props,
    }


def _answer(v: Vault, now: dt.datetime, status: int = 200) -> Response:
    headers = {}
    if v.provisioning_state(now) != "Succeeded":
        headers["Retry-After"] = str(int(DNS_SECONDS))
    return ok(vault_json(v, now), status, headers)


# -- request bodies --------------------------------------------------------------------------


def _policies(raw: Any, where: str) -> list[AccessPolicy]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 1024:
        raise bad_request(f"{where} must be an array of at most 1024 access policies.")
    out: list[AccessPolicy] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise bad_request(f"{where}[{i}] must be an object.")
        tenant_id, object_id = item.get("tenantId"), item.get("objectId")
        if not isinstance(tenant_id, str) or not isinstance(object_id, str):
            raise bad_request(f"{where}[{i}] needs tenantId and objectId.")
        perms = item.get("permissions") or {}
        if not isinstance(perms, dict):
            raise bad_request(f"{where}[{i}].permissions must be an object.")
        app = item.get("applicationId")
        out.append(
            AccessPolicy(
                tenant_id=tenant_id.lower(),
                object_id=object_id.lower(),
                application_id=app.lower() if isinstance(app, str) and app else None,
                **{k: [str(p) for p in perms.get(k) or []] for k in _PERMISSION_KINDS},
            )
        )
    return out


def _apply_properties(v: Vault, props: dict[str, Any], *, creating: bool, api: str) -> None:
    """Set what ``props`` names (PUT: every field of the body; PATCH: only those sent)."""
    if "tenantId" in props:
        if not isinstance(props["tenantId"], str):
            raise bad_request("properties.tenantId must be a tenant id.")
        v.tenant_id = props["tenantId"].lower()
    if "sku" in props:
        sku = props["sku"]
        if not isinstance(sku, dict) or str(sku.get("name", "")).lower() not in (
            "standard",
            "premium",
        ):
            raise bad_request("properties.sku must be {family: A, name: standard|premium}.")
        v.sku_family, v.sku_name = str(sku.get("family") or "A"), str(sku["name"]).lower()
    if "accessPolicies" in props:
        v.access_policies = _policies(props["accessPolicies"], "properties.accessPolicies")
    if props.get("enableRbacAuthorization") is not None:
        v.enable_rbac_authorization = bool(props["enableRbacAuthorization"])
    elif creating:
        v.enable_rbac_authorization = rbac_default(api)
    for wire, field in (
        ("enabledForDeployment", "enabled_for_deployment"),
        ("enabledForDiskEncryption", "enabled_for_disk_encryption"),
        ("enabledForTemplateDeployment", "enabled_for_template_deployment"),
    ):
        if props.get(wire) is not None:
            setattr(v, field, bool(props[wire]))
    retention = props.get("softDeleteRetentionInDays")
    if retention is not None:
        if not isinstance(retention, int) or not 7 <= retention <= 90:
            raise bad_request("properties.softDeleteRetentionInDays must be between 7 and 90.")
        if not creating and retention != v.soft_delete_retention_in_days:
            raise bad_request(
                "The soft delete retention period of an existing vault cannot be changed."
            )
        v.soft_delete_retention_in_days = retention
    if props.get("enablePurgeProtection") is not None:
        if v.enable_purge_protection and not props["enablePurgeProtection"]:
            raise bad_request("Purge protection cannot be disabled once it is enabled.")
        v.enable_purge_protection = bool(props["enablePurgeProtection"])
    if isinstance(props.get("publicNetworkAccess"), str):
        v.public_network_access = props["publicNetworkAccess"]
    if isinstance(props.get("networkAcls"), dict):
        v.network_acls = props["networkAcls"]


# -- handlers --------------------------------------------------------------------------------


def _vault_scope(call: ArmCall) -> str:
    return (
        f"/subscriptions/{call.param('sub').lower()}/resourceGroups/{call.param('rg')}"
        f"/providers/Microsoft.KeyVault/vaults/{call.param('name')}"
    )


def _vault_in_group(call: ArmCall, azure: AzureState) -> Vault | None:
    v = azure.vault(call.param("name"))
    if (
        v is None
        or v.subscription_id != call.param("sub").lower()
        or v.resource_group.lower() != call.param("rg").lower()
    ):
        return None
    return v


def _require_vault(call: ArmCall, azure: AzureState) -> Vault:
    # A vault in a resource group that does not exist: ARM names the group
    # (404 ResourceGroupNotFound; Azure/azure-powershell #4067, Get-AzureRmKeyVault with a wrong
    # group; hashicorp/terraform-provider-azurerm #15327, VaultsClient#Get).
    require_resource_group(call, azure)
    v = _vault_in_group(call, azure)
    if v is None:
        raise resource_not_found("Microsoft.KeyVault/vaults", call.param("name"), call.param("rg"))
    return v


def put_vault(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, VAULT_WRITE, _vault_scope(call))
    group = require_resource_group(call, tenant.azure)
    body = call.json_object()
    name = call.param("name")
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise bad_request(
            "The location property is required for this definition.", "LocationRequired"
        )
    props = body.get("properties")
    if not isinstance(props, dict) or "tenantId" not in props or "sku" not in props:
        raise bad_request("properties with tenantId and sku are required to create a vault.")
    tags = {str(k): str(val) for k, val in (body.get("tags") or {}).items()}
    with call.ctx.store.lock:
        existing = _vault_in_group(call, tenant.azure)
        if existing is not None:
            updated = existing.model_copy(deep=True)
            updated.tags = tags
            _apply_properties(updated, props, creating=False, api=call.api_version)
            tenant.azure.vaults[tenant.azure.vaults.index(existing)] = updated
            call.save()
            return _answer(updated, call.now)
        if not _NAME.match(name):
            raise _name_not_valid(name)
        if str(props.get("createMode", "")).lower() == "recover":
            return _recover(call, tenant, name)
        if name.lower() in all_vault_names(call):
            raise _already_exists(name)
        now = call.now
        vault = Vault(
            name=name,
            subscription_id=call.param("sub").lower(),
            resource_group=group.name,
            location=location_name(location),
            tags=tags,
            tenant_id=str(props["tenantId"]).lower(),
            created_at=now,
            dns_ready_at=now + dt.timedelta(seconds=DNS_SECONDS),
        )
        _apply_properties(vault, props, creating=True, api=call.api_version)
        tenant.azure.vaults.append(vault)
        call.save()
    return _answer(vault, now, 201)


def _recover(call: ArmCall, tenant: Tenant, name: str) -> Response:
    """createMode recover: the soft-deleted vault comes back with its contents."""
    deleted = next(
        (d for d in tenant.azure.deleted_vaults if d.vault.name.lower() == name.lower()), None
    )
    if deleted is None:
        raise AzureError(
            404,
            "DeletedVaultNotFound",
            f"The vault '{name}' could not be recovered: no deleted vault of that name exists.",
        )
    tenant.azure.deleted_vaults.remove(deleted)
    tenant.azure.vaults.append(deleted.vault)
    call.save()
    return _answer(deleted.vault, call.now)


def get_vault(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, VAULT_READ, _vault_scope(call))
    return _answer(_require_vault(call, tenant.azure), call.now)


def patch_vault(call: ArmCall) -> Response:
    """Vaults - Update: only the fields sent change (VaultPatchParameters)."""
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, VAULT_WRITE, _vault_scope(call))
    body = call.json_object()
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise bad_request("properties must be an object.")
    with call.ctx.store.lock:
        current = _require_vault(call, tenant.azure)
        updated = current.model_copy(deep=True)
        if isinstance(body.get("tags"), dict):
            updated.tags = {str(k): str(v) for k, v in body["tags"].items()}
        _apply_properties(updated, props, creating=False, api=call.api_version)
        tenant.azure.vaults[tenant.azure.vaults.index(current)] = updated
        call.save()
    return _answer(updated, call.now)


def delete_vault(call: ArmCall) -> Response:
    """Soft delete: the vault moves to deleted vaults until its purge date (200; 204 when
    there is nothing to delete, as ARM answers a DELETE of an absent resource)."""
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, VAULT_DELETE, _vault_scope(call))
    with call.ctx.store.lock:
        v = _vault_in_group(call, tenant.azure)
        if v is None:
            return Response(status_code=204)
        tenant.azure.vaults.remove(v)
        now = call.now
        tenant.azure.deleted_vaults.append(
            DeletedVault(
                vault=v,
                deleted_at=now,
                scheduled_purge_at=now + dt.timedelta(days=v.soft_delete_retention_in_days),
            )
        )
        call.save()
    return Response(status_code=200, headers=arm_headers())


def update_access_policy(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    kind = call.param("kind").lower()
    call.authorize(tenant.azure, ACCESS_POLICY_WRITE, _vault_scope(call) + "/accessPolicies")
    body = call.json_object()
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request("properties.accessPolicies is required.")
    given = _policies(props.get("accessPolicies"), "properties.accessPolicies")
    with call.ctx.store.lock:
        current = _require_vault(call, tenant.azure)
        updated = current.model_copy(deep=True)
        updated.access_policies = _merge_policies(updated.access_policies, given, kind)
        tenant.azure.vaults[tenant.azure.vaults.index(current)] = updated
        call.save()
    return ok(
        {
            "id": f"{updated.id}/accessPolicies/{kind}",
            "type": "Microsoft.KeyVault/vaults/accessPolicies",
            "properties": {"accessPolicies": [policy_json(p) for p in given]},
        }
    )


def _merge_policies(
    current: list[AccessPolicy], given: list[AccessPolicy], kind: str
) -> list[AccessPolicy]:
    def key(p: AccessPolicy) -> tuple[str, str, str | None]:
        return p.tenant_id, p.object_id, p.application_id

    out = list(current)
    for g in given:
        match = next((i for i, p in enumerate(out) if key(p) == key(g)), None)
        if match is None:
            if kind != "remove":
                out.append(g)
            continue
        old = out[match]
        fields: dict[str, list[str]] = {}
        for k in _PERMISSION_KINDS:
            have, new = list(getattr(old, k)), list(getattr(g, k))
            if kind == "replace":
                fields[k] = new
            elif kind == "add":
                fields[k] = have + [p for p in new if p.lower() not in {h.lower() for h in have}]
            else:
                fields[k] = [p for p in have if p.lower() not in {n.lower() for n in new}]
        merged = old.model_copy(update=fields)
        if kind == "remove" and not any(fields.values()):
            out.pop(match)
        else:
            out[match] = merged
    return out


def _readable(call: ArmCall, tenant: Tenant, vaults: list[Vault]) -> list[dict[str, Any]]:
    return [
        vault_json(v, call.now)
        for v in vaults
        if roles.allowed(tenant.azure.role_assignments, call.caller.oid, VAULT_READ, v.id)
    ]


def list_by_group(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    require_resource_group(call, tenant.azure)
    sub, rg = call.param("sub").lower(), call.param("rg").lower()
    vaults = [
        v
        for v in tenant.azure.vaults
        if v.subscription_id == sub and v.resource_group.lower() == rg
    ]
    return ok({"value": _readable(call, tenant, vaults)})


def list_by_subscription(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    sub = call.param("sub").lower()
    vaults = [v for v in tenant.azure.vaults if v.subscription_id == sub]
    return ok({"value": _readable(call, tenant, vaults)})


def check_name(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(
        tenant.azure,
        "Microsoft.KeyVault/checkNameAvailability/read",
        f"/subscriptions/{call.param('sub').lower()}",
    )
    name = str(call.json_object().get("name", ""))
    if not _NAME.match(name):
        return ok(
            {
                "nameAvailable": False,
                "reason": "AccountNameInvalid",
                "message": _name_not_valid(name).message,
            }
        )
    if name.lower() in all_vault_names(call):
        return ok(
            {
                "nameAvailable": False,
                "reason": "AlreadyExists",
                "message": f"The vault name '{name}' is already in use.",
            }
        )
    return ok({"nameAvailable": True})


def _deleted_json(d: DeletedVault) -> dict[str, Any]:
    v = d.vault
    return {
        "id": f"/subscriptions/{v.subscription_id}/providers/Microsoft.KeyVault/locations/"
        f"{v.location}/deletedVaults/{v.name}",
        "name": v.name,
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": v.id,
            "location": v.location,
            "deletionDate": d.deleted_at.isoformat().replace("+00:00", "Z"),
            "scheduledPurgeDate": d.scheduled_purge_at.isoformat().replace("+00:00", "Z"),
            "tags": v.tags,
            "purgeProtectionEnabled": bool(v.enable_purge_protection),
        },
    }


def list_deleted(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    sub = call.param("sub").lower()
    call.authorize(tenant.azure, DELETED_READ, f"/subscriptions/{sub}")
    return ok(
        {
            "value": [
                _deleted_json(d)
                for d in tenant.azure.deleted_vaults
                if d.vault.subscription_id == sub
            ]
        }
    )


def _deleted(call: ArmCall, tenant: Tenant) -> DeletedVault:
    name, loc = call.param("name").lower(), location_name(call.param("loc"))
    found = next(
        (
            d
            for d in tenant.azure.deleted_vaults
            if d.vault.name.lower() == name and d.vault.location == loc
        ),
        None,
    )
    if found is None:
        raise AzureError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.KeyVault/deletedVaults/{call.param('name')}' was not found.",
        )
    return found


def get_deleted(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, DELETED_READ, f"/subscriptions/{call.param('sub').lower()}")
    return ok(_deleted_json(_deleted(call, tenant)))


def purge_deleted(call: ArmCall) -> Response:
    """Purge frees the name (200: done at once; the REST API also allows 202)."""
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, PURGE, f"/subscriptions/{call.param('sub').lower()}")
    with call.ctx.store.lock:
        tenant.azure.deleted_vaults.remove(_deleted(call, tenant))
        call.save()
    return Response(status_code=200, headers=arm_headers())


_T_VAULT = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.KeyVault/vaults/{vaultName}"
)
_T_SUB = "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault"
_DELETED = (
    _SUB + r"/providers/Microsoft\.KeyVault/locations/(?P<loc>[^/]+)/deletedVaults/(?P<name>[^/]+)"
)

ROUTES = [
    arm_route("PUT", _VAULT, f"PUT {_T_VAULT}", put_vault),
    arm_route("GET", _VAULT, f"GET {_T_VAULT}", get_vault),
    arm_route("PATCH", _VAULT, f"PATCH {_T_VAULT}", patch_vault),
    arm_route("DELETE", _VAULT, f"DELETE {_T_VAULT}", delete_vault),
    arm_route(
        "PUT",
        _VAULT + r"/accessPolicies/(?P<kind>add|replace|remove)",
        f"PUT {_T_VAULT}/accessPolicies/{{operationKind}}",
        update_access_policy,
    ),
    arm_route(
        "GET",
        _RG + r"/providers/Microsoft\.KeyVault/vaults",
        "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
        "/providers/Microsoft.KeyVault/vaults",
        list_by_group,
    ),
    arm_route(
        "GET",
        _SUB + r"/providers/Microsoft\.KeyVault/vaults",
        f"GET {_T_SUB}/vaults",
        list_by_subscription,
    ),
    arm_route(
        "POST",
        _SUB + r"/providers/Microsoft\.KeyVault/checkNameAvailability",
        f"POST {_T_SUB}/checkNameAvailability",
        check_name,
    ),
    arm_route(
        "GET",
        _SUB + r"/providers/Microsoft\.KeyVault/deletedVaults",
        f"GET {_T_SUB}/deletedVaults",
        list_deleted,
    ),
    arm_route(
        "GET",
        _DELETED,
        f"GET {_T_SUB}/locations/{{location}}/deletedVaults/{{vaultName}}",
        get_deleted,
    ),
    arm_route(
        "POST",
        _DELETED + "/purge",
        f"POST {_T_SUB}/locations/{{location}}/deletedVaults/{{vaultName}}/purge",
        purge_deleted,
    ),
]
