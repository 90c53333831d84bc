"""Graph handlers: directoryObjects/getByIds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import GraphError, bad_request
from t2t.sandbox.graph.handlers._common import _NO_HEADERS, _body, _ctx_url, _visible

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


# -- directoryObjects/getByIds ---------------------------------------------------------------------


def get_by_ids(req: GReq) -> Result:
    """directoryobject-getbyids.md: a POST that only reads (≤ 1000 ids)."""
    body = _body(req)
    ids = body.get("ids")
    if not isinstance(ids, list) or len(ids) > 1000:
        raise bad_request("Invalid value specified for property 'ids'.", "Request_BadRequest")
    types = {str(x).lower() for x in body.get("types") or []}
    t = req.tenant
    out: list[dict[str, Any]] = []
    for raw in ids:
        oid = str(raw).lower()
        if not _visible(req, oid):
            continue
        u = t.user(oid)
        if u is not None and u.id == oid and (not types or "user" in types):
            out.append(
                {
                    "@odata.type": "#microsoft.graph.user",
                    **views.select(views.user_json(u), None, views.USER_DEFAULT),
                }
            )
            continue
        g = next((g for g in t.groups if g.guid == oid), None)
        if g is not None and (not types or "group" in types):
            out.append({"@odata.type": "#microsoft.graph.group", **views.group_json(g)})
            continue
        s = next((s for s in t.service_principals if s.id == oid), None)
        if s is not None and (not types or "serviceprincipal" in types):
            out.append(
                {
                    "@odata.type": "#microsoft.graph.servicePrincipal",
                    **views.service_principal_json(s),
                }
            )
            continue
        a = next((a for a in t.applications if a.id == oid), None)
        if a is not None and (not types or "application" in types):
            out.append({"@odata.type": "#microsoft.graph.application", **views.application_json(a)})
    return 200, {"@odata.context": _ctx_url(req, "directoryObjects"), "value": out}, _NO_HEADERS


_ = GraphError  # re-exported for handlers' callers
