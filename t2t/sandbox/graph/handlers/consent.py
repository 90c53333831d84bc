"""Graph handlers: service principals and consent (app role assignments)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import bad_request, not_found
from t2t.sandbox.graph.handlers._common import (
    _NO_HEADERS,
    _body,
    _created,
    _ctx_url,
    _not_replicated,
    _one,
    _page,
    _visible,
)
from t2t.sandbox.graph.odata import key_literal
from t2t.sandbox.model import (
    AppRoleAssignment,
    ServicePrincipal,
    assignment_id,
)

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


# -- service principals and consent ---------------------------------------------------------------

SP_FILTERABLE = {
    "id",
    "appId",
    "displayName",
    "servicePrincipalNames",
    "appOwnerOrganizationId",
    "servicePrincipalType",
}


def _sp(req: GReq) -> ServicePrincipal:
    p = req.params
    if "alt" in p:
        key = key_literal(p["lit"]).lower()
        s = next((s for s in req.tenant.service_principals if s.app_id == key), None)
        label = f"appId='{key}'"
    else:
        s = next((s for s in req.tenant.service_principals if s.id == p["id"].lower()), None)
        label = p["id"]
    if s is None or not _visible(req, s.id):
        raise not_found(label)
    return s


def list_service_principals(req: GReq) -> Result:
    """serviceprincipal-list.md."""
    items = [
        views.service_principal_json(s)
        for s in req.tenant.service_principals
        if _visible(req, s.id)
    ]
    return _page(
        req, items, entity="ServicePrincipal", context="servicePrincipals", filterable=SP_FILTERABLE
    )


def get_service_principal(req: GReq) -> Result:
    return _one(req, views.service_principal_json(_sp(req)), "servicePrincipals/$entity")


def create_service_principal(req: GReq) -> Result:
    """serviceprincipal-post-serviceprincipals.md (§2.2): ``{"appId"}`` → 201. For another
    tenant's app only when it is multi-tenant; ``appOwnerOrganizationId`` = its home
    tenant. Creating it grants nothing: consent is appRoleAssignedTo (§3.3)."""
    app_id = str(_body(req).get("appId", "")).lower()
    home, app = None, None
    for t in req.ctx.store.state.tenants:
        a = t.application(app_id) if app_id else None
        if a is not None and a.app_id == app_id:
            home, app = t, a
            break
    if (
        app is None
        or home is None
        or (home is not req.tenant and app.sign_in_audience == "AzureADMyOrg")
    ):
        raise bad_request(
            f"The appId '{app_id}' of the service principal does not reference a valid "
            "application object.",
            "Request_BadRequest",
        )
    if req.tenant.service_principal(app_id) is not None:
        raise bad_request(
            "Another object with the same value for property servicePrincipalNames already exists.",
            "Request_MultipleObjectsWithSameKeyValue",
        )
    sp = ServicePrincipal(
        id=str(uuid.uuid4()),
        app_id=app_id,
        display_name=app.display_name,
        app_owner_organization_id=home.tenant_id,
        service_principal_names=[app_id],
        created_date_time=req.ctx.clock.now().replace(microsecond=0),
    )
    req.tenant.service_principals.append(sp)
    _created(req, sp.id)
    return (
        201,
        {
            "@odata.context": _ctx_url(req, "servicePrincipals/$entity"),
            **views.service_principal_json(sp),
        },
        _NO_HEADERS,
    )


def delete_service_principal(req: GReq) -> Result:
    s = _sp(req)
    t = req.tenant
    t.service_principals = [x for x in t.service_principals if x.id != s.id]
    t.app_role_assignments = [
        a for a in t.app_role_assignments if s.id not in (a.principal_id, a.resource_id)
    ]
    return 204, None, _NO_HEADERS


def list_assigned_to(req: GReq) -> Result:
    """serviceprincipal-list-approleassignedto.md: grants *on* this resource."""
    s = _sp(req)
    items = [
        views.assignment_json(a) for a in req.tenant.app_role_assignments if a.resource_id == s.id
    ]
    return _page(
        req,
        items,
        entity="AppRoleAssignment",
        context=f"servicePrincipals('{s.id}')/appRoleAssignedTo",
        filterable={"principalId", "appRoleId", "resourceId"},
    )


def list_assignments(req: GReq) -> Result:
    """serviceprincipal-list-approleassignments.md: grants *to* this principal."""
    s = _sp(req)
    items = [
        views.assignment_json(a) for a in req.tenant.app_role_assignments if a.principal_id == s.id
    ]
    return _page(
        req,
        items,
        entity="AppRoleAssignment",
        context=f"servicePrincipals('{s.id}')/appRoleAssignments",
        filterable={"principalId", "appRoleId", "resourceId"},
    )


def _grant(
    req: GReq, *, principal: ServicePrincipal | None, resource: ServicePrincipal | None
) -> Result:
    """serviceprincipal-post-approleassignedto.md (§2.2): 201; the role must be one of the
    resource's appRoles ("Permission being assigned was not found on application …"); a
    repeat is refused ("Permission being assigned already exists on the object"); a
    principal created moments ago may not resolve yet (replication.py)."""
    body = _body(req)
    t = req.tenant
    by_url = principal is not None
    principal = principal or t.service_principal(str(body.get("principalId", "")))
    resource = resource or t.service_principal(str(body.get("resourceId", "")))
    if principal is None:
        raise not_found(str(body.get("principalId", "")))
    if resource is None:
        raise not_found(str(body.get("resourceId", "")))
    if _not_replicated(req, "grant", principal.id):
        # A principal created moments ago (replication.py): named in the URL it is itself
        # not found (404); named in the body it is a reference that does not resolve (400).
        if by_url:
            raise not_found(principal.id)
        raise bad_request("Not a valid reference update.", "Request_BadRequest")
    if (
        str(body.get("principalId", "")).lower() != principal.id
        or str(body.get("resourceId", "")).lower() != resource.id
    ):
        raise bad_request(
            "The principalId and resourceId must match the request URL and body.",
            "Request_BadRequest",
        )
    role_id = str(body.get("appRoleId", "")).lower()
    if role_id not in {r.id for r in resource.app_roles}:
        raise bad_request(
            f"Permission being assigned was not found on application '{resource.app_id}'.",
            "Request_BadRequest",
        )
    if any(
        a.principal_id == principal.id and a.resource_id == resource.id and a.app_role_id == role_id
        for a in t.app_role_assignments
    ):
        raise bad_request(
            "Permission being assigned already exists on the object", "Request_BadRequest"
        )
    a = AppRoleAssignment(
        id=assignment_id(principal.id, f"{resource.id}/{role_id}"),
        app_role_id=role_id,
        principal_id=principal.id,
        principal_display_name=principal.display_name,
        resource_id=resource.id,
        resource_display_name=resource.display_name,
        created_date_time=req.ctx.clock.now().replace(microsecond=0),
    )
    t.app_role_assignments.append(a)
    return (
        201,
        {
            "@odata.context": _ctx_url(
                req, f"servicePrincipals('{resource.id}')/appRoleAssignedTo/$entity"
            ),
            **views.assignment_json(a),
        },
        _NO_HEADERS,
    )


def grant(req: GReq) -> Result:
    return _grant(req, principal=None, resource=_sp(req))


def grant_as_principal(req: GReq) -> Result:
    return _grant(req, principal=_sp(req), resource=None)


def revoke(req: GReq) -> Result:
    s = _sp(req)
    aid = req.params["assignment"]
    t = req.tenant
    if not any(a.id == aid and a.resource_id == s.id for a in t.app_role_assignments):
        raise not_found(aid)
    t.app_role_assignments = [a for a in t.app_role_assignments if a.id != aid]
    return 204, None, _NO_HEADERS
