"""The live state of one tenant's Azure: what ARM and the Key Vault data plane read and change.

Held on ``Tenant.azure`` (the tenant whose directory the subscriptions trust); it round-trips
through ``state.json`` like the rest. This module imports nothing of the sandbox but
tracking.py (the base of every state model), so ``t2t/sandbox/model.py`` can import it
without a cycle.

Identifiers are Microsoft's shapes: ARM resource ids (``/subscriptions/{id}/resourceGroups/…``),
vault URIs ``https://{name}.vault.azure.net/`` and certificate versions of 32 hex digits
(https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates, "Object
identifiers").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field

from t2t.sandbox.tracking import Tracked

VAULT_DNS_SUFFIX = "vault.azure.net"


class _State(Tracked):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Subscription(_State):
    subscription_id: str
    display_name: str
    state: str = "Enabled"


class ResourceGroup(_State):
    subscription_id: str
    name: str
    """As created (ARM keeps the case; lookups ignore it)."""
    location: str
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: dt.datetime

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


class RoleAssignment(_State):
    """``Microsoft.Authorization/roleAssignments``: a role for a principal at a scope."""

    name: str
    """The assignment's GUID (the last segment of its id)."""
    scope: str
    role_definition_id: str
    """The role definition's GUID (roles.py)."""
    principal_id: str
    """Object id of the service principal (a token's ``oid``)."""
    principal_type: str = "ServicePrincipal"
    created_at: dt.datetime

    @property
    def id(self) -> str:
        return f"{self.scope}/providers/Microsoft.Authorization/roleAssignments/{self.name}"


class AccessPolicy(_State):
    """One entry of a vault's ``properties.accessPolicies``."""

    tenant_id: str
    object_id: str
    application_id: str | None = None
    keys: list[str] = Field(default_factory=list)
    secrets: list[str] = Field(default_factory=list)
    certificates: list[str] = Field(default_factory=list)
    storage: list[str] = Field(default_factory=list)

    def allows(self, kind: str, permission: str) -> bool:
        granted: list[str] = getattr(self, kind)
        return permission.lower() in {p.lower() for p in granted}


class CertificateVersion(_State):
    """One version of a Key Vault certificate, with the key and the secret that back it."""

    version: str
    cer: str
    """Base64 DER of the X.509 certificate."""
    key_pem: str
    """The private key (PKCS#8 PEM): the managed secret's content. Sandbox material only."""
    csr: str
    """Base64 DER of the certificate request the pending operation shows."""
    request_id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    not_before: dt.datetime
    expires: dt.datetime
    enabled: bool = True
    completes_at: dt.datetime
    """Sandbox clock time from which the version exists (the pending operation completes)."""
    tags: dict[str, str] = Field(default_factory=dict)
    imported: bool = False
    """Made by ``POST /certificates/{name}/import`` (certificate_import.py): no creation
    operation, so no CSR and no pending operation to show."""


class Certificate(_State):
    name: str
    policy: dict[str, Any]
    """The certificate policy as Key Vault echoes it (wire names: key_props, x509_props…)."""
    versions: list[CertificateVersion] = Field(default_factory=list)
    """Oldest first."""

    def completed(self, now: dt.datetime) -> list[CertificateVersion]:
        return [v for v in self.versions if v.completes_at <= now]

    def latest(self, now: dt.datetime) -> CertificateVersion | None:
        done = self.completed(now)
        return done[-1] if done else None

    def version(self, version: str, now: dt.datetime) -> CertificateVersion | None:
        key = version.lower()
        return next((v for v in self.completed(now) if v.version == key), None)

    def pending(self) -> CertificateVersion | None:
        """The newest version: its creation is the certificate's (last) operation; None when
        there is none, or when the newest was imported (an import is no operation)."""
        newest = self.versions[-1] if self.versions else None
        return None if newest is None or newest.imported else newest


class Vault(_State):
    name: str
    subscription_id: str
    resource_group: str
    location: str
    tags: dict[str, str] = Field(default_factory=dict)
    tenant_id: str
    sku_family: str = "A"
    sku_name: str = "standard"
    access_policies: list[AccessPolicy] = Field(default_factory=list)
    enable_rbac_authorization: bool = False
    enable_soft_delete: bool = True
    soft_delete_retention_in_days: int = 90
    enable_purge_protection: bool | None = None
    enabled_for_deployment: bool = False
    enabled_for_disk_encryption: bool = False
    enabled_for_template_deployment: bool = False
    public_network_access: str = "Enabled"
    network_acls: dict[str, Any] | None = None
    created_at: dt.datetime
    dns_ready_at: dt.datetime
    """Until then ``provisioningState`` is ``RegisteringDns`` and the data plane is unreachable."""
    certificates: list[Certificate] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.KeyVault/vaults/{self.name}"
        )

    @property
    def uri(self) -> str:
        """``properties.vaultUri``: https://{name}.vault.azure.net/ (DNS names are lowercase)."""
        return f"https://{self.name.lower()}.{VAULT_DNS_SUFFIX}/"

    @property
    def host(self) -> str:
        return f"{self.name.lower()}.{VAULT_DNS_SUFFIX}"

    def certificate(self, name: str) -> Certificate | None:
        key = name.lower()
        return next((c for c in self.certificates if c.name.lower() == key), None)

    def provisioning_state(self, now: dt.datetime) -> str:
        return "Succeeded" if now >= self.dns_ready_at else "RegisteringDns"


class DeletedVault(_State):
    """A soft-deleted vault: its name stays taken until it is purged (soft-delete-overview)."""

    vault: Vault
    deleted_at: dt.datetime
    scheduled_purge_at: dt.datetime


class AzureState(_State):
    """One tenant's Azure."""

    subscriptions: list[Subscription] = Field(default_factory=list)
    resource_groups: list[ResourceGroup] = Field(default_factory=list)
    vaults: list[Vault] = Field(default_factory=list)
    deleted_vaults: list[DeletedVault] = Field(default_factory=list)
    role_assignments: list[RoleAssignment] = Field(default_factory=list)

    def subscription(self, subscription_id: str) -> Subscription | None:
        key = subscription_id.lower()
        return next((s for s in self.subscriptions if s.subscription_id == key), None)

    def resource_group(self, subscription_id: str, name: str) -> ResourceGroup | None:
        sub, key = subscription_id.lower(), name.lower()
        return next(
            (g for g in self.resource_groups if g.subscription_id == sub and g.name.lower() == key),
            None,
        )

    def vault(self, name: str) -> Vault | None:
        key = name.lower()
        return next((v for v in self.vaults if v.name.lower() == key), None)
