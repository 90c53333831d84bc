"""Azure Resource Manager at the sandbox's root: ``/subscriptions/...`` as azure-mgmt sends it.

One catch-all route dispatches on regular expressions because ARM routes case-insensitively
(``resourcegroups`` and ``resourceGroups`` are the same, wire-protocols.md §0.3). Every request
goes through the same steps, in ARM's order: ``api-version`` present (any value is accepted,
§0.3), the bearer token (``caller.py``), the subscription (unknown → 404 SubscriptionNotFound;
trusting another tenant than the token's → 401 InvalidAuthenticationTokenTenant), then the
handler, which authorizes the action at its scope from the tenant's role assignments
(``roles.py``) before it looks at the resource — ARM answers AuthorizationFailed before it
says whether a resource exists.

Handlers: subscriptions and resource groups here, vaults in ``arm_vaults``, role assignments
in ``arm_roles``. Writes are counted as writes and GET/HEAD as reads in the sandbox's stats.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.azure import roles
from t2t.sandbox.azure.caller import Caller, arm_caller
from t2t.sandbox.azure.errors import (
    AzureError,
    arm_headers,
    authorization_failed,
    bad_request,
    resource_group_not_found,
    subscription_not_found,
)
from t2t.sandbox.azure.model import AzureState, ResourceGroup
from t2t.sandbox.context import SandboxContext, context_of
from t2t.sandbox.model import Tenant
from t2t.sandbox.stats import Kind

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"


@dataclass
class ArmCall:
    """One ARM request, authenticated."""

    ctx: SandboxContext
    caller: Caller
    method: str
    path: str
    api_version: str
    body: Any
    match: re.Match[str]
    query: dict[str, str]

    @property
    def now(self) -> dt.datetime:
        return self.ctx.clock.now()

    def param(self, name: str) -> str:
        return self.match.group(name)

    def subscription_tenant(self, subscription_id: str | None = None) -> Tenant:
        """The tenant whose directory the subscription trusts, which must be the caller's."""
        sub = (subscription_id or self.param("sub")).lower()
        owner = next(
            (t for t in self.ctx.store.state.tenants if t.azure.subscription(sub) is not None),
            None,
        )
        if owner is None:
            raise subscription_not_found(sub)
        if owner.tenant_id != self.caller.tid:
            # Verbatim as ARM answers a token of another directory (widely reported, e.g.
            # Azure/azure-cli #19232).
            raise AzureError(
                401,
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer 'https://sts.windows.net/"
                f"{self.caller.tid}/'. It must match the tenant 'https://sts.windows.net/"
                f"{owner.tenant_id}/' associated with this subscription. Please use the "
                f"authority (URL) 'https://login.windows.net/{owner.tenant_id}' to get the "
                "token. Note, if the subscription is transferred to another tenant there is no "
                "impact to the services, but information about new tenant could take time to "
                "propagate (up to an hour). If you just transferred your subscription and see "
                "this error message, please try back later.",
            )
        return owner

    def authorize(self, azure: AzureState, action: str, scope: str) -> None:
        if not roles.allowed(azure.role_assignments, self.caller.oid, action, scope):
            raise authorization_failed(self.caller.oid, action, scope)

    def json_object(self, what: str = "request") -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise AzureError(
                400,
                "InvalidRequestContent",
                f"The {what} content was invalid and could not be deserialized: a JSON object "
                "is required.",
            )
        return self.body

    def save(self) -> None:
        self.ctx.store.save()


Handler = Callable[[ArmCall], Response]


@dataclass(frozen=True)
class ArmRoute:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    template: str
    """The operation as the stats count it (method + path template)."""
    handler: Handler


def arm_route(methods: str, pattern: str, template: str, handler: Handler) -> ArmRoute:
    return ArmRoute(
        frozenset(methods.split()),
        re.compile(f"^{pattern}$", re.IGNORECASE),
        template,
        handler,
    )


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers={**arm_headers(), **(headers or {})})


# -- subscriptions -----------------------------------------------------------------------


def _subscription_json(tenant: Tenant, sub_id: str) -> dict[str, Any]:
    sub = tenant.azure.subscription(sub_id)
    assert sub is not None
    return {
        "id": f"/subscriptions/{sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "tenantId": tenant.tenant_id,
        "displayName": sub.display_name,
        "state": sub.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


def list_subscriptions(call: ArmCall) -> Response:
    """The subscriptions the caller holds a role in (Subscriptions - List)."""
    tenant = call.ctx.store.state.resolve_tenant(call.caller.tid)
    value = []
    if tenant is not None:
        for s in tenant.azure.subscriptions:
            scope = f"/subscriptions/{s.subscription_id}"
            if roles.has_any_role(tenant.azure.role_assignments, call.caller.oid, scope):
                value.append(_subscription_json(tenant, s.subscription_id))
    return ok({"value": value})


def get_subscription(call: ArmCall) -> Response:
    """A subscription the caller cannot see is not found, as Subscriptions - Get answers."""
    tenant = call.subscription_tenant()
    scope = f"/subscriptions/{call.param('sub').lower()}"
    if not roles.has_any_role(tenant.azure.role_assignments, call.caller.oid, scope):
        raise subscription_not_found(call.param("sub"))
    return ok(_subscription_json(tenant, call.param("sub")))


# -- resource groups (Resource Groups REST, api 2025-04-01 as azure-mgmt-resource sends) ----

RG_READ = "Microsoft.Resources/subscriptions/resourceGroups/read"
RG_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
_RG_NAME = re.compile(r"^[-\w._()]{1,90}$")


def resource_group_json(g: ResourceGroup) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": g.id,
        "name": g.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": g.location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if g.tags:
        out["tags"] = g.tags
    return out


def _rg_scope(call: ArmCall) -> str:
    return f"/subscriptions/{call.param('sub').lower()}/resourcegroups/{call.param('rg')}"


def require_resource_group(call: ArmCall, azure: AzureState) -> ResourceGroup:
    group = azure.resource_group(call.param("sub"), call.param("rg"))
    if group is None:
        raise resource_group_not_found(call.param("rg"))
    return group


def put_resource_group(call: ArmCall) -> Response:
    """Create or update: 201 when new, 200 when it existed (not long-running, §4)."""
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, RG_WRITE, _rg_scope(call))
    body = call.json_object()
    name = call.param("rg")
    if not _RG_NAME.match(name) or name.endswith("."):
        raise bad_request(
            f"Resource group name '{name}' is invalid: up to 90 letters, digits, underscores, "
            "hyphens, periods and parentheses, not ending in a period.",
            code="InvalidResourceGroupName",
        )
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise bad_request(
            "The location property is required for this definition.", "LocationRequired"
        )
    tags = body.get("tags") or {}
    with call.ctx.store.lock:
        group = tenant.azure.resource_group(call.param("sub"), name)
        if group is not None:
            if _location(group.location) != _location(location):
                raise AzureError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already "
                    f"exists in location '{group.location}'.",
                )
            group.tags = {str(k): str(v) for k, v in tags.items()}
            call.save()
            return ok(resource_group_json(group))
        group = ResourceGroup(
            subscription_id=call.param("sub").lower(),
            name=name,
            location=_location(location),
            tags={str(k): str(v) for k, v in tags.items()},
            created_at=call.now,
        )
        tenant.azure.resource_groups.append(group)
        call.save()
    return ok(resource_group_json(group), 201)


def get_resource_group(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    call.authorize(tenant.azure, RG_READ, _rg_scope(call))
    group = require_resource_group(call, tenant.azure)
    if call.method == "HEAD":
        return Response(status_code=204, headers=arm_headers())
    return ok(resource_group_json(group))


def list_resource_groups(call: ArmCall) -> Response:
    tenant = call.subscription_tenant()
    sub = call.param("sub").lower()
    value = [
        resource_group_json(g)
        for g in tenant.azure.resource_groups
        if g.subscription_id == sub
        and roles.allowed(tenant.azure.role_assignments, call.caller.oid, RG_READ, g.id)
    ]
    return ok({"value": value})


def _location(value: str) -> str:
    """ARM's location names: "North Europe" and "northeurope" are the same region."""
    return value.replace(" ", "").lower()


location_name = _location


# -- the route ---------------------------------------------------------------------------


def _all_routes() -> list[ArmRoute]:
    from t2t.sandbox.azure import arm_roles, arm_vaults

    return [
        arm_route("GET", "/subscriptions", "GET /subscriptions", list_subscriptions),
        arm_route("GET", _SUB, "GET /subscriptions/{subscriptionId}", get_subscription),
        *arm_roles.ROUTES,
        arm_route(
            "GET",
            _SUB + "/resourcegroups",
            "GET /subscriptions/{subscriptionId}/resourcegroups",
            list_resource_groups,
        ),
        arm_route(
            "PUT",
            _RG,
            "PUT /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}",
            put_resource_group,
        ),
        arm_route(
            "GET HEAD",
            _RG,
            "GET /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}",
            get_resource_group,
        ),
        *arm_vaults.ROUTES,
    ]


_ROUTES: list[ArmRoute] = []


def _find(method: str, path: str) -> tuple[ArmRoute, re.Match[str]] | None:
    if not _ROUTES:
        _ROUTES.extend(_all_routes())
    for route in _ROUTES:
        m = route.pattern.match(path)
        if m is not None and method in route.methods:
            return route, m
    return None


async def dispatch(request: Request) -> Response:
    ctx = context_of(request)
    method, path = request.method.upper(), request.url.path.rstrip("/") or "/"
    found = _find(method, path)
    kind: Kind = "read" if method in ("GET", "HEAD") else "write"
    try:
        caller = arm_caller(request, ctx.signer)
    except AzureError as exc:
        ctx.stats.record("arm", method=method)
        return exc.response()
    tenant = ctx.store.state.resolve_tenant(caller.tid)
    if found is None:
        ctx.stats.record("arm", tenant=tenant.name if tenant else None, method=method)
        return AzureError(
            404,
            "InvalidResourceType",
            f"The t2t sandbox does not emulate {method} {path}.",
        ).response()
    route, match = found
    ctx.stats.record(
        "arm",
        tenant=tenant.name if tenant else None,
        kind=kind,
        method=method,
        operation=route.template,
    )
    api_version = request.query_params.get("api-version")
    if not api_version:
        return AzureError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ).response()
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        return AzureError(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        ).response()
    call = ArmCall(ctx, caller, method, path, api_version, body, match, dict(request.query_params))
    try:
        return route.handler(call)
    except AzureError as exc:
        exc.headers = {**arm_headers(), **exc.headers}
        return exc.response()


_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"]

routes = [
    Route("/subscriptions", dispatch, methods=_METHODS),
    Route("/subscriptions/{rest:path}", dispatch, methods=_METHODS),
]
