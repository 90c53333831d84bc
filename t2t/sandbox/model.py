"""The emulated tenants' live state: what cmdlets and Graph calls read and change.

Why separate from the seed: the seed is what a tenant *starts* as (a documented input
format); this is what it *is* now, with the identifiers and timestamps Microsoft
assigns (Guid, WhenCreated, DistinguishedName). It round-trips through
``DIR/state.json`` so a sandbox survives restarts. New Microsoft surfaces add fields
here (users, mailboxes, SKUs, batches) rather than new stores.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from pydantic import ConfigDict, Field, PrivateAttr

from t2t.sandbox.azure.model import AzureState
from t2t.sandbox.azure.seed import RoleAssignmentSeed, azure_state_from_seed
from t2t.sandbox.directory_roles import template_id
from t2t.sandbox.moves.model import MigrationBatch, MigrationEndpoint, MoveServiceSettings
from t2t.sandbox.msapps import MICROSOFT_SERVICES_TENANT, RESOURCE_APPS, resource_by_audience
from t2t.sandbox.recipients import Recipient
from t2t.sandbox.seed import ClientSeed, Seed, TenantSeed, UserSeed
from t2t.sandbox.seed_exchange import recipient_from_seed
from t2t.sandbox.tracking import Key, Tracked
from t2t.sandbox.user_index import UserIndex

SANDBOX_NAMESPACE = uuid.UUID("0b7ad3c4-5e6f-4a1b-9c2d-3e4f5a6b7c8d")
"""Namespace for deterministic object ids derived from seed data (stable across resets)."""

T = TypeVar("T")

_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=1 << 17)
def derived_guid(*parts: str) -> str:
    """A stable GUID for an object the seed names but does not give an id. Cached: every
    Get-Mailbox record derives its recipient's Guid (a SHA-1), and a page holds 1,000."""
    return str(uuid.uuid5(SANDBOX_NAMESPACE, "/".join(p.lower() for p in parts)))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class _State(Tracked):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Client(_State):
    client_id: str
    display_name: str
    service_principal_id: str
    app_roles: dict[str, list[str]] = Field(default_factory=dict)
    exchange_role_groups: list[str] = Field(default_factory=list)
    directory_roles: list[str] = Field(default_factory=list)
    """Template ids of the service principal's Entra directory roles (directory_roles.py)."""
    exchange_removed_parameters: dict[str, list[str]] = Field(default_factory=dict)
    """Per cmdlet, the parameters none of the app's Exchange role entries holds (rbac.py)."""
    is_admin_app: bool = False


class Group(_State):
    guid: str
    name: str
    display_name: str
    alias: str
    primary_smtp_address: str
    recipient_type_details: str
    distinguished_name: str
    when_created: dt.datetime
    when_changed: dt.datetime
    members: list[str] = Field(
        default_factory=list, description="Member object ids (users), in insertion order."
    )
    members_added_at: dict[str, dt.datetime] = Field(
        default_factory=dict,
        description="Exchange side: when Add-DistributionGroupMember added each member.",
    )
    member_groups: list[str] = Field(
        default_factory=list,
        description="Guids of groups nested in this one (Add-DistributionGroupMember of a "
        "group); their members are not direct members (moves/conditions.py).",
    )
    description: list[str] = Field(
        default_factory=list,
        description="New-DistributionGroup -Description (a MultiValueProperty of free text), "
        "returned by Get-DistributionGroup as Description.",
    )

    @property
    def is_mail_enabled_security(self) -> bool:
        return self.recipient_type_details == "MailUniversalSecurityGroup"


class MailContact(_State):
    """A mail contact (New-MailContact): a recipient with no account whose mail goes to its
    external address. Exchange-made, so it is read and changed with the *-MailContact
    cmdlets (exchange/cmdlets/contacts.py); its Entra twin (an orgContact) is not emulated."""

    guid: str
    name: str
    alias: str
    display_name: str
    external_email_address: str = Field(description='"SMTP:<address>", also the primary.')
    custom_attributes: dict[int, str] = Field(
        default_factory=dict, description="CustomAttribute1…15 that hold a value."
    )
    hidden_from_address_lists_enabled: bool = False
    when_created: dt.datetime
    when_changed: dt.datetime

    @property
    def primary_smtp_address(self) -> str:
        """ExternalEmailAddress is the primary address (New-MailContact reference)."""
        return self.external_email_address.split(":", 1)[-1]


class PasswordCredential(_State):
    """A client secret (Graph passwordCredential); only a SHA-256 of the text is kept."""

    key_id: str
    display_name: str | None = None
    hint: str
    start_date_time: dt.datetime
    end_date_time: dt.datetime
    secret_sha256: str
    usable_from: dt.datetime | None = None
    """Sandbox clock time from which the token endpoint accepts it (propagation after
    addPassword, credentials.py); None for the seed's old secrets."""


class KeyCredential(_State):
    """A certificate (Graph keyCredential, wire-protocols.md §2.1); ``key`` = base64 DER."""

    key_id: str
    type: str = "AsymmetricX509Cert"
    usage: str = "Verify"
    key: str
    display_name: str | None = None
    custom_key_identifier: str | None = None
    start_date_time: dt.datetime
    end_date_time: dt.datetime
    usable_from: dt.datetime | None = None
    """Sandbox clock time from which client assertions signed with it are accepted
    (propagation, as for secrets: credentials.py); None for the seed's keys."""


class ResourceAccess(_State):
    id: str
    type: str


class RequiredResourceAccess(_State):
    resource_app_id: str
    resource_access: list[ResourceAccess] = Field(default_factory=list)


class Application(_State):
    """An app registration in its home tenant (Graph /applications)."""

    id: str
    app_id: str
    display_name: str
    sign_in_audience: str
    unique_name: str | None = None
    password_credentials: list[PasswordCredential] = Field(default_factory=list)
    key_credentials: list[KeyCredential] = Field(default_factory=list)
    required_resource_access: list[RequiredResourceAccess] = Field(default_factory=list)
    web_redirect_uris: list[str] = Field(default_factory=list)
    created_date_time: dt.datetime = _EPOCH


class AppRole(_State):
    id: str
    value: str
    display_name: str
    description: str = ""
    allowed_member_types: list[str] = Field(default_factory=lambda: ["Application"])


class ServicePrincipal(_State):
    """An app's presence in one tenant (Graph /servicePrincipals). Alone it grants nothing:
    permissions are `AppRoleAssignment`s (microsoft-t2t.md §3.3)."""

    id: str
    app_id: str
    display_name: str
    app_owner_organization_id: str | None = None
    service_principal_names: list[str] = Field(default_factory=list)
    app_roles: list[AppRole] = Field(default_factory=list)
    service_principal_type: str = "Application"
    created_date_time: dt.datetime = _EPOCH


class AppRoleAssignment(_State):
    """Consent to one application permission (Graph appRoleAssignment, §2.2)."""

    id: str
    app_role_id: str
    principal_id: str
    principal_display_name: str
    principal_type: str = "ServicePrincipal"
    resource_id: str
    resource_display_name: str
    created_date_time: dt.datetime = _EPOCH


class OrganizationConfig(_State):
    guid: str
    is_dehydrated: bool
    in_place_holds: list[str] = Field(default_factory=list)
    """Get-OrganizationConfig InPlaceHolds: organization-wide retention policies, e.g.
    ``mbx<guid>:<action>`` for one that covers every Exchange mailbox (Learn
    "identify-a-hold-on-an-exchange-online-mailbox"); moves/conditions.py."""
    auto_expanding_archive_enabled: bool = False
    """Set-OrganizationConfig -AutoExpandingArchive: every archive may auto-expand; "it can't
    be disabled" (Set-OrganizationConfig reference)."""
    when_created: dt.datetime
    when_changed: dt.datetime


class OrganizationRelationship(_State):
    """Fields follow New-OrganizationRelationship's parameters (PSDOC-OR)."""

    guid: str
    name: str
    domain_names: list[str]
    enabled: bool = True
    mailbox_move_enabled: bool = False
    mailbox_move_capability: int = 0
    oauth_application_id: str | None = None
    mailbox_move_published_scopes: list[str] = Field(default_factory=list)
    free_busy_access_enabled: bool = False
    free_busy_access_level: str | None = None
    free_busy_access_scope: str | None = None
    mail_tips_access_enabled: bool = False
    mail_tips_access_level: str | None = None
    mail_tips_access_scope: str | None = None
    archive_access_enabled: bool = False
    delivery_report_enabled: bool = False
    photos_enabled: bool = False
    organization_contact: str | None = None
    target_application_uri: str | None = None
    target_autodiscover_epr: str | None = None
    target_owa_url: str | None = None
    target_sharing_epr: str | None = None
    when_created: dt.datetime
    when_changed: dt.datetime


class AssignedLicense(_State):
    """One licence of a user (Graph ``assignedLicenses[]``) and how far its service plans
    have provisioned (exchange/licensing.py)."""

    sku_id: str
    disabled_plans: list[str] = Field(default_factory=list)
    assigned_date_time: dt.datetime = _EPOCH
    """When assignLicense added it (``assignedPlans[].assignedDateTime``)."""
    provisions_at: dt.datetime | None = None
    """Sandbox time at which its service plans finish provisioning (Graph shows them
    ``PendingInput`` until then, and Exchange has not reacted yet); None once provisioned
    (seeded licences are)."""


class User(_State):
    """One directory object: the Entra user (Graph, owned by the Graph surface) and, in
    `recipient`, its Exchange presence (owned by the Exchange surface, recipients.py)."""

    id: str
    user_principal_name: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    usage_location: str | None = None
    account_enabled: bool = True
    user_type: str = "Member"
    on_premises_sync_enabled: bool = False
    assigned_licenses: list[AssignedLicense] = Field(default_factory=list)
    recipient: Recipient | None = None
    created_date_time: dt.datetime = _EPOCH
    directory_roles: list[str] = Field(default_factory=list)
    """Template ids of the user's Entra directory roles (directory_roles.py): a delegated
    token carries them as ``wids`` (device_flow.py)."""
    deleted_date_time: dt.datetime | None = None
    """Set while the user is in `Tenant.deleted_users` (Graph user deletedDateTime)."""


class Sku(_State):
    """A subscribed SKU (GET /subscribedSkus); consumed units are counted from users."""

    sku_id: str
    sku_part_number: str
    prepaid_enabled: int
    service_plans: list[str] = Field(default_factory=list)
    service_plan_ids: dict[str, str] = Field(
        default_factory=dict, description="servicePlanName → servicePlanId"
    )


class Tenant(_State):
    """One tenant. `memo` caches derived read-only lists (e.g. every mailbox for a Get-
    page) until the state changes, so paging 50,000 mailboxes does not rescan the directory
    for each page of 1,000; `index` keeps users by key, current through every change, so
    looking one up does not scan them (user_index.py; sandbox-only, answers unchanged)."""

    _memo: dict[tuple[Any, ...], Any] = PrivateAttr(default_factory=dict)
    _indexes: dict[str, UserIndex[User]] = PrivateAttr(default_factory=dict)
    observes_changes: ClassVar[bool] = True

    def memo(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = build()
        value: T = self._memo[key]
        return value

    def forget(self) -> None:
        self._memo.clear()

    def index(
        self,
        name: str,
        keys: Callable[[User], Iterable[str]],
        tenant_fields: frozenset[str] = frozenset(),
    ) -> UserIndex[User]:
        """The index ``name`` of the users (made on first use, with ``keys`` and the fields
        of the tenant ``keys`` reads; one caller per name, so one key function)."""
        found = self._indexes.get(name)
        if found is None:
            found = self._indexes[name] = UserIndex(keys, tenant_fields)
        return found

    def changed_below(self, below: list[Any], kind: str, slot: Key | None) -> None:
        """Keeps the indexes current: a change beneath one user re-keys that user, an added
        user is keyed; anything else about the user list rebuilds them, and so does a new
        value of a tenant field an index's keys read (e.g. the initial domain in a
        DistinguishedName)."""
        indexes = self._indexes
        if not indexes or (below and below[0] is not self.users):
            return
        if not below:  # a field of the tenant itself
            for index in indexes.values():
                if slot == "users" or slot in index.tenant_fields:
                    index.drop()
            return
        if len(below) > 1 or (kind == "ins" and isinstance(slot, int)):
            user = below[1] if len(below) > 1 else self.users[slot]  # type: ignore[index]
            for index in indexes.values():
                index.changed(user)
            return
        for index in indexes.values():
            index.drop()

    name: str
    tenant_id: str
    display_name: str
    initial_domain: str
    domains: list[str]
    clients: list[Client]
    organization_config: OrganizationConfig
    cloud: str = "worldwide"
    """The Microsoft cloud it lives in (seed.py TenantSeed.cloud; identity.py)."""
    groups: list[Group] = Field(default_factory=list)
    mail_contacts: list[MailContact] = Field(default_factory=list)
    applications: list[Application] = Field(default_factory=list)
    organization_relationships: list[OrganizationRelationship] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    deleted_users: list[User] = Field(
        default_factory=list,
        description="Users deleted in Entra (Graph DELETE /users/{id}: 'moved to a temporary "
        "container and can be restored within 30 days'), apart so that nothing else sees them; "
        "their mailboxes are soft-deleted, inactive when on hold (Get-Mailbox "
        "-SoftDeletedMailbox / -InactiveMailboxOnly). The 30 days are not enforced.",
    )
    skus: list[Sku] = Field(default_factory=list)
    service_principals: list[ServicePrincipal] = Field(default_factory=list)
    app_role_assignments: list[AppRoleAssignment] = Field(default_factory=list)
    default_domain: str = ""
    unverified_domains: list[str] = Field(
        default_factory=list,
        description="Added but not verified (GET /domains isVerified false); see has_domain.",
    )
    accepted_domains: list[str] = Field(
        default_factory=list, description="Exchange accepted domains (default: all verified)."
    )
    # Exchange surface (moves/model.py): the move service lives in the pulling (target) tenant.
    migration_endpoints: list[MigrationEndpoint] = Field(default_factory=list)
    migration_batches: list[MigrationBatch] = Field(default_factory=list)
    move_service: MoveServiceSettings = Field(default_factory=MoveServiceSettings)
    azure: AzureState = Field(
        default_factory=AzureState,
        description="Subscriptions trusting this directory and what ARM and Key Vault hold "
        "in them (t2t/sandbox/azure/).",
    )
    display_concealed_names: bool = Field(
        default=True,
        description="GET /admin/reportSettings displayConcealedNames: usage reports conceal "
        "user names — Microsoft's default since 1 September 2021 (graph/handlers/reports.py).",
    )
    licences_provisioning: dict[str, dt.datetime] = Field(
        default_factory=dict,
        description="user id → earliest provisions_at of its licences still provisioning "
        "(exchange/licensing.py): the lazy pass looks only here, not at every user.",
    )

    def accepts_domain(self, value: str) -> bool:
        return value.lower() in self.accepted_domains

    def user(self, key: str) -> User | None:
        """A user by object id or userPrincipalName (case-insensitive), as /users/{key}."""
        k = key.lower()
        return next(
            (u for u in self._by_name(k) if u.id == k or u.user_principal_name.lower() == k),
            None,
        )

    def users_named(self, key: str) -> list[User]:
        """Users whose object id or userPrincipalName is ``key`` in any case, in directory
        order (from the index: a handler narrowing a filter by it, graph/handlers/users.py)."""
        return self._by_name(key.lower())

    def user_by_id(self, user_id: str) -> User | None:
        """The user whose object id is exactly ``user_id``."""
        return next((u for u in self._by_name(user_id.lower()) if u.id == user_id), None)

    def _by_name(self, key: str) -> list[User]:
        """Users whose id or UPN, lower-cased, is ``key``."""
        index = self.index("id-upn", lambda u: (u.id.lower(), u.user_principal_name.lower()))
        return index.lookup(self.users, key)

    def sku(self, key: str) -> Sku | None:
        """A subscribed SKU by skuId or skuPartNumber."""
        k = key.lower()
        return next((s for s in self.skus if s.sku_id == k or s.sku_part_number.lower() == k), None)

    def application(self, key: str) -> Application | None:
        """An app registration of this tenant by object id or appId."""
        k = key.lower()
        return next((a for a in self.applications if k in (a.id, a.app_id)), None)

    def service_principal(self, key: str) -> ServicePrincipal | None:
        """A service principal by object id or appId."""
        k = key.lower()
        return next((s for s in self.service_principals if k in (s.id, s.app_id)), None)

    def granted_roles(self, app_id: str, resource_app_id: str) -> list[str]:
        """Role values consented to app ``app_id`` on a resource, in this tenant (§3.3)."""
        client = self.service_principal(app_id)
        resource = self.service_principal(resource_app_id)
        if client is None or resource is None:
            return []
        by_id = {r.id: r.value for r in resource.app_roles}
        return [
            by_id[a.app_role_id]
            for a in self.app_role_assignments
            if a.principal_id == client.id
            and a.resource_id == resource.id
            and a.app_role_id in by_id
        ]

    def consumed_units(self, sku_id: str) -> int:
        """Seats in use: users holding the SKU (subscribedSku.consumedUnits)."""
        index = self.index("sku", lambda u: [a.sku_id for a in u.assigned_licenses])
        return index.count(self.users, sku_id)

    def has_domain(self, value: str) -> bool:
        return value.lower() in (d.lower() for d in self.domains)

    @property
    def admin_client(self) -> Client:
        return next(c for c in self.clients if c.is_admin_app)

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.clients if c.client_id.lower() == client_id.lower()), None)

    def config_dn(self, cn: str, container: str) -> str:
        """A DistinguishedName shaped like Exchange Online's configuration objects."""
        return (
            f"CN={cn},CN={container},CN=Configuration,CN={self.initial_domain},"
            "CN=ConfigurationUnits,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
        )


STATE_FORMAT = 2
"""Bumped whenever state.json's meaning changes; an older state directory is refused with
instructions instead of half-working (format 1 predates Graph, consent and certificates)."""


class SandboxState(_State):
    version: int = STATE_FORMAT
    tenants: list[Tenant]
    _generation: int = PrivateAttr(default=0)

    @property
    def generation(self) -> int:
        """Bumped on every change (StateStore.save, a move step); keys read caches."""
        return self._generation

    def bump(self) -> None:
        self._generation += 1
        for t in self.tenants:
            t.forget()

    def tenant_by_name(self, name: str) -> Tenant | None:
        return next((t for t in self.tenants if t.name == name), None)

    def tenant_by_domain(self, domain: str) -> Tenant | None:
        """The tenant one of whose domains this is; never by tenant id (see `resolve_tenant`)."""
        return next((t for t in self.tenants if t.has_domain(domain)), None)

    def resolve_tenant(self, segment: str) -> Tenant | None:
        """Find a tenant by GUID or by any of its domains (both appear in the wild, §1.2)."""
        key = segment.lower()
        for t in self.tenants:
            if t.tenant_id.lower() == key or t.has_domain(key):
                return t
        return None


MAILBOX_MOVE_CAPABILITY_BITS: dict[str, int] = {
    "None": 0,
    "Inbound": 1,
    "Outbound": 2,
    "RemoteInbound": 4,
    "RemoteOutbound": 8,
}
"""MailboxMoveCapability flag values in .NET ToString order (assumed; README "Open questions")."""


def _client(tenant: TenantSeed, c: ClientSeed, *, admin: bool) -> Client:
    return Client(
        client_id=c.clientId,
        display_name=c.displayName,
        service_principal_id=derived_guid(tenant.tenantId, "sp", c.clientId),
        app_roles={k.rstrip("/"): list(v) for k, v in c.appRoles.items()},
        exchange_role_groups=list(c.exchangeRoleGroups),
        directory_roles=[tid for r in c.directoryRoles if (tid := template_id(r)) is not None],
        exchange_removed_parameters={k: list(v) for k, v in c.exchangeRemovedParameters.items()},
        is_admin_app=admin,
    )


def tenant_from_seed(t: TenantSeed) -> Tenant:
    tenant = Tenant(
        name=t.name,
        tenant_id=t.tenantId.lower(),
        display_name=t.displayName,
        initial_domain=t.initialDomain.lower(),
        domains=[d.lower() for d in t.all_domains],
        unverified_domains=[d.lower() for d in t.unverifiedDomains],
        clients=[_client(t, t.adminApp, admin=True)]
        + [_client(t, c, admin=False) for c in t.clients],
        display_concealed_names=t.reports.displayConcealedNames,
        cloud=t.cloud,
        organization_config=OrganizationConfig(
            guid=t.organizationConfig.guid or derived_guid(t.tenantId, "organizationconfig"),
            is_dehydrated=t.organizationConfig.isDehydrated,
            in_place_holds=list(t.organizationConfig.inPlaceHolds),
            when_created=_EPOCH,
            when_changed=_EPOCH,
        ),
    )
    for g in t.groups:
        alias = g.alias or g.name
        tenant.groups.append(
            Group(
                guid=g.guid or derived_guid(t.tenantId, "group", g.name),
                name=g.name,
                display_name=g.displayName or g.name,
                alias=alias,
                primary_smtp_address=g.primarySmtpAddress or f"{alias}@{t.initialDomain}",
                recipient_type_details=g.recipientTypeDetails,
                distinguished_name=(
                    f"CN={g.name},OU={t.initialDomain},OU=Microsoft Exchange Hosted Organizations,"
                    "DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
                ),
                when_created=_EPOCH,
                when_changed=_EPOCH,
            )
        )
    for a in t.applications:
        tenant.applications.append(
            Application(
                id=a.id or derived_guid(t.tenantId, "application", a.appId),
                app_id=a.appId,
                display_name=a.displayName,
                sign_in_audience=a.signInAudience,
                web_redirect_uris=list(a.webRedirectUris),
                required_resource_access=[
                    RequiredResourceAccess(
                        resource_app_id=str(r["resourceAppId"]),
                        resource_access=[
                            ResourceAccess(id=str(x["id"]), type=str(x["type"]))
                            for x in r.get("resourceAccess", [])
                        ],
                    )
                    for r in a.requiredResourceAccess
                ],
            )
        )
    _seed_service_principals(t, tenant)
    for r in t.organizationRelationships:
        bits = 0
        for cap in r.mailboxMoveCapability:
            bits |= MAILBOX_MOVE_CAPABILITY_BITS[cap]
        tenant.organization_relationships.append(
            OrganizationRelationship(
                guid=derived_guid(t.tenantId, "orgrel", r.name),
                name=r.name,
                domain_names=list(r.domainNames),
                enabled=r.enabled,
                mailbox_move_enabled=r.mailboxMoveEnabled,
                mailbox_move_capability=bits,
                oauth_application_id=r.oauthApplicationId,
                mailbox_move_published_scopes=list(r.mailboxMovePublishedScopes),
                free_busy_access_enabled=r.freeBusyAccessEnabled,
                free_busy_access_level=r.freeBusyAccessLevel,
                when_created=_EPOCH,
                when_changed=_EPOCH,
            )
        )
    tenant.default_domain = (t.defaultDomain or t.initialDomain).lower()
    tenant.accepted_domains = [d.lower() for d in (t.acceptedDomains or t.all_domains)]
    for sku in t.subscribedSkus:
        tenant.skus.append(
            Sku(
                sku_id=sku.skuId.lower(),
                sku_part_number=sku.skuPartNumber,
                prepaid_enabled=sku.seats,
                service_plans=[p.servicePlanName for p in sku.servicePlans],
                service_plan_ids={p.servicePlanName: p.servicePlanId for p in sku.servicePlans},
            )
        )
    seeded = [(u, user_from_seed(t, tenant, u)) for u in t.users]
    tenant.users = [user for u, user in seeded if not u.deleted]
    tenant.deleted_users = [
        user.model_copy(update={"deleted_date_time": _EPOCH}) for u, user in seeded if u.deleted
    ]
    tenant.azure = azure_state_from_seed(
        t.azure,
        principal_id=lambda app_id: derived_guid(t.tenantId, "sp", app_id),
        assignment_name=lambda a: _assignment_name(t, a),
        created_at=_EPOCH,
    )
    return tenant


def _assignment_name(t: TenantSeed, a: RoleAssignmentSeed) -> str:
    return derived_guid(t.tenantId, "roleassignment", a.principal, a.role, a.scope)


def _seed_service_principals(t: TenantSeed, tenant: Tenant) -> None:
    """Microsoft's resource SPs, then each seeded client as an app registration + SP whose
    seeded ``appRoles`` become app role assignments (= admin consent, microsoft-t2t.md §3.3).
    Roles of resources without an SP here (ARM, Key Vault) stay in ``Client.app_roles``."""
    for r in RESOURCE_APPS:
        tenant.service_principals.append(
            ServicePrincipal(
                id=derived_guid(t.tenantId, "sp", r.app_id),
                app_id=r.app_id,
                display_name=r.display_name,
                app_owner_organization_id=MICROSOFT_SERVICES_TENANT,
                service_principal_names=list(r.service_principal_names),
                app_roles=[
                    AppRole(id=rid, value=value, display_name=value)
                    for value, rid in r.roles.items()
                ],
            )
        )
    for c in (t.adminApp, *t.clients):
        sp_id = derived_guid(t.tenantId, "sp", c.clientId)
        tenant.applications.append(
            Application(
                id=derived_guid(t.tenantId, "application", c.clientId),
                app_id=c.clientId.lower(),
                display_name=c.displayName,
                sign_in_audience="AzureADMyOrg",
            )
        )
        tenant.service_principals.append(
            ServicePrincipal(
                id=sp_id,
                app_id=c.clientId.lower(),
                display_name=c.displayName,
                app_owner_organization_id=t.tenantId.lower(),
                service_principal_names=[c.clientId.lower()],
            )
        )
        for uri, values in c.appRoles.items():
            resource = resource_by_audience(uri)
            if resource is None:
                continue
            resource_sp = derived_guid(t.tenantId, "sp", resource.app_id)
            for value in values:
                role_id = resource.roles.get(value)
                if role_id is None:
                    raise ValueError(f"{c.clientId}: {resource.display_name} has no role {value}")
                tenant.app_role_assignments.append(
                    AppRoleAssignment(
                        id=assignment_id(sp_id, role_id),
                        app_role_id=role_id,
                        principal_id=sp_id,
                        principal_display_name=c.displayName,
                        resource_id=resource_sp,
                        resource_display_name=resource.display_name,
                    )
                )


def assignment_id(principal_id: str, salt: str) -> str:
    """An appRoleAssignment id: 43 base64url characters, not a GUID (wire-protocols §2.2).
    Real ids encode the principal id; here: principal GUID bytes + a salt digest."""
    raw = uuid.UUID(principal_id).bytes + hashlib.sha256(salt.encode()).digest()[:16]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def user_from_seed(t: TenantSeed, tenant: Tenant, u: UserSeed) -> User:
    """A seeded user; ids derive from (tenant id, UPN) so every reset gives the same GUIDs."""
    upn = u.userPrincipalName
    recipient = None
    if u.exchange is not None:
        recipient = recipient_from_seed(
            u.exchange,
            tenant_id=tenant.tenant_id,
            initial_domain=tenant.initial_domain,
            default_domain=_mail_domain(tenant),
            upn=upn,
            display_name=u.displayName,
            mail=u.mail,
        )
    licenses = []
    for key in u.licenses:
        sku = tenant.sku(key)
        assert sku is not None  # checked by TenantSeed
        licenses.append(AssignedLicense(sku_id=sku.sku_id))
    return User(
        id=(u.id or derived_guid(t.tenantId, "user", upn)).lower(),
        user_principal_name=upn,
        display_name=u.displayName,
        given_name=u.givenName,
        surname=u.surname,
        mail=u.mail or (recipient.primary_smtp_address if recipient else None),
        usage_location=u.usageLocation,
        account_enabled=u.accountEnabled,
        user_type=u.userType,
        on_premises_sync_enabled=u.onPremisesSyncEnabled,
        assigned_licenses=licenses,
        directory_roles=[tid for r in u.directoryRoles if (tid := template_id(r)) is not None],
        recipient=recipient,
    )


def _mail_domain(tenant: Tenant) -> str:
    """Where new primary addresses go: the default domain, else the first custom domain."""
    if not tenant.default_domain.endswith(".onmicrosoft.com"):
        return tenant.default_domain
    custom = [d for d in tenant.domains if not d.endswith(".onmicrosoft.com")]
    return custom[0] if custom else tenant.initial_domain


def state_from_seed(seed: Seed) -> SandboxState:
    return SandboxState(tenants=[tenant_from_seed(t) for t in seed.tenants])
