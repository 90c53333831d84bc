"""Parsers from Graph JSON to the observed directory model (pure)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from t2t.probes.values import as_bool, as_list
from t2t.state.directory import (
    Application,
    AppRoleAssignment,
    DirectoryUser,
    Domain,
    KeyCredential,
    PasswordCredential,
    ResourceAccess,
    ServicePrincipal,
    SubscribedSku,
)

USER_SELECT = (
    "id,userPrincipalName,displayName,mail,usageLocation,assignedLicenses,"
    "onPremisesSyncEnabled,userType,proxyAddresses,provisionedPlans"
)
#: provisioningStatus values of a plan its service has not provisioned for this user:
#: PendingInput "isn't provisioned and is awaiting service confirmation", Error "isn't
#: provisioned and is in an error state" (provisionedPlan resource type,
#: https://learn.microsoft.com/graph/api/resources/provisionedplan). PendingProvisioning is
#: tenant-wide ("Microsoft has added a new service to the product SKU") and PendingActivation
#: waits for an administrator; neither is this user's licence still provisioning.
UNPROVISIONED = frozenset({"pendinginput", "error"})
APPLICATION_SELECT = (
    "id,appId,displayName,signInAudience,requiredResourceAccess,web,passwordCredentials,"
    "keyCredentials,uniqueName"
)
SERVICE_PRINCIPAL_SELECT = "id,appId,displayName,appOwnerOrganizationId,appRoles"


def parse_domain(d: dict[str, Any]) -> Domain:
    return Domain(
        name=str(d.get("id") or "").lower(),
        is_verified=as_bool(d.get("isVerified")),
        is_initial=as_bool(d.get("isInitial")),
        is_default=as_bool(d.get("isDefault")),
    )


def parse_sku(s: dict[str, Any]) -> SubscribedSku:
    """subscribedSku: seats, and the service plans the licence gives (`servicePlans`, each a
    servicePlanInfo with its `servicePlanName`; subscribedSku resource type,
    https://learn.microsoft.com/graph/api/resources/subscribedsku)."""
    prepaid = s.get("prepaidUnits") or {}
    listed = s.get("servicePlans")
    plans = (
        [p.get("servicePlanName") for p in listed if isinstance(p, dict)]
        if isinstance(listed, list)
        else []
    )
    return SubscribedSku(
        sku_id=str(s.get("skuId") or "").lower(),
        sku_part_number=str(s.get("skuPartNumber") or ""),
        enabled=int(prepaid.get("enabled") or 0),
        consumed=int(s.get("consumedUnits") or 0),
        service_plans=tuple(str(p) for p in plans if p),
    )


def _thumbprint(key: str | None) -> str | None:
    """SHA-1 of a keyCredential's DER (`key`, base64), upper-case hex; None without one."""
    if not key:
        return None
    try:
        der = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"keyCredential key is not base64: {exc}") from None
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def parse_key_credential(k: dict[str, Any]) -> KeyCredential:
    """One keyCredential; `key` only from a single app's `$select=keyCredentials`."""
    key = k.get("key")
    return KeyCredential(
        key_id=str(k.get("keyId") or "").lower(),
        display_name=k.get("displayName"),
        type=str(k.get("type") or ""),
        usage=str(k.get("usage") or ""),
        start=k.get("startDateTime"),
        end=k.get("endDateTime"),
        custom_key_identifier=k.get("customKeyIdentifier"),
        thumbprint=_thumbprint(key),
        key=str(key) if key else None,
    )


def parse_application(a: dict[str, Any]) -> Application:
    access = tuple(
        ResourceAccess(
            resource_app_id=str(entry.get("resourceAppId") or "").lower(),
            permission_id=str(item.get("id") or "").lower(),
            type=str(item.get("type") or ""),
        )
        for entry in a.get("requiredResourceAccess") or []
        for item in entry.get("resourceAccess") or []
    )
    web = a.get("web") or {}
    return Application(
        object_id=str(a.get("id") or ""),
        app_id=str(a.get("appId") or "").lower(),
        display_name=str(a.get("displayName") or ""),
        sign_in_audience=str(a.get("signInAudience") or ""),
        required_resource_access=access,
        redirect_uris=as_list(web.get("redirectUris")),
        password_credentials=tuple(
            PasswordCredential(
                key_id=str(p.get("keyId") or ""),
                display_name=p.get("displayName"),
                end=p.get("endDateTime"),
            )
            for p in a.get("passwordCredentials") or []
        ),
        key_credential_count=len(a.get("keyCredentials") or []),
        unique_name=str(a["uniqueName"]) if a.get("uniqueName") else None,
        key_credentials=tuple(parse_key_credential(k) for k in a.get("keyCredentials") or []),
    )


def parse_service_principal(s: dict[str, Any]) -> ServicePrincipal:
    owner = s.get("appOwnerOrganizationId")
    return ServicePrincipal(
        id=str(s.get("id") or ""),
        app_id=str(s.get("appId") or "").lower(),
        display_name=str(s.get("displayName") or ""),
        app_owner_organization_id=str(owner).lower() if owner else None,
        app_roles=tuple(
            (str(r.get("value") or ""), str(r.get("id") or "").lower())
            for r in s.get("appRoles") or []
        ),
    )


def parse_assignment(a: dict[str, Any]) -> AppRoleAssignment:
    return AppRoleAssignment(
        id=str(a.get("id") or ""),
        principal_id=str(a.get("principalId") or ""),
        resource_id=str(a.get("resourceId") or ""),
        app_role_id=str(a.get("appRoleId") or "").lower(),
    )


def parse_user(u: dict[str, Any]) -> DirectoryUser:
    return DirectoryUser(
        id=str(u.get("id") or ""),
        user_principal_name=str(u.get("userPrincipalName") or ""),
        display_name=str(u.get("displayName") or ""),
        mail=u.get("mail"),
        usage_location=u.get("usageLocation"),
        sku_ids=frozenset(
            str(lic.get("skuId") or "").lower() for lic in u.get("assignedLicenses") or []
        ),
        on_premises_sync_enabled=as_bool(u.get("onPremisesSyncEnabled")),
        user_type=str(u.get("userType") or "Member"),
        proxy_addresses=as_list(u.get("proxyAddresses")),
        exchange_provisioning=tuple(
            str(p.get("provisioningStatus"))
            for p in u.get("provisionedPlans") or []
            if isinstance(p, dict)
            and str(p.get("service") or "").lower() == "exchange"
            and str(p.get("provisioningStatus") or "").lower() in UNPROVISIONED
        ),
    )
