"""Organization-level cmdlets: Get-OrganizationConfig and the OrganizationRelationship family.

Parameter sets from the cmdlet reference (MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/):
https://learn.microsoft.com/powershell/module/exchangepowershell/new-organizationrelationship
https://learn.microsoft.com/powershell/module/exchangepowershell/set-organizationrelationship
https://learn.microsoft.com/powershell/module/exchangepowershell/get-organizationrelationship
https://learn.microsoft.com/powershell/module/exchangepowershell/remove-organizationrelationship
https://learn.microsoft.com/powershell/module/exchangepowershell/get-organizationconfig
Cross-tenant rules: microsoft-t2t.md §3.5.
"""

from __future__ import annotations

from collections.abc import Iterable

from t2t.sandbox.exchange.cmdlets.common import find_group, require_group
from t2t.sandbox.exchange.errors import (
    ALREADY_EXISTS,
    DATA_VALIDATION,
    DOMAIN_CONTROLLER,
    CmdletError,
    not_found,
)
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, MultiUpdate, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.model import (
    MAILBOX_MOVE_CAPABILITY_BITS,
    OrganizationRelationship,
    Tenant,
    derived_guid,
)
from t2t.sandbox.moves.catalogue import spec

_NS = "Microsoft.Exchange.Data.Directory.SystemConfiguration"
CAPABILITY_TYPE = f"{_NS}.MailboxMoveCapability"
FREE_BUSY_LEVEL_TYPE = f"{_NS}.FreeBusyAccessLevel"
MAILTIPS_LEVEL_TYPE = f"{_NS}.MailTipsAccessLevel"
# The .NET namespaces of these enums are not documented (assumption, README.md, "Open questions").

CAPABILITY_NAMES = tuple(MAILBOX_MOVE_CAPABILITY_BITS)
_FOREST = "EURPR01A001.PROD.OUTLOOK.COM"


def _organization_id(tenant: Tenant) -> str:
    """Exchange Online's OrganizationId string for a tenant (shape from EXO output)."""
    hosted = f"{_FOREST}/Microsoft Exchange Hosted Organizations/{tenant.initial_domain}"
    return f"{hosted} - {_FOREST}/ConfigurationUnits/{tenant.initial_domain}/Configuration"


def capability_text(bits: int) -> str:
    """.NET [Flags] ToString: "None" for 0, else set names joined by ", " in value order."""
    if bits == 0:
        return "None"
    return ", ".join(n for n, b in MAILBOX_MOVE_CAPABILITY_BITS.items() if b and bits & b)


def _capability_bits(names: Iterable[str]) -> int:
    bits = 0
    for n in names:
        bits |= MAILBOX_MOVE_CAPABILITY_BITS[n]
    inbound, outbound = (
        MAILBOX_MOVE_CAPABILITY_BITS["Inbound"],
        MAILBOX_MOVE_CAPABILITY_BITS["Outbound"],
    )
    if bits & inbound and bits & outbound:
        # microsoft-365-docs #9972: "MailboxMoveCapability can only be either Inbound or
        # Outbound - not both directions". Text and exception type are assumptions.
        raise CmdletError(
            400,
            DATA_VALIDATION,
            "MailboxMoveCapability can't contain both Inbound and Outbound. A relationship "
            "allows mailbox moves in one direction only.",
        )
    return bits


def _relationship_params(*, new: bool) -> tuple[Param, ...]:
    multi = "Microsoft.Exchange.Data.MultiValuedProperty"
    group = "Microsoft.Exchange.Configuration.Tasks.GroupIdParameter"
    uri = "System.Uri"
    common: tuple[Param, ...] = (
        Param("ArchiveAccessEnabled", Kind.BOOL, "System.Boolean"),
        CONFIRM,
        Param("DeliveryReportEnabled", Kind.BOOL, "System.Boolean"),
        DC_PARAM,
        Param("DomainNames", Kind.MULTI, multi, mandatory=new, updatable=not new),
        Param("Enabled", Kind.BOOL, "System.Boolean"),
        Param("FreeBusyAccessEnabled", Kind.BOOL, "System.Boolean"),
        Param(
            "FreeBusyAccessLevel",
            Kind.ENUM,
            FREE_BUSY_LEVEL_TYPE,
            choices=("None", "AvailabilityOnly", "LimitedDetails"),
        ),
        Param("FreeBusyAccessScope", dotnet_type=group),
        Param("MailboxMoveCapability", Kind.FLAGS, CAPABILITY_TYPE, choices=CAPABILITY_NAMES),
        Param("MailboxMoveEnabled", Kind.BOOL, "System.Boolean"),
        Param("MailboxMovePublishedScopes", Kind.MULTI, multi, updatable=not new),
        Param("MailTipsAccessEnabled", Kind.BOOL, "System.Boolean"),
        Param(
            "MailTipsAccessLevel",
            Kind.ENUM,
            MAILTIPS_LEVEL_TYPE,
            choices=("None", "Limited", "All"),
        ),
        Param("MailTipsAccessScope", dotnet_type=group),
        Param("OAuthApplicationId"),
        Param("OrganizationContact", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
        Param("PhotosEnabled", Kind.BOOL, "System.Boolean"),
        Param("TargetApplicationUri", dotnet_type=uri),
        Param("TargetAutodiscoverEpr", dotnet_type=uri),
        Param("TargetOwaURL", dotnet_type=uri),
        Param("TargetSharingEpr", dotnet_type=uri),
        WHATIF,
    )
    if new:
        return (Param("Name", mandatory=True), *common)
    identity = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.OrganizationRelationshipIdParameter",
        mandatory=True,
    )
    return (identity, *common, Param("Force", Kind.SWITCH), Param("Name"))


def find_relationship(tenant: Tenant, identity: str) -> OrganizationRelationship | None:
    """OrganizationRelationshipIdParameter: name, canonical name or GUID (PSDOC)."""
    key = identity.strip().lower()
    for r in tenant.organization_relationships:
        canonical = f"{tenant.initial_domain}/configuration/federation/{r.name}".lower()
        if key in {
            r.name.lower(),
            r.guid.lower(),
            canonical,
            tenant.config_dn(r.name, "Federation").lower(),
        }:
            return r
    return None


def _require_relationship(tenant: Tenant, identity: str) -> OrganizationRelationship:
    rel = find_relationship(tenant, identity)
    if rel is None:
        raise not_found(identity)
    return rel


def relationship_record(tenant: Tenant, r: OrganizationRelationship) -> Record:
    """Output of Get-OrganizationRelationship (property names per the Exchange object)."""
    dn = tenant.config_dn(r.name, "Federation")
    return {
        "DomainNames": strings(r.domain_names),
        "FreeBusyAccessEnabled": r.free_busy_access_enabled,
        "FreeBusyAccessLevel": enum_value(r.free_busy_access_level or "None", FREE_BUSY_LEVEL_TYPE),
        "FreeBusyAccessScope": r.free_busy_access_scope,
        "MailboxMoveEnabled": r.mailbox_move_enabled,
        "MailboxMoveCapability": enum_value(
            capability_text(r.mailbox_move_capability), CAPABILITY_TYPE
        ),
        "OAuthApplicationId": r.oauth_application_id,
        "MailboxMovePublishedScopes": strings(r.mailbox_move_published_scopes),
        "DeliveryReportEnabled": r.delivery_report_enabled,
        "MailTipsAccessEnabled": r.mail_tips_access_enabled,
        "MailTipsAccessLevel": enum_value(r.mail_tips_access_level or "None", MAILTIPS_LEVEL_TYPE),
        "MailTipsAccessScope": r.mail_tips_access_scope,
        "PhotosEnabled": r.photos_enabled,
        "TargetApplicationUri": r.target_application_uri,
        "TargetSharingEpr": r.target_sharing_epr,
        "TargetOwaURL": r.target_owa_url,
        "TargetAutodiscoverEpr": r.target_autodiscover_epr,
        "OrganizationContact": r.organization_contact,
        "Enabled": r.enabled,
        "ArchiveAccessEnabled": r.archive_access_enabled,
        "AdminDisplayName": "",
        "ExchangeVersion": "0.10 (14.0.100.0)",
        "Name": r.name,
        "DistinguishedName": dn,
        "Identity": r.name,
        "ObjectCategory": f"{_FOREST}/Configuration/Schema/ms-Exch-Fed-Sharing-Relationship",
        "ObjectClass": strings(["top", "msExchFedSharingRelationship"]),
        "WhenChanged": date(r.when_changed),
        "WhenCreated": date(r.when_created),
        "WhenChangedUTC": date(r.when_changed),
        "WhenCreatedUTC": date(r.when_created),
        "OrganizationId": _organization_id(tenant),
        "Id": r.name,
        "Guid": guid(r.guid),
        "OriginatingServer": DOMAIN_CONTROLLER,
        "IsValid": True,
        "ObjectState": "Unchanged",
    }


def _check_domains(tenant: Tenant, domains: list[str], *, exclude: str | None) -> None:
    """One domain (or tenant id) may belong to one relationship only.

    Supported by microsoft-365-docs #9972 ("you can only mention a remote domain name in
    a single policy"); the exception type and text are assumptions (README.md, "Open questions").
    """
    for r in tenant.organization_relationships:
        if exclude is not None and r.guid == exclude:
            continue
        for d in domains:
            if d.lower() in (x.lower() for x in r.domain_names):
                raise CmdletError(
                    400,
                    DATA_VALIDATION,
                    f"The domain '{d}' is already used by organization relationship "
                    f"'{r.name}'. A domain can be specified in only one organization relationship.",
                )


def _check_name(tenant: Tenant, name: str, *, exclude: str | None) -> None:
    """Names are unique (PSDOC-OR: "the unique name"); Exchange's generic AD duplicate text."""
    if len(name) > 64:
        raise CmdletError(
            400,
            DATA_VALIDATION,
            f"The length of the property is too long. The maximum length is 64 and the length "
            f"of the value provided is {len(name)}.",
        )
    for r in tenant.organization_relationships:
        if r.name.lower() == name.lower() and r.guid != exclude:
            raise CmdletError(
                400,
                ALREADY_EXISTS,
                f"Active Directory operation failed on {DOMAIN_CONTROLLER}. The object "
                f"'{tenant.config_dn(name, 'Federation')}' already exists.",
            )


def _published_scopes(inv: Invocation, identities: list[str]) -> list[str]:
    """Resolve scope groups; non-security groups are dropped with Exchange's warning.

    microsoft-t2t.md §3.5 and microsoft-365-docs #4812: "Access scope specified '<name>'
    is not a security group. This scope will not be added to the organization
    relationship." — the command still succeeds. A missing group is
    ManagementObjectNotFoundException (GroupIdParameter resolution).
    """
    out: list[str] = []
    for identity in identities:
        group = require_group(inv.tenant, identity)
        if not group.is_mail_enabled_security:
            inv.warnings.append(
                f"Access scope specified '{identity}' is not a security group. This scope will "
                "not be added to the organization relationship."
            )
            continue
        if group.name not in out:
            out.append(group.name)
    return out


def _group_name_or(tenant: Tenant, identity: str) -> str:
    group = find_group(tenant, identity)
    return group.name if group else identity


def _apply(inv: Invocation, rel: OrganizationRelationship) -> None:
    """Copy every passed setting onto ``rel`` (shared by New- and Set-)."""
    p = inv.params
    simple = {
        "Enabled": "enabled",
        "MailboxMoveEnabled": "mailbox_move_enabled",
        "OAuthApplicationId": "oauth_application_id",
        "FreeBusyAccessEnabled": "free_busy_access_enabled",
        "FreeBusyAccessLevel": "free_busy_access_level",
        "MailTipsAccessEnabled": "mail_tips_access_enabled",
        "MailTipsAccessLevel": "mail_tips_access_level",
        "ArchiveAccessEnabled": "archive_access_enabled",
        "DeliveryReportEnabled": "delivery_report_enabled",
        "PhotosEnabled": "photos_enabled",
        "OrganizationContact": "organization_contact",
        "TargetApplicationUri": "target_application_uri",
        "TargetAutodiscoverEpr": "target_autodiscover_epr",
        "TargetOwaURL": "target_owa_url",
        "TargetSharingEpr": "target_sharing_epr",
    }
    for param, attr in simple.items():
        if param in p:
            value = p.get(param)
            if attr.endswith("_enabled") and value is None:
                value = False
            setattr(rel, attr, value)
    for param, attr in (
        ("FreeBusyAccessScope", "free_busy_access_scope"),
        ("MailTipsAccessScope", "mail_tips_access_scope"),
    ):
        if param in p:
            value = p.get(param)
            setattr(rel, attr, require_group(inv.tenant, value).name if value else None)
    if "MailboxMoveCapability" in p:
        names = p.get("MailboxMoveCapability") or ()
        rel.mailbox_move_capability = _capability_bits(names)
    if "MailboxMovePublishedScopes" in p:
        value = p.get("MailboxMovePublishedScopes")
        if isinstance(value, MultiUpdate):
            added = _published_scopes(inv, list(value.add))
            removed = [_group_name_or(inv.tenant, r) for r in value.remove]
            rel.mailbox_move_published_scopes = MultiUpdate(tuple(added), tuple(removed)).apply(
                rel.mailbox_move_published_scopes
            )
        else:
            rel.mailbox_move_published_scopes = _published_scopes(inv, list(value or []))


def get_organization_config(inv: Invocation) -> list[Record]:
    t = inv.tenant
    cfg = t.organization_config
    return [
        {
            "Name": t.initial_domain.split(".")[0],
            "DisplayName": t.display_name,
            "Identity": t.initial_domain.split(".")[0],
            "Guid": guid(cfg.guid),
            "IsDehydrated": cfg.is_dehydrated,
            # organization-wide retention policies (Learn "identify-a-hold-on-an-exchange-
            # online-mailbox": Get-OrganizationConfig | FL InPlaceHolds)
            "InPlaceHolds": strings(cfg.in_place_holds),
            # Purview "Enable auto-expanding archiving": Get-OrganizationConfig | FL
            # AutoExpandingArchiveEnabled
            "AutoExpandingArchiveEnabled": cfg.auto_expanding_archive_enabled,
            "ExchangeVersion": "0.20 (15.0.0.0)",
            "DistinguishedName": f"CN={t.initial_domain.split('.')[0]},CN=Microsoft Exchange,"
            f"CN=Services,CN=Configuration,CN={t.initial_domain},CN=ConfigurationUnits,"
            "DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM",
            "OrganizationId": t.initial_domain,
            "MicrosoftExchangeRecipientPrimarySmtpAddress": (
                f"MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@{t.initial_domain}"
            ),
            "WhenChanged": date(cfg.when_changed),
            "WhenCreated": date(cfg.when_created),
            "WhenChangedUTC": date(cfg.when_changed),
            "WhenCreatedUTC": date(cfg.when_created),
        }
    ]


def require_hydrated(tenant: Tenant) -> None:
    """A dehydrated organization refuses relationship and endpoint changes until
    Enable-OrganizationCustomization runs (microsoft-365-docs #7403, §3.5)."""
    if tenant.organization_config.is_dehydrated:
        s = spec("InvalidOperationInDehydratedContextException")
        raise CmdletError(400, s.full_type, s.template)


def enable_organization_customization(inv: Invocation) -> list[Record]:
    """Hydrates once; again → "This operation is not required…" (office-docs-powershell #6497)."""
    cfg = inv.tenant.organization_config
    if not cfg.is_dehydrated:
        s = spec("OrganizationAlreadyCustomized")
        raise CmdletError(400, s.full_type, s.template)
    if not inv.what_if:
        cfg.is_dehydrated = False
        cfg.when_changed = inv.now
    return []


def get_accepted_domain(inv: Invocation) -> list[Record]:
    """Get-AcceptedDomain: one row per accepted domain, all Authoritative (cloud-only
    tenants; https://learn.microsoft.com/powershell/module/exchangepowershell/get-accepteddomain).
    ``Default`` marks the tenant's default domain, ``InitialDomain`` the onmicrosoft one."""
    t = inv.tenant
    identity = inv.params.get("Identity")
    domains = list(t.accepted_domains)
    if identity:
        domains = [d for d in domains if d == str(identity).lower()]
        if not domains:
            raise not_found(identity)
    out: list[Record] = []
    for d in domains:
        out.append(
            {
                "DomainName": d,
                "DomainType": enum_value("Authoritative", f"{_NS}.AcceptedDomainType"),
                "Default": d == (t.default_domain or t.initial_domain),
                "InitialDomain": d == t.initial_domain,
                "MatchSubDomains": False,
                "AddressBookEnabled": True,
                "IsCoexistenceDomain": d.endswith(".mail.onmicrosoft.com"),
                "EmailOnly": False,
                "AuthenticationType": enum_value("Managed", f"{_NS}.AuthenticationType"),
                "Name": d,
                "Identity": d,
                "Id": d,
                "DistinguishedName": t.config_dn(d, "Transport Settings,CN=Accepted Domains"),
                "Guid": guid(derived_guid(t.tenant_id, "accepteddomain", d)),
                "WhenChangedUTC": date(t.organization_config.when_changed),
                "WhenCreatedUTC": date(t.organization_config.when_created),
                "OrganizationId": _organization_id(t),
                "IsValid": True,
            }
        )
    return out


def get_organization_relationship(inv: Invocation) -> list[Record]:
    identity = inv.params.get("Identity")
    t = inv.tenant
    if identity:  # $null Identity returns everything (PSDOC caution)
        rel = _require_relationship(t, identity)
        if not inv.visible(rel.guid):  # not replicated yet (faults.py lag)
            raise not_found(identity)
        return [relationship_record(t, rel)]
    return [relationship_record(t, r) for r in t.organization_relationships if inv.visible(r.guid)]


def new_organization_relationship(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    name: str = p.get("Name")
    domains: list[str] = p.get("DomainNames") or []
    if not domains:
        raise CmdletError(
            400,
            "System.Management.Automation.ParameterBindingValidationException",
            "Cannot validate argument on parameter 'DomainNames'. The argument is null or empty. "
            "Provide an argument that is not null or empty, and then try the command again.",
            error_id="",
        )
    require_hydrated(t)
    _check_name(t, name, exclude=None)
    _check_domains(t, domains, exclude=None)
    rel = OrganizationRelationship(
        guid=derived_guid(t.tenant_id, "orgrel", name, inv.now.isoformat()),
        name=name,
        domain_names=list(dict.fromkeys(domains)),
        when_created=inv.now,
        when_changed=inv.now,
    )
    _apply(inv, rel)
    if not inv.what_if:
        t.organization_relationships.append(rel)
        inv.created(rel.guid)
    return [] if inv.what_if else [relationship_record(t, rel)]


def set_organization_relationship(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    current = _require_relationship(t, p.get("Identity"))
    require_hydrated(t)
    rel = current.model_copy(deep=True)
    if "Name" in p and p.get("Name"):
        _check_name(t, p.get("Name"), exclude=rel.guid)
        rel.name = p.get("Name")
    if "DomainNames" in p:
        value = p.get("DomainNames")
        domains = (
            value.apply(rel.domain_names) if isinstance(value, MultiUpdate) else list(value or [])
        )
        _check_domains(t, domains, exclude=rel.guid)
        rel.domain_names = domains
    _apply(inv, rel)
    if rel == current:
        # Exchange's warning when a Set- cmdlet changes nothing.
        inv.warnings.append(
            f"The command completed successfully but no settings of '{current.name}' have been "
            "modified."
        )
        return []
    if not inv.what_if:
        rel.when_changed = inv.now
        index = t.organization_relationships.index(current)
        t.organization_relationships[index] = rel
    return []


def remove_organization_relationship(inv: Invocation) -> list[Record]:
    t = inv.tenant
    rel = _require_relationship(t, inv.params.get("Identity"))
    if not inv.what_if:
        t.organization_relationships.remove(rel)
    return []


def register(registry: Registry) -> None:
    identity_opt = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.OrganizationRelationshipIdParameter",
    )
    registry.add(
        CmdletSpec(
            "Get-OrganizationConfig",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.OrganizationIdParameter",
                ),
                DC_PARAM,
            ),
            get_organization_config,
        )
    )
    registry.add(
        CmdletSpec(
            "Enable-OrganizationCustomization",
            (CONFIRM, WHATIF),
            enable_organization_customization,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-AcceptedDomain",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.AcceptedDomainIdParameter",
                ),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
            ),
            get_accepted_domain,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-OrganizationRelationship",
            (identity_opt, DC_PARAM),
            get_organization_relationship,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "New-OrganizationRelationship",
            _relationship_params(new=True),
            new_organization_relationship,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-OrganizationRelationship",
            _relationship_params(new=False),
            set_organization_relationship,
        )
    )
    registry.add(
        CmdletSpec(
            "Remove-OrganizationRelationship",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.OrganizationRelationshipIdParameter",
                    mandatory=True,
                ),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            remove_organization_relationship,
        )
    )
