"""The resource group and the vault (Azure Resource Manager), and Office 365 Exchange Online's
access to the vault: one pure function per object, shared by plan and apply."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import Finding, finding
from t2t.planner.shared.app import EXCHANGE_APP_ID
from t2t.planner.shared.key_vault.desire import (
    EXCHANGE_PERMISSIONS,
    OWN_IDENTITY,
    OWN_PERMISSIONS,
    WHO,
    StepDesire,
    VaultDesire,
    build_action,
)
from t2t.state.azure import ResourceGroup, Vault

# --- the resource group and the vault (ARM) ------------------------------------------------


def plan_resource_group(desire: VaultDesire, groups: tuple[ResourceGroup, ...]) -> Action | None:
    """`azure.resource_group.create` when the spec's resource group does not exist."""
    if groups:
        return None
    return build_action(
        K.RESOURCE_GROUP_CREATE,
        desire.resource_group,
        cmdlet=f"ARM PUT /subscriptions/{desire.subscription_id}/resourcegroups/"
        f"{desire.resource_group}",
        parameters={"location": desire.location},
        changes=[
            Change(field="resourceGroup", after=desire.resource_group),
            Change(field="location", after=desire.location),
        ],
        desired=StepDesire(desire).to_dict(),
        observed=None,
        summary=f"create the resource group {desire.resource_group!r} in subscription "
        f"{desire.subscription_id}",
    )


def vault_body(desire: VaultDesire, own_object_id: str) -> dict[str, Any]:
    """The vault's PUT body (VaultCreateOrUpdateParameters): access policies, not RBAC."""
    return {
        "location": desire.location,
        "properties": {
            "tenantId": desire.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "enableRbacAuthorization": False,
            "accessPolicies": [
                {
                    "tenantId": desire.tenant_id,
                    "objectId": own_object_id,
                    "permissions": {k: list(v) for k, v in OWN_PERMISSIONS.items()},
                }
            ],
        },
    }


def plan_vault(desire: VaultDesire, groups: tuple[ResourceGroup, ...]) -> Action | None:
    """`keyvault.vault.create` when the spec's vault is not in its resource group."""
    if any(g.vault is not None for g in groups):
        return None
    body = vault_body(desire, OWN_IDENTITY)
    return build_action(
        K.VAULT_CREATE,
        desire.name,
        cmdlet=f"ARM PUT {desire.where}",
        parameters=body,
        changes=[
            Change(field="vault", after=desire.name),
            Change(field="enableRbacAuthorization", after=False),
            Change(
                field="accessPolicies",
                after=[
                    f"{OWN_IDENTITY}: certificates {', '.join(OWN_PERMISSIONS['certificates'])}"
                ],
            ),
        ],
        desired=StepDesire(desire).to_dict(),
        observed={"resourceGroup": asdict(groups[0]) if groups else None},
        summary=f"create the key vault {desire.name!r} (access policies, not Azure RBAC)",
    )


# --- Exchange Online's access to the vault ---------------------------------------------------


def missing_access(vault: Vault, object_id: str) -> dict[str, tuple[str, ...]]:
    """The permissions Exchange Online lacks on the vault (per object type; empty: none)."""
    policies = vault.policies_of(object_id)
    out: dict[str, tuple[str, ...]] = {}
    for object_type, wanted in EXCHANGE_PERMISSIONS.items():
        lacking = tuple(p for p in wanted if not any(x.allows(object_type, p) for x in policies))
        if lacking:
            out[object_type] = lacking
    return out


@dataclass
class AccessOutcome:
    action: Action | None = None
    findings: list[Finding] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    """Codes that leave Exchange unable to read the vault whatever apply does."""


def access_body(desire: VaultDesire, object_id: str) -> dict[str, Any]:
    """The access policy for Exchange Online (VaultAccessPolicyParameters, operation add)."""
    return {
        "properties": {
            "accessPolicies": [
                {
                    "tenantId": desire.tenant_id,
                    "objectId": object_id,
                    "permissions": {k: list(v) for k, v in EXCHANGE_PERMISSIONS.items()},
                }
            ]
        }
    }


def plan_access(
    desire: VaultDesire, vault: Vault | None, exchange_object_id: str | None
) -> AccessOutcome:
    """Office 365 Exchange Online may read the certificate and its secret (E238, W239).
    ``vault`` None: the vault is created by this plan (with no policy for Exchange yet)."""
    out = AccessOutcome()
    obj = desire.name
    if exchange_object_id is None:
        out.findings.append(
            finding(
                "T2T-E238",
                "target",
                obj,
                f"the target has no service principal for {WHO} ({EXCHANGE_APP_ID})",
                fixed_by_plan=False,
            )
        )
        out.blocked.append("T2T-E238")
        return out
    if vault is not None and vault.tenant_id and vault.tenant_id != desire.tenant_id:
        out.findings.append(
            finding(
                "T2T-E238",
                "target",
                obj,
                f"the vault authenticates tenant {vault.tenant_id}, not the target "
                f"{desire.tenant_id}",
                fixed_by_plan=False,
            )
        )
        out.blocked.append("T2T-E238")
        return out
    if vault is not None and vault.enable_rbac_authorization:
        out.findings.append(
            finding(
                "T2T-W239",
                "target",
                obj,
                "the vault uses Azure RBAC; t2t reads no role assignments",
                fixed_by_plan=False,
            )
        )
        return out
    lacking = (
        missing_access(vault, exchange_object_id)
        if vault is not None
        else dict(EXCHANGE_PERMISSIONS)
    )
    if not lacking:
        return out
    if vault is not None:
        what = "; ".join(f"{t} {', '.join(p)}" for t, p in lacking.items())
        out.findings.append(
            finding(
                "T2T-E238",
                "target",
                obj,
                f"{WHO} ({exchange_object_id}) lacks {what}",
                fixed_by_plan=True,
            )
        )
    held = vault.policies_of(exchange_object_id) if vault is not None else ()
    before = {t: sorted({p for x in held for p in getattr(x, t)}) for t in EXCHANGE_PERMISSIONS}
    out.action = build_action(
        K.VAULT_ACCESS_GRANT,
        f"{desire.name}/{EXCHANGE_APP_ID}",
        cmdlet=f"ARM PUT {desire.where}/accessPolicies/add",
        parameters=access_body(desire, exchange_object_id),
        changes=[
            Change(
                field=f"accessPolicies[{WHO}].{t}",
                before=before[t],
                after=sorted(set(before[t]) | set(EXCHANGE_PERMISSIONS[t])),
            )
            for t in EXCHANGE_PERMISSIONS
            if t in lacking
        ],
        desired=StepDesire(desire, exchange_object_id=exchange_object_id).to_dict(),
        observed={"accessPolicies": [asdict(p) for p in held]} if vault is not None else None,
        summary=f"let {WHO} read the certificate and its secret in {desire.name!r}",
        operation="update" if vault is not None else "create",
    )
    return out
