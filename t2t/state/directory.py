"""Directory (Entra / Graph) objects t2t reads, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field

from t2t.state.plain import WHEN_SET


@dataclass(frozen=True)
class Domain:
    """A verified domain of the tenant (GET /domains)."""

    name: str
    is_verified: bool
    is_initial: bool
    is_default: bool


@dataclass(frozen=True)
class SubscribedSku:
    """A licence the tenant owns (GET /subscribedSkus): seats bought and used."""

    sku_id: str
    sku_part_number: str
    enabled: int
    consumed: int
    service_plans: tuple[str, ...] = field(default=(), metadata=WHEN_SET)
    """servicePlans[].servicePlanName: what the licence gives (EXCHANGE_S_STANDARD, …)."""

    @property
    def free(self) -> int:
        return self.enabled - self.consumed


@dataclass(frozen=True)
class ResourceAccess:
    """One entry of an app's requiredResourceAccess: a permission it asks for."""

    resource_app_id: str
    permission_id: str
    type: str  # "Role" (application) or "Scope" (delegated)


@dataclass(frozen=True)
class PasswordCredential:
    key_id: str
    display_name: str | None
    end: str | None


@dataclass(frozen=True)
class KeyCredential:
    """One of an app's keyCredentials (a certificate it signs in with; Graph keyCredential)."""

    key_id: str
    display_name: str | None
    type: str
    """"AsymmetricX509Cert" for a certificate."""
    usage: str
    """"Verify" for a certificate the app signs in with."""
    start: str | None
    end: str | None
    custom_key_identifier: str | None
    """As Graph returns it (base64); Graph defaults it to the certificate's thumbprint."""
    thumbprint: str | None = None
    """SHA-1 of `key`, upper-case hex; None when `key` was not returned."""
    key: str | None = None
    """The DER certificate, base64: Graph returns it only on a single object's
    `$select=keyCredentials` ("otherwise, it is always null", keyCredential resource type,
    learn.microsoft.com/graph/api/resources/keycredential)."""


@dataclass(frozen=True)
class Application:
    """An app registration in the tenant that owns it (GET /applications)."""

    object_id: str
    app_id: str
    display_name: str
    sign_in_audience: str
    required_resource_access: tuple[ResourceAccess, ...]
    redirect_uris: tuple[str, ...]
    password_credentials: tuple[PasswordCredential, ...]
    key_credential_count: int
    unique_name: str | None = None  # Graph's immutable alternate key (t2t's marker)
    key_credentials: tuple[KeyCredential, ...] = ()
    """Read (with each `key`) only in keyVaultCertificate mode: one more request per app."""


@dataclass(frozen=True)
class ServicePrincipal:
    """An app's presence in a tenant (GET /servicePrincipals). Not consent by itself."""

    id: str
    app_id: str
    display_name: str
    app_owner_organization_id: str | None
    app_roles: tuple[tuple[str, str], ...]  # (value, id), e.g. ("Mailbox.Migration", "f726…")

    def role_id(self, value: str) -> str | None:
        return next((i for v, i in self.app_roles if v == value), None)


@dataclass(frozen=True)
class AppRoleAssignment:
    """Consent to an application permission: principal holds role of resource."""

    id: str
    principal_id: str
    resource_id: str
    app_role_id: str


@dataclass(frozen=True)
class DirectoryUser:
    """An Entra user (GET /users with $select)."""

    id: str
    user_principal_name: str
    display_name: str
    mail: str | None
    usage_location: str | None
    sku_ids: frozenset[str]
    on_premises_sync_enabled: bool
    user_type: str
    proxy_addresses: tuple[str, ...] = ()
    exchange_provisioning: tuple[str, ...] = ()
    """``provisionedPlans[].provisioningStatus`` of the user's Exchange plans that have not
    provisioned (PendingInput: Exchange has not confirmed them yet; Error), e.g. a licence
    assigned minutes ago. Empty when every Exchange plan is provisioned (or none is held)."""
