"""Azure objects t2t reads in the target's subscription for `keyVaultCertificate` mode: the
spec's resource group and vault (Azure Resource Manager) and the spec's certificate (the Key
Vault data plane), as plain frozen data.

Both parts are collections like every other part, so "read and nothing there" is the empty
tuple: `key_vault` is () when the resource group does not exist, one `ResourceGroup` (its
`vault` None or the vault) otherwise; `vault_certificates` is () when the certificate (or the
vault) does not exist. Field names are ARM's and Key Vault's in snake case; dates are ISO 8601
UTC strings ending in Z, as the other parts keep them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The object types of a vault access policy's permissions (ARM `Permissions`: keys, secrets,
#: certificates, storage; learn.microsoft.com/azure/templates/microsoft.keyvault/vaults).
POLICY_OBJECT_TYPES = ("keys", "secrets", "certificates", "storage")


@dataclass(frozen=True)
class AccessPolicy:
    """One entry of a vault's `properties.accessPolicies`: who (an Entra object in a tenant)
    may do what, per object type. Permissions are lower-cased and sorted (Key Vault compares
    them without case: PowerShell sends "Get", the SDKs "get")."""

    tenant_id: str
    object_id: str
    application_id: str | None
    keys: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    storage: tuple[str, ...] = ()

    def allows(self, object_type: str, permission: str) -> bool:
        """Whether this entry grants ``permission`` ("get") on ``object_type`` ("secrets");
        "all" grants every permission of its type (the REST API's enum value)."""
        held: tuple[str, ...] = getattr(self, object_type)
        return permission.lower() in held or "all" in held


@dataclass(frozen=True)
class Vault:
    """`Microsoft.KeyVault/vaults/{name}` as ARM's GET returns it (the fields t2t compares)."""

    id: str
    """ARM resource id: /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/
    vaults/{name}."""
    name: str
    location: str
    vault_uri: str
    """`properties.vaultUri`, Microsoft's form in every cloud and in the sandbox:
    https://{name}.vault.azure.net/ (where t2t connects is hosts.py's decision)."""
    tenant_id: str
    """The tenant whose Entra ID authenticates the vault's data plane."""
    enable_rbac_authorization: bool
    """True: data-plane access is decided by Azure RBAC role assignments and the access
    policies are ignored."""
    access_policies: tuple[AccessPolicy, ...]
    provisioning_state: str | None
    """"Succeeded" or "RegisteringDns" (ARM's VaultProvisioningState); None if not sent."""
    enable_soft_delete: bool | None = None
    public_network_access: str | None = None
    """"Enabled" / "Disabled" ("Disabled" refuses every public caller, Exchange Online too)."""
    network_default_action: str | None = None
    """`networkAcls.defaultAction`: "Allow" or "Deny" (a firewall); None without networkAcls."""
    network_bypass: str | None = None
    """`networkAcls.bypass`: "AzureServices" or "None"."""

    def policies_of(self, object_id: str) -> tuple[AccessPolicy, ...]:
        """The access policy entries of one Entra object (by object id, any case)."""
        return tuple(p for p in self.access_policies if p.object_id.lower() == object_id.lower())


@dataclass(frozen=True)
class ResourceGroup:
    """The spec's resource group, which exists, and the spec's vault in it (None: no vault of
    that name there)."""

    subscription_id: str
    name: str
    vault: Vault | None = None


@dataclass(frozen=True)
class CertificateVersion:
    """One version of a Key Vault certificate (its properties; `cer` only for the current)."""

    id: str
    """https://{vault}.vault.azure.net/certificates/{name}/{version}: what Exchange's
    -AppSecretKeyVaultUrl names (Microsoft's host, whatever host t2t connected to)."""
    version: str
    thumbprint: str | None
    """`x5t`: SHA-1 of the DER certificate, upper-case hex (as Windows and the portal show it;
    Key Vault sends it base64url)."""
    enabled: bool
    not_before: str | None
    expires: str | None
    created: str | None
    cer: str | None = None
    """The DER X.509 certificate, standard base64 (Graph's keyCredential `key` form); only
    on `VaultCertificate.current`."""


@dataclass(frozen=True)
class CertificateOperation:
    """The certificate's pending operation (`GET /certificates/{name}/pending`) while one is
    not completed: "inProgress", "failed" or "cancelled"."""

    status: str
    status_details: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class VaultCertificate:
    """The spec's certificate in the spec's vault."""

    vault_name: str
    name: str
    current: CertificateVersion | None
    """The latest version (`GET /certificates/{name}`), with its DER; None while its first
    version is still being created."""
    versions: tuple[CertificateVersion, ...] = ()
    """Every version (`GET /certificates/{name}/versions`), oldest first, without DER."""
    operation: CertificateOperation | None = None
    """Set when an operation is under way or ended without a certificate."""
