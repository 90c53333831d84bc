"""JSON renderings of directory objects, with the properties Graph v1.0 returns.

Property sets follow the v1.0 resource pages (user, group, application,
servicePrincipal, appRoleAssignment, organization, domain, subscribedSku); defaults of
``GET /users`` are the eleven of wire-protocols.md §2.4.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from t2t.sandbox.exchange.licensing import plan_disabled, provisioning_status, service_of
from t2t.sandbox.model import (
    Application,
    AppRoleAssignment,
    Group,
    ServicePrincipal,
    Sku,
    Tenant,
    User,
)

USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plans(t: Tenant, u: User) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``assignedPlans`` and ``provisionedPlans`` (user resource type; both "Returned only on
    $select"): every enabled plan of the user's licences, ``capabilityStatus`` Enabled from
    assignment on, ``provisioningStatus`` PendingInput until the licence has provisioned and
    Success after (exchange/licensing.py cites the statuses)."""
    assigned: list[dict[str, Any]] = []
    provisioned: list[dict[str, Any]] = []
    for lic in u.assigned_licenses:
        sku = t.sku(lic.sku_id)
        if sku is None:
            continue
        for name in sku.service_plans:
            if plan_disabled(sku, lic, name):
                continue
            service = service_of(name)
            assigned.append(
                {
                    "assignedDateTime": iso(lic.assigned_date_time),
                    "capabilityStatus": "Enabled",
                    "service": service,
                    "servicePlanId": sku.service_plan_ids.get(name, ""),
                }
            )
            provisioned.append(
                {
                    "capabilityStatus": "Enabled",
                    "provisioningStatus": provisioning_status(sku, lic, name),
                    "service": service,
                }
            )
    return assigned, provisioned


def user_json(u: User, tenant: Tenant | None = None) -> dict[str, Any]:
    """Every property the sandbox knows of a user (``$select`` picks from these); the plan
    views need the user's ``tenant`` (its SKUs' service plans)."""
    r = u.recipient
    assigned, provisioned = _plans(tenant, u) if tenant is not None else ([], [])
    return {
        "id": u.id,
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": u.given_name,
        "jobTitle": None,
        "mail": u.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": u.surname,
        "userPrincipalName": u.user_principal_name,
        "accountEnabled": u.account_enabled,
        "usageLocation": u.usage_location,
        "userType": u.user_type,
        "mailNickname": r.alias if r else u.user_principal_name.split("@")[0],
        "onPremisesSyncEnabled": True if u.on_premises_sync_enabled else None,
        "proxyAddresses": list(r.email_addresses) if r else [],
        "assignedLicenses": [
            {"disabledPlans": list(a.disabled_plans), "skuId": a.sku_id}
            for a in u.assigned_licenses
        ],
        "assignedPlans": assigned,
        "provisionedPlans": provisioned,
        "createdDateTime": iso(u.created_date_time),
        "otherMails": [],
    }


def group_json(g: Group) -> dict[str, Any]:
    """Exchange-made groups as Graph shows them: mail-enabled, not Unified (§2.5)."""
    return {
        "id": g.guid,
        "displayName": g.display_name,
        "description": None,
        "groupTypes": [],
        "mail": g.primary_smtp_address,
        "mailEnabled": True,
        "mailNickname": g.alias,
        "securityEnabled": g.is_mail_enabled_security,
        "onPremisesSyncEnabled": None,
        "proxyAddresses": [f"SMTP:{g.primary_smtp_address}"],
        "createdDateTime": iso(g.when_created),
        "visibility": None,
    }


def application_json(a: Application, *, with_keys: bool = False) -> dict[str, Any]:
    """``keyCredentials[].key`` only under ``$select=keyCredentials`` of a single object (§2.1;
    a list never carries it)."""
    return {
        "id": a.id,
        "appId": a.app_id,
        "displayName": a.display_name,
        "uniqueName": a.unique_name,
        "signInAudience": a.sign_in_audience,
        "createdDateTime": iso(a.created_date_time),
        "requiredResourceAccess": [
            {
                "resourceAppId": r.resource_app_id,
                "resourceAccess": [{"id": x.id, "type": x.type} for x in r.resource_access],
            }
            for r in a.required_resource_access
        ],
        "passwordCredentials": [
            {
                "customKeyIdentifier": None,
                "displayName": p.display_name,
                "endDateTime": iso(p.end_date_time),
                "hint": p.hint,
                "keyId": p.key_id,
                "secretText": None,
                "startDateTime": iso(p.start_date_time),
            }
            for p in a.password_credentials
        ],
        "keyCredentials": [
            {
                "customKeyIdentifier": k.custom_key_identifier,
                "displayName": k.display_name,
                "endDateTime": iso(k.end_date_time),
                "key": k.key if with_keys else None,
                "keyId": k.key_id,
                "startDateTime": iso(k.start_date_time),
                "type": k.type,
                "usage": k.usage,
            }
            for k in a.key_credentials
        ],
        "web": {
            "redirectUris": list(a.web_redirect_uris),
            "homePageUrl": None,
            "logoutUrl": None,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
        },
        "appRoles": [],
        "identifierUris": [],
    }


def service_principal_json(s: ServicePrincipal) -> dict[str, Any]:
    return {
        "id": s.id,
        "appId": s.app_id,
        "displayName": s.display_name,
        "appDisplayName": s.display_name,
        "accountEnabled": True,
        "appOwnerOrganizationId": s.app_owner_organization_id,
        "servicePrincipalNames": list(s.service_principal_names),
        "servicePrincipalType": s.service_principal_type,
        "appRoles": [
            {
                "allowedMemberTypes": list(r.allowed_member_types),
                "description": r.description or r.display_name,
                "displayName": r.display_name,
                "id": r.id,
                "isEnabled": True,
                "origin": "Application",
                "value": r.value,
            }
            for r in s.app_roles
        ],
        "oauth2PermissionScopes": [],
        "createdDateTime": iso(s.created_date_time),
    }


def assignment_json(a: AppRoleAssignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "deletedDateTime": None,
        "appRoleId": a.app_role_id,
        "createdDateTime": iso(a.created_date_time),
        "principalDisplayName": a.principal_display_name,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "resourceDisplayName": a.resource_display_name,
        "resourceId": a.resource_id,
    }


def _domains(t: Tenant) -> list[str]:
    return list(t.domains)


def organization_json(t: Tenant) -> dict[str, Any]:
    return {
        "id": t.tenant_id,
        "displayName": t.display_name,
        "tenantType": "AAD",
        "countryLetterCode": "US",
        "createdDateTime": "2024-01-01T00:00:00Z",
        "onPremisesSyncEnabled": True if any(u.on_premises_sync_enabled for u in t.users) else None,
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": d == t.default_domain,
                "isInitial": d == t.initial_domain,
                "name": d,
                "type": "Managed",
            }
            for d in _domains(t)
        ],
    }


def domain_json(t: Tenant, d: str) -> dict[str, Any]:
    """domain (Graph v1.0): an unverified domain is listed with isVerified false and no
    supported services (they are set once it is verified)."""
    verified = t.has_domain(d)
    return {
        "authenticationType": "Managed",
        "availabilityStatus": None,
        "id": d,
        "isAdminManaged": True,
        "isDefault": d == t.default_domain,
        "isInitial": d == t.initial_domain,
        "isRoot": True,
        "isVerified": verified,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"] if verified else [],
    }


def sku_json(t: Tenant, s: Sku) -> dict[str, Any]:
    """subscribedSku (wire-protocols.md §2.4): consumedUnits counted from the users."""
    return {
        "accountName": t.display_name,
        "accountId": t.tenant_id,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": t.consumed_units(s.sku_id),
        "id": f"{t.tenant_id}_{s.sku_id}",
        "prepaidUnits": {
            "enabled": s.prepaid_enabled,
            "lockedOut": 0,
            "suspended": 0,
            "warning": 0,
        },
        "servicePlans": [
            {
                "servicePlanId": s.service_plan_ids.get(name, ""),
                "servicePlanName": name,
                "provisioningStatus": "Success",
                "appliesTo": "User",
            }
            for name in s.service_plans
        ],
        "skuId": s.sku_id,
        "skuPartNumber": s.sku_part_number,
        "subscriptionIds": [],
    }


def select(
    obj: dict[str, Any], fields: list[str] | None, default: tuple[str, ...] | None
) -> dict[str, Any]:
    if fields is None:
        return obj if default is None else {k: obj[k] for k in default}
    out = {k: obj[k] for k in fields if k in obj}
    return out
