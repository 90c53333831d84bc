"""Graph handlers: the organization, its domains and subscribed SKUs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import bad_request, not_found
from t2t.sandbox.graph.handlers._common import _NO_HEADERS, _ctx_url, _one, _page
from t2t.sandbox.graph.odata import parse_select

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


# -- organization, domains, SKUs ----------------------------------------------------------


def list_organization(req: GReq) -> Result:
    """organization-list: one-element ``value`` whose ``id`` is the tenant id (§2.6)."""
    return _page(
        req,
        [views.organization_json(req.tenant)],
        entity="Organization",
        context="organization",
        filterable={"id"},
    )


def get_organization(req: GReq) -> Result:
    if req.params["id"].lower() != req.tenant.tenant_id:
        raise not_found(req.params["id"])
    return _one(req, views.organization_json(req.tenant), "organization/$entity")


def list_domains(req: GReq) -> Result:
    """domain-list (§2.6)."""
    every = [*req.tenant.domains, *req.tenant.unverified_domains]
    items = [views.domain_json(req.tenant, d) for d in every]
    return _page(
        req,
        items,
        entity="Domain",
        context="domains",
        filterable={"id", "isDefault", "isInitial", "isVerified"},
    )


def get_domain(req: GReq) -> Result:
    d = req.params["id"].lower()
    if not req.tenant.has_domain(d) and d not in req.tenant.unverified_domains:
        raise not_found(req.params["id"])
    return _one(req, views.domain_json(req.tenant, d), "domains/$entity")


def list_skus(req: GReq) -> Result:
    """subscribedsku-list: only ``$select`` is supported (§2.4)."""
    for k in req.query:
        if k not in ("$select",):
            raise bad_request(f"Query option '{k}' is not allowed.", "Request_UnsupportedQuery")
    items = [views.sku_json(req.tenant, s) for s in req.tenant.skus]
    fields = parse_select(req.query.get("$select"))
    return (
        200,
        {
            "@odata.context": _ctx_url(req, "subscribedSkus"),
            "value": [views.select(o, fields, None) for o in items],
        },
        _NO_HEADERS,
    )
