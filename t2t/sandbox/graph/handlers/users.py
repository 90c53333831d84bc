"""Graph handlers: users, their usageLocation and licences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from t2t.sandbox.exchange.licensing import licences_assigned, licences_removed
from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import bad_request, not_found
from t2t.sandbox.graph.handlers._common import (
    _NO_HEADERS,
    _body,
    _ctx_url,
    _not_replicated,
    _one,
    _page,
    _visible,
)
from t2t.sandbox.graph.odata import equality_values, key_literal
from t2t.sandbox.lazy import LazyRecords
from t2t.sandbox.model import (
    AssignedLicense,
    User,
)
from t2t.sandbox.tracking import position

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


# -- users ----------------------------------------------------------------------------------

USER_FILTERABLE = {
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "mailNickname",
    "usageLocation",
    "accountEnabled",
    "userType",
    "onPremisesSyncEnabled",
    "proxyAddresses",
    "assignedLicenses",
    "createdDateTime",
    "otherMails",
}
USER_ADVANCED = frozenset({"onPremisesSyncEnabled", "createdDateTime"})
"""User properties whose filters need advanced query capabilities (aad-advanced-queries.md)."""


def _user_key(raw: str) -> str:
    """``/users/{id}``, ``/users/{upn}`` or ``/users('{upn}')`` (user-get.md: a UPN starting
    with ``$`` must use the parenthesised form; ``#`` arrives percent-encoded)."""
    raw = raw[1:] if raw.startswith("/") else raw
    if raw.startswith("(") and raw.endswith(")"):
        return key_literal(raw[1:-1])
    if raw.startswith("$"):
        raise bad_request(f"Resource not found for the segment '{raw}'.", "BadRequest")
    return raw


def find_user(req: GReq, raw: str) -> User:
    key = _user_key(raw)
    u = req.tenant.user(key)
    if u is None or not _visible(req, u.id):
        raise not_found(key)
    return u


def list_users(req: GReq) -> Result:
    """user-list.md: default properties, $filter/$select/$top/$count, no $skip (§2.4)."""
    t = req.tenant
    # Nothing hidden by read-after-write lag (the common case): every user, not a copy made
    # per page (51 pages of 50,000 users cost 2.5 million checks).
    hiding = req.ctx.faults.hiding
    users_of: Sequence[User] = t.users
    # `id in (…)` or `userPrincipalName eq …`: the few users named, from the index, instead
    # of rendering all 50,000 to test each (the filter still runs on these, in _page).
    asked = equality_values(req.query["$filter"]) if "$filter" in req.query else None
    if asked is not None and asked[0] in ("id", "userprincipalname"):
        named = {id(u): u for v in asked[1] if isinstance(v, str) for u in t.users_named(v)}
        users_of = sorted(named.values(), key=lambda u: position(u) or 0)
    visible = [u for u in users_of if _visible(req, u.id)] if hiding else users_of
    # rendered per page unless filtered
    users = LazyRecords(visible, lambda u: views.user_json(u, t))
    return _page(
        req,
        users,
        entity="User",
        context="users",
        filterable=USER_FILTERABLE,
        default_select=views.USER_DEFAULT,
        always_advanced=USER_ADVANCED,
    )


def get_user(req: GReq) -> Result:
    """user-get.md: 404 ``Request_ResourceNotFound`` when absent (§2.4)."""
    u = find_user(req, req.params["id"])
    return _one(req, views.user_json(u, req.tenant), "users/$entity", views.USER_DEFAULT)


_USER_WRITABLE = {
    "usageLocation",
    "displayName",
    "givenName",
    "surname",
    "accountEnabled",
    "jobTitle",
    "mail",
}


def _set_mail(u: User, mail: Any) -> None:
    """user-update.md lists `mail` as writable ("The SMTP address for the user"). A mail-enabled
    user's mail is Exchange's primary address and changes there (Set-Mailbox/Set-MailUser
    -PrimarySmtpAddress): the sandbox refuses it through Graph — an assumption, stricter than
    Graph may be; the text is what Graph answers for a property an Exchange-mastered object
    holds (Microsoft Q&A threads on Exchange-managed attributes; README, open questions)."""
    if u.recipient is not None:
        raise bad_request(
            "Unable to update the specified properties for objects that have originated within "
            "an external service.",
            "Request_BadRequest",
        )
    if mail is not None and not (isinstance(mail, str) and "@" in mail):
        raise bad_request(
            "Invalid value specified for property 'mail' of resource 'User'.", "Request_BadRequest"
        )
    u.mail = mail


def patch_user(req: GReq) -> Result:
    """user-update.md: 204; ``usageLocation`` is a two-letter country code. The Entra user of
    a mail user created moments ago is not there yet: 404 (replication.py)."""
    u = find_user(req, req.params["id"])
    if _not_replicated(req, "user-write", u.id):
        raise not_found(_user_key(req.params["id"]))
    body = _body(req)
    for k in body:
        if k not in _USER_WRITABLE:
            raise bad_request(
                f"Property '{k}' is read-only and cannot be set."
                if k in views.user_json(u, req.tenant)
                else f"Invalid property '{k}'.",
                "Request_BadRequest",
            )
    if "mail" in body:
        _set_mail(u, body["mail"])
    if "usageLocation" in body:
        loc = body["usageLocation"]
        if loc is not None and not (isinstance(loc, str) and len(loc) == 2 and loc.isalpha()):
            raise bad_request(
                "Invalid value specified for property 'usageLocation' of resource 'User'.",
                "Request_BadRequest",
            )
        u.usage_location = loc.upper() if isinstance(loc, str) else None
    if "displayName" in body:
        u.display_name = str(body["displayName"])
    if "givenName" in body:
        u.given_name = body["givenName"]
    if "surname" in body:
        u.surname = body["surname"]
    if "accountEnabled" in body:
        u.account_enabled = bool(body["accountEnabled"])
    return 204, None, _NO_HEADERS


def delete_user(req: GReq) -> Result:
    """user-delete.md (Learn, "Delete a user", https://learn.microsoft.com/graph/api/user-delete):
    204 No Content. "When deleted, user resources, including their mailbox and license
    assignments, are moved to a temporary container" (restorable within 30 days; "the user is
    also restored to any groups they were a member of"): the user moves to
    `Tenant.deleted_users` with its licences and recipient (its mailbox soft-deleted, its mail
    user gone from Exchange's reads); the groups keep its id, as they would to restore it, and
    their member lists show only users there are. Permission: User.ReadWrite.All only
    (service.py)."""
    u = find_user(req, req.params["id"])
    t = req.tenant
    del t.users[next(i for i, x in enumerate(t.users) if x is u)]
    u.deleted_date_time = req.ctx.clock.now().replace(microsecond=0)
    t.deleted_users.append(u)
    return 204, None, _NO_HEADERS


def assign_license(req: GReq) -> Result:
    """user-assignlicense.md (§2.4): both arrays required; 200 with the user.

    - adding a licence to a user without ``usageLocation`` → 400 ``Request_BadRequest``
      "License assignment cannot be done for user with invalid usage location." (text seen
      in production by several projects' logs; microsoft-t2t.md §5);
    - an SKU the tenant does not hold → "License <id> does not correspond to a valid
      company License.";
    - no free seat (``consumedUnits`` = ``prepaidUnits.enabled``) → 400 (text assumed);
    - the licences are in ``assignedLicenses`` at once, but their plans provision over
      ``Strictness.licensing_seconds`` of sandbox clock (``provisionedPlans``
      PendingInput, then Success); Exchange's reaction comes when they have provisioned
      (exchange/licensing.py): proxies outside the accepted domains are scrubbed and a
      MailUser without ExchangeGuid that now holds an Exchange plan becomes a fresh
      mailbox.
    The Entra user of a mail user created moments ago is not there yet: 404 (replication.py).
    """
    u = find_user(req, req.params["id"])
    if _not_replicated(req, "user-write", u.id):
        raise not_found(_user_key(req.params["id"]))
    body = _body(req)
    add, remove = body.get("addLicenses"), body.get("removeLicenses")
    if not isinstance(add, list) or not isinstance(remove, list):
        raise bad_request(
            "Invalid value specified for property 'addLicenses' or 'removeLicenses': "
            "both are required.",
            "Request_BadRequest",
        )
    t = req.tenant
    adds: list[AssignedLicense] = []
    for item in add:
        sku_id = str(item.get("skuId", "")).lower() if isinstance(item, dict) else ""
        sku = t.sku(sku_id) if sku_id else None
        if sku is None or sku.sku_id != sku_id:
            raise bad_request(
                f"License {sku_id} does not correspond to a valid company License.",
                "Request_BadRequest",
            )
        disabled = item.get("disabledPlans") or []
        valid_plans = set(sku.service_plan_ids.values())
        for plan in disabled:
            if str(plan).lower() not in {p.lower() for p in valid_plans}:
                raise bad_request(
                    f"Service plan {plan} does not belong to license {sku_id}.",
                    "Request_BadRequest",
                )
        adds.append(
            AssignedLicense(sku_id=sku_id, disabled_plans=[str(p).lower() for p in disabled])
        )
    removes = set()
    for sku_id in remove:
        sid = str(sku_id).lower()
        if t.sku(sid) is None:
            raise bad_request(
                f"License {sid} does not correspond to a valid company License.",
                "Request_BadRequest",
            )
        removes.add(sid)
    if adds and not u.usage_location:
        raise bad_request(
            "License assignment cannot be done for user with invalid usage location.",
            "Request_BadRequest",
        )
    held = {a.sku_id for a in u.assigned_licenses}
    for a in adds:
        sku = t.sku(a.sku_id)
        assert sku is not None
        if a.sku_id not in held and t.consumed_units(a.sku_id) >= sku.prepaid_enabled:
            raise bad_request(
                f"Subscription for license {a.sku_id} does not have any available licenses.",
                "Request_BadRequest",
            )
    licenses = [
        a
        for a in u.assigned_licenses
        if a.sku_id not in removes and a.sku_id not in {x.sku_id for x in adds}
    ]
    u.assigned_licenses = licenses + adds
    # Provisioning takes sandbox-clock time; Exchange reacts when it completes.
    now = req.ctx.clock.now().replace(microsecond=0)
    licences_assigned(t, u, adds, now, req.ctx.strictness.licensing_seconds)
    if removes:
        licences_removed(u, t)
    return (
        200,
        {
            "@odata.context": _ctx_url(req, "users/$entity"),
            **views.select(views.user_json(u), None, views.USER_DEFAULT),
        },
        _NO_HEADERS,
    )
