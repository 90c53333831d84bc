"""What t2t's own identity needs in a tenant: one `Permission` per Microsoft permission.

Least privilege per step (lessons-from-peers.md §4, Microsoft365DSC's read/update split). Each
read permission is named by the `Part` that needs it (t2t/state/parts.py), each apply
permission by the `ActionKind` that needs it (t2t/planner/kinds.py). Sources: Graph permission
names from each API's reference page ("Permissions" section); Exchange RBAC from
microsoft-t2t.md §1 (only Organization Management may set -MailboxMoveCapability) and
wire-protocols.md §1.1 (Exchange.ManageAsApp for app-only). Azure (keyVaultCertificate mode
only): an Azure RBAC action on Azure Resource Manager ("Azure resource provider operations",
learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftkeyvault and
.../management-and-governance#microsoftresources), and a Key Vault data-plane permission, named
as a vault access policy names it (object type and operation); on a vault with
enableRbacAuthorization the same operation is an RBAC data action instead ("Migrate from vault
access policy to an Azure role-based access control permission model",
learn.microsoft.com/azure/key-vault/general/rbac-migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Service = Literal["exchange", "graph", "azure"]
PermissionKind = Literal["app-role", "exchange-role-group", "azure-action", "key-vault-access"]


@dataclass(frozen=True, order=True)
class Permission:
    service: Service
    kind: PermissionKind
    name: str

    def __str__(self) -> str:
        if self.kind == "exchange-role-group":
            return f"Exchange role group {self.name!r}"
        if self.kind == "azure-action":
            return f"Azure RBAC action {self.name}"
        if self.kind == "key-vault-access":
            object_type, _, operation = self.name.partition("/")
            return (
                f"Key Vault {object_type} {operation} (access policy; on an RBAC vault the data "
                f"action {KEY_VAULT_DATA_ACTIONS.get(self.name, '?')})"
            )
        service = {"exchange": "Exchange", "graph": "Graph"}[self.service]
        return f"{service} application permission {self.name}"


def graph(name: str) -> Permission:
    """A Graph application permission (an app role of Microsoft Graph)."""
    return Permission("graph", "app-role", name)


def arm(action: str) -> Permission:
    """An Azure RBAC action on Azure Resource Manager, e.g. Microsoft.KeyVault/vaults/read."""
    return Permission("azure", "azure-action", action)


def key_vault(object_type: str, operation: str) -> Permission:
    """A Key Vault data-plane permission as an access policy names it: ("certificates", "get")."""
    return Permission("azure", "key-vault-access", f"{object_type}/{operation}")


#: The RBAC data action of each data-plane permission t2t uses (Azure resource provider
#: operations, Microsoft.KeyVault: "vaults/certificates/read: Read certificate", "…/create/
#: action", "…/update/action", "vaults/secrets/getSecret/action: Gets the value of a secret",
#: "vaults/secrets/readMetadata/action: List or view the properties of a secret").
KEY_VAULT_DATA_ACTIONS = {
    "certificates/get": "Microsoft.KeyVault/vaults/certificates/read",
    "certificates/list": "Microsoft.KeyVault/vaults/certificates/read",
    "certificates/create": "Microsoft.KeyVault/vaults/certificates/create/action",
    "certificates/update": "Microsoft.KeyVault/vaults/certificates/update/action",
    "secrets/get": "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "secrets/list": "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
}

#: What reading the spec's resource group and vault needs: ARM answers a vault's GET in a
#: resource group that does not exist with ResourceGroupNotFound, so one action tells both
#: apart (the Reader role holds both, "*/read").
AZURE_VAULT_READ = (
    arm("Microsoft.Resources/subscriptions/resourceGroups/read"),
    arm("Microsoft.KeyVault/vaults/read"),
)
#: What reading the spec's certificate needs (the Key Vault Reader role holds it on an RBAC
#: vault: "Microsoft.KeyVault/vaults/*/read").
KEY_VAULT_CERTIFICATE_READ = (key_vault("certificates", "get"), key_vault("certificates", "list"))

EXCHANGE_APP = Permission("exchange", "app-role", "Exchange.ManageAsApp")
EXCHANGE_VIEW = Permission("exchange", "exchange-role-group", "View-Only Organization Management")
EXCHANGE_ORG = Permission("exchange", "exchange-role-group", "Organization Management")

#: What every Exchange read needs: app-only access and a read-only role group.
EXCHANGE_READ = (EXCHANGE_APP, EXCHANGE_VIEW)
#: What every Exchange write t2t sends needs (Organization Management holds Migration,
#: Distribution Groups, Mail Recipients, Mail Recipient Creation and Organization
#: Configuration).
EXCHANGE_WRITE = (EXCHANGE_APP, EXCHANGE_ORG)

#: Directory roles from which Exchange builds an app-only session that may run t2t's writes
#: ("The session's RBAC is configured using the directory role information that's available in
#: the token": office-docs-powershell app-only-auth-powershell-v2.md; template ids from
#: Microsoft Learn "Microsoft Entra built-in roles"): Exchange Administrator, Global
#: Administrator. Global Reader allows reads only (Microsoft365DSC settings.json: read Global
#: Reader, update Exchange Administrator).
EXCHANGE_WRITE_DIRECTORY_ROLES = frozenset(
    {"29232cdf-9323-42fd-ade2-1d097af3e4de", "62e90394-69f5-4237-9190-012177145e10"}
)


def union(*groups: tuple[Permission, ...]) -> tuple[Permission, ...]:
    """The sorted, de-duplicated permissions of several steps."""
    return tuple(sorted({p for group in groups for p in group}))
