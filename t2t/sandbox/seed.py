"""The seed file: the documented YAML that describes the tenants a sandbox starts with.

Why a seed: tests and the demo need two realistic tenants (source and target of a
cross-tenant move, microsoft-t2t.md §1) without anyone owning a real tenant. The
models here are the single source of truth for the format; the JSON Schema committed
at ``schemas/sandbox-seed.schema.json`` is generated from them (``seed_json_schema``)
and a test fails when the two drift apart.

A tenant's users (``users:``) carry their directory side here (UPN, usageLocation,
licences) and their Exchange side in ``exchange:`` (``seed_exchange.RecipientSeed``,
owned by the Exchange surface). Subscribed SKUs (``subscribedSkus:``) give seat counts.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from t2t.sandbox.azure.seed import AzureSeed
from t2t.sandbox.directory_roles import TEMPLATE_IDS, template_id
from t2t.sandbox.msapps import EXCHANGE_APP_ID, GRAPH_APP_ID
from t2t.sandbox.seed_errors import SeedError, validation_error, yaml_error
from t2t.sandbox.seed_exchange import RecipientSeed

_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_DOMAIN = r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"

EXCHANGE_RESOURCE = "https://outlook.office365.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"

RecipientTypeDetails = Literal[
    "MailUniversalSecurityGroup",
    "MailUniversalDistributionGroup",
    "MailNonUniversalGroup",
    "RoomList",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def known_roles(roles: list[str]) -> list[str]:
    """Directory roles by a name or template id the sandbox knows (directory_roles.py)."""
    unknown = [r for r in roles if template_id(r) is None]
    if unknown:
        raise ValueError(
            f"unknown directory roles {unknown}; the sandbox knows {sorted(TEMPLATE_IDS)}"
        )
    return roles


class ClientSeed(_Model):
    """A confidential client (app registration + service principal) that can get tokens."""

    clientId: str = Field(pattern=_GUID, description="Application (client) ID.")
    displayName: str = "t2t administration"
    appRoles: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Application permissions consented in this tenant, keyed by resource URI, e.g. "
            "{'https://outlook.office365.com': ['Exchange.ManageAsApp']}. They become the "
            "token's `roles` claim for that resource."
        ),
    )
    exchangeRoleGroups: list[str] = Field(
        default_factory=list,
        description=(
            "Exchange RBAC role groups the app's service principal belongs to. "
            "'Organization Management' allows every cmdlet; "
            "'View-Only Organization Management' allows Get-/Test- cmdlets."
        ),
    )
    directoryRoles: list[str] = Field(
        default_factory=list,
        description=(
            "Entra directory roles assigned to the app's service principal, by display name or "
            "template id: "
            + ", ".join(f"'{n}' ({i})" for n, i in TEMPLATE_IDS.items())
            + ". Their template ids become the `wids` claim of the app's Exchange tokens; "
            "Exchange and Global Administrator allow every cmdlet, Global Reader the "
            "Get-/Test- cmdlets."
        ),
    )

    exchangeRemovedParameters: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Per cmdlet, parameters none of the app's Exchange role entries holds, e.g. "
            "{'Set-MailUser': ['ExchangeGuid', 'ArchiveGuid']}: its role groups hold custom "
            "copies of their roles, made with Set-ManagementRoleEntry "
            "'<role>\\Set-MailUser' -Parameters ExchangeGuid,ArchiveGuid -RemoveParameter "
            "(an Exchange or Global Administrator directory role gives them back). Exchange "
            "binds the cmdlet as if they did not exist (NamedParameterNotFound) and "
            "the module file's function for it lacks them."
        ),
    )

    @field_validator("directoryRoles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        return known_roles(roles)


class GroupSeed(_Model):
    """A mail-enabled group as Exchange sees it (Get-DistributionGroup)."""

    name: str = Field(min_length=1, max_length=64)
    displayName: str | None = None
    alias: str | None = Field(default=None, pattern=r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
    primarySmtpAddress: str | None = None
    recipientTypeDetails: RecipientTypeDetails
    guid: str | None = Field(default=None, pattern=_GUID)


class ApplicationSeed(_Model):
    """An Entra app registration (Graph /applications) without a service principal."""

    appId: str = Field(pattern=_GUID)
    displayName: str
    id: str | None = Field(default=None, pattern=_GUID, description="Object ID.")
    signInAudience: Literal["AzureADMyOrg", "AzureADMultipleOrgs"] = "AzureADMultipleOrgs"
    webRedirectUris: list[str] = Field(default_factory=list)
    requiredResourceAccess: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Graph shape: [{resourceAppId, resourceAccess: [{id, type}]}].",
    )


class OrganizationConfigSeed(_Model):
    """Exchange organization settings read by Get-OrganizationConfig."""

    isDehydrated: bool = False
    guid: str | None = Field(default=None, pattern=_GUID)
    inPlaceHolds: list[str] = Field(
        default_factory=list,
        description="Organization-wide retention policies as Get-OrganizationConfig "
        "InPlaceHolds lists them, e.g. 'mbx<32 hex>:2' (Exchange mailboxes; Purview, 'How to "
        "identify the type of hold placed on an Exchange Online mailbox'); a mailbox is "
        "excluded by '-mbx<32 hex>' in its own inPlaceHolds.",
    )


class ReportsSeed(_Model):
    """The tenant's Microsoft 365 report settings (GET /admin/reportSettings)."""

    displayConcealedNames: bool = Field(
        default=True,
        description="Usage reports conceal user names: Microsoft's default since 1 September "
        "2021 ('Privacy changes to Microsoft 365 Usage Analytics').",
    )


class OrganizationRelationshipSeed(_Model):
    """An organization relationship that exists before t2t runs (e.g. free/busy sharing)."""

    name: str = Field(min_length=1, max_length=64)
    domainNames: list[str] = Field(min_length=1)
    enabled: bool = True
    mailboxMoveEnabled: bool = False
    mailboxMoveCapability: list[
        Literal["None", "Inbound", "Outbound", "RemoteInbound", "RemoteOutbound"]
    ] = Field(default_factory=list)
    oauthApplicationId: str | None = None
    mailboxMovePublishedScopes: list[str] = Field(default_factory=list)
    freeBusyAccessEnabled: bool = False
    freeBusyAccessLevel: Literal["None", "AvailabilityOnly", "LimitedDetails"] | None = None


class ServicePlanSeed(_Model):
    """A service plan of a SKU (subscribedSku.servicePlans[])."""

    servicePlanId: str = Field(pattern=_GUID)
    servicePlanName: str


class SkuSeed(_Model):
    """A subscribed SKU with its seats (GET /subscribedSkus, microsoft-t2t.md §5)."""

    skuId: str = Field(pattern=_GUID)
    skuPartNumber: str
    seats: int = Field(ge=0, description="prepaidUnits.enabled")
    servicePlans: list[ServicePlanSeed] = Field(default_factory=list)


class UserSeed(_Model):
    """A directory user (Graph /users) and, in ``exchange``, its Exchange recipient."""

    userPrincipalName: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    displayName: str = Field(min_length=1, max_length=256)
    id: str | None = Field(default=None, pattern=_GUID, description="Object id (derived).")
    givenName: str | None = None
    surname: str | None = None
    mail: str | None = Field(default=None, description="Default: the mailbox's primary SMTP.")
    usageLocation: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    accountEnabled: bool = True
    userType: Literal["Member", "Guest"] = "Member"
    onPremisesSyncEnabled: bool = False
    licenses: list[str] = Field(
        default_factory=list, description="skuPartNumber or skuId of subscribedSkus."
    )
    exchange: RecipientSeed | None = None
    directoryRoles: list[str] = Field(
        default_factory=list,
        description="Entra directory roles the user holds, by name or template id "
        "(directory_roles.py): what a delegated sign-in as this user may do.",
    )
    deleted: bool = Field(
        default=False,
        description=(
            "Deleted in Entra (Graph DELETE /users/{id}; restorable from Deleted users): absent "
            "from /users and Get-Mailbox. Its mailbox is soft-deleted (Get-Mailbox "
            "-SoftDeletedMailbox) and, when it is on a hold (litigationHoldEnabled, "
            "inPlaceHolds), inactive (Get-Mailbox -InactiveMailboxOnly)."
        ),
    )

    @field_validator("directoryRoles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        return known_roles(roles)


class TenantSeed(_Model):
    """One Microsoft 365 tenant."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$", description="Short handle used by tests.")
    tenantId: str = Field(pattern=_GUID)
    displayName: str
    initialDomain: str = Field(pattern=r"^[a-z0-9-]+\.onmicrosoft\.com$")
    domains: list[str] = Field(
        default_factory=list, description="Further verified domains (the initial one is implied)."
    )
    defaultDomain: str | None = Field(
        default=None, description="The default domain (GET /domains isDefault); default: initial."
    )
    unverifiedDomains: list[str] = Field(
        default_factory=list,
        description=(
            "Domains added to the tenant but not verified (GET /domains isVerified false): no "
            "UPN and no accepted domain may use them (Graph user resource, userPrincipalName)."
        ),
    )
    acceptedDomains: list[str] | None = Field(
        default=None,
        description=(
            "Exchange accepted domains (Get-AcceptedDomain); default: every verified domain. "
            "Licensing scrubs proxies outside them (microsoft-t2t.md §4)."
        ),
    )
    cloud: Literal["worldwide", "gcc", "gcchigh", "dod"] = Field(
        default="worldwide",
        description=(
            "The Microsoft cloud the tenant lives in, as its OpenID configuration says "
            "(cloud_instance_name, tenant_region_scope, tenant_region_sub_scope: identity.py). "
            "GCC runs in the worldwide cloud; a tenant in another cloud than its partner cannot "
            "be reached by a migration endpoint."
        ),
    )
    adminApp: ClientSeed = Field(description="t2t's own app-only identity in this tenant.")
    clients: list[ClientSeed] = Field(
        default_factory=list,
        description="Further confidential clients (e.g. under-privileged ones for tests).",
    )
    organizationConfig: OrganizationConfigSeed = OrganizationConfigSeed()
    reports: ReportsSeed = ReportsSeed()
    groups: list[GroupSeed] = Field(default_factory=list)
    applications: list[ApplicationSeed] = Field(default_factory=list)
    organizationRelationships: list[OrganizationRelationshipSeed] = Field(default_factory=list)
    subscribedSkus: list[SkuSeed] = Field(default_factory=list)
    users: list[UserSeed] = Field(default_factory=list)
    azure: AzureSeed = Field(
        default_factory=AzureSeed,
        description=(
            "The tenant's Azure (issue 12): subscriptions trusting this directory and the "
            "built-in roles its apps hold there (t2t/sandbox/azure/seed.py)."
        ),
    )

    @field_validator("domains", "unverifiedDomains")
    @classmethod
    def _domains_valid(cls, v: list[str]) -> list[str]:
        for d in v:
            if not re.match(_DOMAIN, d):
                raise ValueError(f"not a domain name: {d!r}")
        return v

    @model_validator(mode="after")
    def _users_consistent(self) -> TenantSeed:
        domains = {d.lower() for d in self.all_domains}
        both = sorted(domains & {d.lower() for d in self.unverifiedDomains})
        if both:
            raise ValueError(f"{both[0]!r} is listed as verified and as unverified")
        for extra in (self.defaultDomain, *(self.acceptedDomains or [])):
            if extra is not None and extra.lower() not in domains:
                raise ValueError(f"{extra!r} is not one of the tenant's domains")
        skus = {s.skuPartNumber.lower() for s in self.subscribedSkus}
        skus |= {s.skuId.lower() for s in self.subscribedSkus}
        upns: set[str] = set()
        for u in self.users:
            upn = u.userPrincipalName.lower()
            if upn in upns:
                raise ValueError(f"duplicate userPrincipalName in tenant {self.name}: {upn}")
            upns.add(upn)
            if "#ext#" not in upn and upn.rsplit("@", 1)[1] not in domains:
                raise ValueError(f"{u.userPrincipalName}: UPN domain is not a tenant domain")
            for lic in u.licenses:
                if lic.lower() not in skus:
                    raise ValueError(f"{u.userPrincipalName}: unknown licence {lic!r}")
        principals = {c.clientId.lower() for c in (self.adminApp, *self.clients)}
        principals |= {EXCHANGE_APP_ID, GRAPH_APP_ID}
        for i, a in enumerate(self.azure.roleAssignments):
            if a.principal.lower() not in principals:
                raise ValueError(
                    f"azure.roleAssignments[{i}].principal: {a.principal} is not the adminApp "
                    f"or a client of tenant {self.name} (nor Office 365 Exchange Online or "
                    "Microsoft Graph)"
                )
        return self

    @property
    def all_domains(self) -> list[str]:
        """Initial domain first, then the others, without duplicates."""
        out = [self.initialDomain]
        out += [d for d in self.domains if d.lower() != self.initialDomain.lower()]
        return out


class Seed(_Model):
    """A sandbox seed file (``version: 1``)."""

    version: Literal[1] = 1
    tenants: list[TenantSeed] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Seed:
        seen: dict[str, set[str]] = {
            "name": set(),
            "tenantId": set(),
            "domain": set(),
            "app": set(),
            "subscription": set(),
        }
        for t in self.tenants:
            keys = {
                "name": [t.name],
                "tenantId": [t.tenantId.lower()],
                "domain": [d.lower() for d in t.all_domains],
                "app": [c.clientId.lower() for c in (t.adminApp, *t.clients)],
                "subscription": [s.subscriptionId.lower() for s in t.azure.subscriptions],
            }
            for kind, values in keys.items():
                for value in values:
                    if value in seen[kind]:
                        raise ValueError(f"duplicate {kind} in seed: {value}")
                    seen[kind].add(value)
        return self


def load_seed(path: Path | None = None) -> Seed:
    """Load and validate a seed file; ``None`` means the packaged default seed. A file that
    does not load raises ``SeedError`` with FILE:LINE:COLUMN for each problem."""
    if path is None:
        text = (
            importlib.resources.files("t2t.sandbox")
            .joinpath("default_seed.yaml")
            .read_text(encoding="utf-8")
        )
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SeedError(f"{path}: cannot read the seed ({exc})") from exc
    # libyaml's safe loader when PyYAML has it: a 50,000-mailbox seed loads in seconds, not
    # minutes; the result is the same as yaml.safe_load's.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    source = path or Path("default_seed.yaml")
    try:
        data: Any = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc) from exc
    try:
        return Seed.model_validate(data)
    except ValidationError as exc:
        raise validation_error(source, text, exc) from exc


def seed_fingerprint(seed: Seed) -> str:
    """A canonical JSON rendering, used to tell whether two seeds are the same."""
    return json.dumps(seed.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def seed_json_schema() -> dict[str, Any]:
    """The JSON Schema of the seed format (committed at schemas/sandbox-seed.schema.json)."""
    schema = Seed.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://t2t.invalid/schemas/sandbox-seed.schema.json"
    return schema
