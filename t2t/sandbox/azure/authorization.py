"""Who may do what in a vault's data plane: its access policies, or Azure RBAC when the vault
has ``enableRbacAuthorization``.

Access policies grant permissions per object type to a tenant + object id ("Assign a Key Vault
access policy", https://learn.microsoft.com/azure/key-vault/general/assign-access-policy); an
entry with an ``applicationId`` is a compound identity that only the user acting through that
app matches ("Azure Key Vault security", "Access policies"). RBAC vaults ignore access policies
and check the data action at the object's scope, below the vault
(https://learn.microsoft.com/azure/key-vault/general/rbac-guide: certificates get/list need
``certificates/read``, create ``certificates/create/action``, update
``certificates/update/action``, import ``certificates/import/action`` — "Azure permissions for
Security", https://learn.microsoft.com/azure/role-based-access-control/permissions/security;
a secret's value ``secrets/getSecret/action``, listing
``secrets/readMetadata/action``).

Used by the data plane (vault_routes.py) and by Exchange's check of an endpoint's certificate
(link.py), so both refuse the same callers with the same text.
"""

from __future__ import annotations

from t2t.sandbox.azure import roles
from t2t.sandbox.azure.errors import AzureError, kv_forbidden_by_policy, kv_forbidden_by_rbac
from t2t.sandbox.azure.model import AzureState, Vault

DATA_ACTIONS: dict[tuple[str, str], str] = {
    ("certificates", "get"): "Microsoft.KeyVault/vaults/certificates/read",
    ("certificates", "list"): "Microsoft.KeyVault/vaults/certificates/read",
    ("certificates", "create"): "Microsoft.KeyVault/vaults/certificates/create/action",
    ("certificates", "update"): "Microsoft.KeyVault/vaults/certificates/update/action",
    ("certificates", "import"): "Microsoft.KeyVault/vaults/certificates/import/action",
    ("secrets", "get"): "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    ("secrets", "list"): "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
}


def data_plane_refusal(
    azure: AzureState,
    vault: Vault,
    *,
    oid: str,
    tid: str,
    appid: str,
    kind: str,
    permission: str,
    object_name: str | None = None,
) -> AzureError | None:
    """None when the caller may do ``permission`` on ``kind`` (certificates, secrets) in the
    vault; else Key Vault's 403 for the vault's model."""
    if vault.enable_rbac_authorization:
        action = DATA_ACTIONS[(kind, permission)]
        resource = f"{vault.id}/{kind}/{object_name}" if object_name else vault.id
        if roles.allowed(azure.role_assignments, oid, action, resource, data=True):
            return None
        return kv_forbidden_by_rbac(appid, oid, tid, action, resource, vault.name, vault.location)
    for p in vault.access_policies:
        if (
            p.object_id == oid.lower()
            and p.tenant_id == tid.lower()
            and p.application_id in (None, appid.lower())
            and p.allows(kind, permission)
        ):
            return None
    return kv_forbidden_by_policy(appid, oid, tid, kind, permission, vault.name, vault.location)
