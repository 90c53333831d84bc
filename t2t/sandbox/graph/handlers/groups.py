"""Graph handlers: groups and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import bad_request, not_found
from t2t.sandbox.graph.handlers._common import _NO_HEADERS, _body, _one, _page, _visible
from t2t.sandbox.graph.handlers.users import USER_FILTERABLE

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


# -- groups ---------------------------------------------------------------------------------

GROUP_FILTERABLE = {
    "id",
    "displayName",
    "mail",
    "mailNickname",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "proxyAddresses",
}


def _group(req: GReq):  # type: ignore[no-untyped-def]
    gid = req.params["id"].lower()
    g = next((g for g in req.tenant.groups if g.guid == gid), None)
    if g is None or not _visible(req, g.guid):
        raise not_found(req.params["id"])
    return g


def list_groups(req: GReq) -> Result:
    """group-list.md."""
    return _page(
        req,
        [views.group_json(g) for g in req.tenant.groups if _visible(req, g.guid)],
        entity="Group",
        context="groups",
        filterable=GROUP_FILTERABLE,
    )


def get_group(req: GReq) -> Result:
    return _one(req, views.group_json(_group(req)), "groups/$entity")


def list_members(req: GReq) -> Result:
    """group-list-members.md: members as directoryObjects with ``@odata.type``."""
    g = _group(req)
    members = []
    for mid in g.members:
        u = req.tenant.user(mid)
        if u is not None:
            members.append(
                {"@odata.type": "#microsoft.graph.user", **views.user_json(u, req.tenant)}
            )
    return _page(
        req,
        members,
        entity="User",
        context="directoryObjects",
        filterable=USER_FILTERABLE,
        default_select=("@odata.type", *views.USER_DEFAULT),
    )


_MAIL_ENABLED_READ_ONLY = "Cannot Update a mail-enabled security groups and or distribution list."
"""group-post-members.md / group-delete-members.md: mail-enabled security groups and
distribution lists can't be managed through Graph (Exchange owns them; §2.5)."""


def add_member(req: GReq) -> Result:
    g = _group(req)
    body = _body(req)
    ref = str(body.get("@odata.id", ""))
    member_id = ref.rstrip("/").rsplit("/", 1)[-1]
    if req.tenant.user(member_id) is None:
        raise not_found(member_id)
    if g.recipient_type_details:
        raise bad_request(_MAIL_ENABLED_READ_ONLY, "Request_BadRequest")
    return 204, None, _NO_HEADERS


def remove_member(req: GReq) -> Result:
    g = _group(req)
    if g.recipient_type_details:
        raise bad_request(_MAIL_ENABLED_READ_ONLY, "Request_BadRequest")
    return 204, None, _NO_HEADERS
