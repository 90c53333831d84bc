"""Graph v1.0 handlers. Each docstring cites the API page (learn.microsoft.com/graph/api/…)
or the reference section the behaviour comes from; choices where sources are silent are
listed in README.md, "Open questions" ("Graph")."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import secrets
import urllib.parse
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cryptography import x509

from t2t.sandbox.exchange.licensing import licences_assigned
from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import GraphError, bad_request, not_found
from t2t.sandbox.graph.odata import ADVANCED_OPS, key_literal, parse_filter, parse_select, parse_top
from t2t.sandbox.lazy import LazyRecords
from t2t.sandbox.model import (
    Application,
    AppRoleAssignment,
    AssignedLicense,
    KeyCredential,
    PasswordCredential,
    RequiredResourceAccess,
    ResourceAccess,
    ServicePrincipal,
    User,
    assignment_id,
)

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result

_NO_HEADERS: dict[str, str] = {}


def _ctx_url(req: GReq, fragment: str) -> str:
    return f"{req.base}/v1.0/$metadata#{fragment}"


def _visible(req: GReq, object_id: str) -> bool:
    return req.ctx.faults.visible(object_id)


def _created(req: GReq, object_id: str) -> None:
    req.ctx.faults.note_created(object_id, req.info)
    if req.ctx.strictness.replication:
        req.ctx.replication.created(object_id)


def _not_replicated(req: GReq, operation: str, object_id: str) -> bool:
    """A write naming ``object_id`` is refused: it was created moments ago (replication.py)."""
    return req.ctx.strictness.replication and req.ctx.replication.refuses(operation, object_id)


def _body(req: GReq) -> dict[str, Any]:
    """The request body without its ``@odata.type`` control information.

    Microsoft's SDKs send the type in bodies (msgraph-sdk-python's generated models write
    ``writer.write_str_value("@odata.type", self.odata_type)``, e.g.
    ``models/password_credential.py``; entity models default it to
    ``#microsoft.graph.<type>``), and OData JSON Format 4.01 §4.5.3 makes ``odata.type``
    control information, not a property, so it is never "Invalid property". Nested
    objects keep theirs (no handler rejects unknown nested keys)."""
    if not isinstance(req.body, dict):
        raise bad_request("Empty Payload. JSON content expected.", "BadRequest")
    return {k: v for k, v in req.body.items() if k != "@odata.type"}


# -- collections: $filter, $select, $top, $count, paging --------------------------------


def _page(
    req: GReq,
    objects: Sequence[dict[str, Any]],
    *,
    entity: str,
    context: str,
    filterable: set[str],
    default_select: tuple[str, ...] | None = None,
    always_advanced: frozenset[str] = frozenset(),
) -> Result:
    """A collection page (paging.md; aad-advanced-queries.md; wire-protocols §2.4, §2.7).

    - ``$top`` 1–999, default 100; ``$skip`` is refused for directory objects;
    - ``$count=true`` and advanced filters (``ne``, ``not``, ``endsWith``, ``eq null``, and
      properties only the advanced engine indexes) need ``ConsistencyLevel: eventual``;
    - ``@odata.count`` only on the first page; ``@odata.nextLink`` carries ``$skiptoken``
      and the other query options, not the ConsistencyLevel header.
    """
    q = req.query
    if "$skip" in q:
        raise bad_request("'$skip' is not supported by the service.", "Request_BadRequest")
    eventual = req.headers.get("consistencylevel", "").lower() == "eventual"
    count = q.get("$count", "").lower() == "true"
    if count and not eventual:
        raise bad_request("$count is not currently supported.", "Request_BadRequest")
    if "$filter" in q:
        f = parse_filter(q["$filter"], filterable, entity)
        advanced = (f.operators & (ADVANCED_OPS | {"null"})) or (f.properties & always_advanced)
        if advanced and not (eventual and count):
            prop = sorted(f.properties & always_advanced or f.properties or {"?"})[0]
            raise bad_request(
                f"Unsupported or invalid query filter clause specified for property '{prop}' "
                f"of resource '{entity}'.",
                "Request_UnsupportedQuery",
            )
        objects = [o for o in objects if f.predicate(o)]
    fields = parse_select(q.get("$select"))
    if fields:
        known = set(objects[0]) if objects else None
        for name in fields:
            if known is not None and name not in known:
                raise bad_request(
                    f"Could not find a property named '{name}' on type "
                    f"'microsoft.graph.{entity[0].lower()}{entity[1:]}'.",
                    "BadRequest",
                )
    if "$orderby" in q:
        key, _, direction = q["$orderby"].partition(" ")
        objects = sorted(
            list(objects),
            key=lambda o: str(o.get(key) or "").lower(),
            reverse=direction.lower() == "desc",
        )
    top = parse_top(q.get("$top"))
    offset = 0
    if "$skiptoken" in q:
        try:
            pad = "=" * (-len(q["$skiptoken"]) % 4)
            offset = int(json.loads(base64.urlsafe_b64decode(q["$skiptoken"] + pad))["o"])
        except (ValueError, KeyError, TypeError):
            raise bad_request("Invalid skip token.", "Request_BadRequest") from None
    page = objects[offset : offset + top]
    out: dict[str, Any] = {"@odata.context": _ctx_url(req, context)}
    if count and "$skiptoken" not in q:
        out["@odata.count"] = len(objects)
    if offset + top < len(objects):
        from t2t.sandbox.graph.service import encode_skiptoken

        rest = [(k, v) for k, v in q.items() if k != "$skiptoken"]
        rest.append(("$skiptoken", encode_skiptoken(offset + top)))
        out["@odata.nextLink"] = f"{req.base}/v1.0{req.path.rstrip('/')}?" + urllib.parse.urlencode(
            rest, quote_via=urllib.parse.quote, safe="$,'()"
        )
    out["value"] = [views.select(o, fields, default_select) for o in page]
    return 200, out, _NO_HEADERS


def _check_select(fields: list[str] | None, obj: dict[str, Any], type_name: str) -> None:
    """An unknown ``$select`` property is a 400 (OData; text as Graph's OData layer)."""
    for name in fields or []:
        if name not in obj:
            raise bad_request(
                f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.",
                "BadRequest",
            )


def _one(
    req: GReq, obj: dict[str, Any], context: str, default: tuple[str, ...] | None = None
) -> Result:
    fields = parse_select(req.query.get("$select"))
    collection = context.split("/")[0]
    _check_select(fields, obj, collection[:-1] if collection.endswith("s") else collection)
    body = {"@odata.context": _ctx_url(req, context), **views.select(obj, fields, default)}
    return 200, body, _NO_HEADERS


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
    items = [views.domain_json(req.tenant, d) for d in req.tenant.domains]
    return _page(
        req,
        items,
        entity="Domain",
        context="domains",
        filterable={"id", "isDefault", "isInitial", "isVerified"},
    )


def get_domain(req: GReq) -> Result:
    d = req.params["id"].lower()
    if not req.tenant.has_domain(d):
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
    visible = [u for u in req.tenant.users if _visible(req, u.id)]
    t = req.tenant
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
}


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
    return (
        200,
        {
            "@odata.context": _ctx_url(req, "users/$entity"),
            **views.select(views.user_json(u), None, views.USER_DEFAULT),
        },
        _NO_HEADERS,
    )


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


# -- applications -----------------------------------------------------------------------------

APP_FILTERABLE = {"id", "appId", "displayName", "uniqueName", "signInAudience", "identifierUris"}


def _app(req: GReq) -> Application:
    p = req.params
    t = req.tenant
    if "alt" in p:
        value = key_literal(p["lit"]).lower()
        attr = "app_id" if p["alt"].lower() == "appid" else "unique_name"
        a = next((a for a in t.applications if (getattr(a, attr) or "").lower() == value), None)
        key = f"{p['alt']}='{value}'"
    else:
        a = next((a for a in t.applications if a.id == p["id"].lower()), None)
        key = p["id"]
    if a is None or not _visible(req, a.id):
        raise not_found(key)
    return a


def _app_json_for(req: GReq, a: Application) -> dict[str, Any]:
    fields = parse_select(req.query.get("$select")) or []
    return views.application_json(a, with_keys="keyCredentials" in fields)


def list_applications(req: GReq) -> Result:
    """application-list.md."""
    fields = parse_select(req.query.get("$select")) or []
    items = [
        views.application_json(a, with_keys="keyCredentials" in fields)
        for a in req.tenant.applications
        if _visible(req, a.id)
    ]
    return _page(
        req, items, entity="Application", context="applications", filterable=APP_FILTERABLE
    )


def get_application(req: GReq) -> Result:
    return _one(req, _app_json_for(req, _app(req)), "applications/$entity")


def _key_credentials(items: Any) -> list[KeyCredential]:
    """keyCredential (resources/keycredential.md): ``key`` = base64 DER certificate; PATCH
    replaces the whole collection (§2.1)."""
    if not isinstance(items, list):
        raise bad_request(
            "Invalid value specified for property 'keyCredentials' of resource 'Application'."
        )
    out = []
    for item in items:
        try:
            der = base64.b64decode(str(item["key"]), validate=True)
            cert = x509.load_der_x509_certificate(der)
        except (KeyError, TypeError, ValueError):
            raise bad_request(
                "Key credential is not a valid X509 certificate.", "Request_BadRequest"
            ) from None
        start = _parse_dt(item.get("startDateTime")) or cert.not_valid_before_utc
        end = _parse_dt(item.get("endDateTime")) or cert.not_valid_after_utc
        if end > cert.not_valid_after_utc or end <= start:
            raise bad_request("Key credential end date is invalid.", "Request_BadRequest")
        out.append(
            KeyCredential(
                key_id=str(item.get("keyId") or uuid.uuid4()).lower(),
                type=str(item.get("type", "AsymmetricX509Cert")),
                usage=str(item.get("usage", "Verify")),
                key=base64.b64encode(der).decode(),
                display_name=item.get("displayName") or cert.subject.rfc4514_string(),
                custom_key_identifier=item.get("customKeyIdentifier"),
                start_date_time=start,
                end_date_time=end,
            )
        )
    return out


def _parse_dt(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Invalid date value '{value}'.", "Request_BadRequest") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _rra(items: Any) -> list[RequiredResourceAccess]:
    if not isinstance(items, list):
        raise bad_request(
            "Invalid value specified for property 'requiredResourceAccess' "
            "of resource 'Application'."
        )
    try:
        return [
            RequiredResourceAccess(
                resource_app_id=str(r["resourceAppId"]).lower(),
                resource_access=[
                    ResourceAccess(id=str(x["id"]).lower(), type=str(x["type"]))
                    for x in r.get("resourceAccess", [])
                ],
            )
            for r in items
        ]
    except (KeyError, TypeError, AttributeError):
        raise bad_request(
            "Invalid value specified for property 'requiredResourceAccess' "
            "of resource 'Application'."
        ) from None


_APP_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)


def _apply_app_fields(
    a: Application, body: dict[str, Any], *, creating: bool, keys_usable_from: dt.datetime
) -> None:
    for k in body:
        if k in ("passwordCredentials",):
            raise bad_request(
                "Property 'passwordCredentials' cannot be set; use addPassword.",
                "Request_BadRequest",
            )
        if k not in (
            "displayName",
            "signInAudience",
            "requiredResourceAccess",
            "keyCredentials",
            "web",
            "uniqueName",
            "identifierUris",
            "appRoles",
            "tags",
            "description",
            "notes",
        ):
            raise bad_request(f"Invalid property '{k}'.", "Request_BadRequest")
    if "displayName" in body:
        if not isinstance(body["displayName"], str) or not body["displayName"]:
            raise bad_request(
                "Invalid value specified for property 'displayName' of resource 'Application'."
            )
        a.display_name = body["displayName"]
    if "signInAudience" in body:
        if body["signInAudience"] not in _APP_AUDIENCES:
            raise bad_request(
                "Invalid value specified for property 'signInAudience' of resource 'Application'."
            )
        a.sign_in_audience = body["signInAudience"]
    if "requiredResourceAccess" in body:
        a.required_resource_access = _rra(body["requiredResourceAccess"])
    if "keyCredentials" in body:
        # A certificate new to the app propagates like a new secret (credentials.py): the
        # token endpoint does not find it until ``keys_usable_from``; keys already there
        # keep working.
        before = {(k.key_id, k.key): k.usable_from for k in a.key_credentials}
        a.key_credentials = [
            k.model_copy(update={"usable_from": before.get((k.key_id, k.key), keys_usable_from)})
            for k in _key_credentials(body["keyCredentials"])
        ]
    if "web" in body and isinstance(body["web"], dict) and "redirectUris" in body["web"]:
        a.web_redirect_uris = [str(u) for u in body["web"]["redirectUris"] or []]


def create_application(req: GReq) -> Result:
    """application-post-applications.md: 201, ``displayName`` required; passwords can't be
    set at create (§2.1). ``signInAudience`` defaults to AzureADMyOrg (README open questions)."""
    body = _body(req)
    if not body.get("displayName"):
        raise bad_request("Property 'displayName' is required.", "Request_BadRequest")
    a = _new_application(req, body.get("uniqueName"))
    _apply_app_fields(
        a,
        {k: v for k, v in body.items() if k != "uniqueName"},
        creating=True,
        keys_usable_from=_credential_usable_from(req),
    )
    req.tenant.applications.append(a)
    _created(req, a.id)
    return (
        201,
        {"@odata.context": _ctx_url(req, "applications/$entity"), **views.application_json(a)},
        _NO_HEADERS,
    )


def _new_application(req: GReq, unique_name: Any) -> Application:
    return Application(
        id=str(uuid.uuid4()),
        app_id=str(uuid.uuid4()),
        display_name="",
        sign_in_audience="AzureADMyOrg",
        unique_name=str(unique_name) if unique_name else None,
        created_date_time=req.ctx.clock.now().replace(microsecond=0),
    )


def patch_application(req: GReq) -> Result:
    """application-update.md (204) and application-upsert.md: ``PATCH
    /applications(uniqueName='x')`` with ``Prefer: create-if-missing`` creates (201) when
    absent; without the header an absent app is 404."""
    body = _body(req)
    p = req.params
    if p.get("alt", "").lower() == "uniquename":
        name = key_literal(p["lit"])
        existing = next(
            (a for a in req.tenant.applications if (a.unique_name or "").lower() == name.lower()),
            None,
        )
        if existing is None:
            if "create-if-missing" not in req.headers.get("prefer", "").lower():
                raise not_found(f"uniqueName='{name}'")
            if not body.get("displayName"):
                raise bad_request("Property 'displayName' is required.", "Request_BadRequest")
            a = _new_application(req, name)
            _apply_app_fields(a, body, creating=True, keys_usable_from=_credential_usable_from(req))
            req.tenant.applications.append(a)
            _created(req, a.id)
            return (
                201,
                {
                    "@odata.context": _ctx_url(req, "applications/$entity"),
                    **views.application_json(a),
                },
                _NO_HEADERS,
            )
    a = _app(req)
    _apply_app_fields(a, body, creating=False, keys_usable_from=_credential_usable_from(req))
    return 204, None, _NO_HEADERS


def delete_application(req: GReq) -> Result:
    a = _app(req)
    req.tenant.applications = [x for x in req.tenant.applications if x.id != a.id]
    return 204, None, _NO_HEADERS


def _credential_usable_from(req: GReq) -> dt.datetime:
    """When a credential added now signs in: after the strictness profile's
    ``secret_delay_seconds`` of sandbox clock (propagation, t2t/sandbox/credentials.py). Whole
    seconds, rounded down: cmdlets see the clock to the second (service.py), and a secret the
    token endpoint accepts must not be refused by the next cmdlet."""
    at = req.ctx.clock.time() + req.ctx.strictness.secret_delay_seconds
    return dt.datetime.fromtimestamp(math.floor(at), dt.UTC)


def add_password(req: GReq) -> Result:
    """application-addpassword.md (§2.1): 200 with ``secretText`` (returned only here),
    ``hint`` = its first 3 characters, default end = start + 2 years. Times are on the
    sandbox clock; the token endpoint refuses the secret for the strictness profile's
    ``secret_delay_seconds`` after this (propagation, t2t/sandbox/credentials.py)."""
    a = _app(req)
    body = req.body if isinstance(req.body, dict) else {}
    cred = body.get("passwordCredential") or {}
    created = req.ctx.clock.now()
    now = created.replace(microsecond=0)
    start = _parse_dt(cred.get("startDateTime")) or now
    end = _parse_dt(cred.get("endDateTime")) or start.replace(year=start.year + 2)
    if end <= start:
        raise bad_request("Password credential end date is invalid.", "Request_BadRequest")
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
    text = "".join(secrets.choice(alphabet) for _ in range(40))
    p = PasswordCredential(
        key_id=str(uuid.uuid4()),
        display_name=cred.get("displayName"),
        hint=text[:3],
        start_date_time=start,
        end_date_time=end,
        secret_sha256=hashlib.sha256(text.encode()).hexdigest(),
        usable_from=_credential_usable_from(req),
    )
    a.password_credentials = [*a.password_credentials, p]
    return (
        200,
        {
            "@odata.context": _ctx_url(req, "microsoft.graph.passwordCredential"),
            "customKeyIdentifier": None,
            "displayName": p.display_name,
            "endDateTime": views.iso(end),
            "hint": p.hint,
            "keyId": p.key_id,
            "secretText": text,
            "startDateTime": views.iso(start),
        },
        _NO_HEADERS,
    )


def remove_password(req: GReq) -> Result:
    """application-removepassword.md: 204; an unknown keyId is a 400 (text assumed)."""
    a = _app(req)
    key_id = str(_body(req).get("keyId", "")).lower()
    if all(p.key_id != key_id for p in a.password_credentials):
        raise bad_request(
            f"No password credential found with keyId '{key_id}'.", "Request_BadRequest"
        )
    a.password_credentials = [p for p in a.password_credentials if p.key_id != key_id]
    return 204, None, _NO_HEADERS


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


# -- invitations ---------------------------------------------------------------------------------


def invite(req: GReq) -> Result:
    """invitation-post.md (§2.3): 201, a Guest user ``local_domain#EXT#@<initial domain>``,
    status PendingAcceptance. Re-inviting the same address reuses the guest."""
    body = _body(req)
    email = body.get("invitedUserEmailAddress")
    redirect = body.get("inviteRedirectUrl")
    if not isinstance(email, str) or "@" not in email:
        raise bad_request(
            "The invitedUserEmailAddress must be a valid email address.", "BadRequest"
        )
    if not isinstance(redirect, str) or not redirect:
        raise bad_request("The inviteRedirectUrl is required.", "BadRequest")
    t = req.tenant
    local, _, domain = email.partition("@")
    upn = f"{local}_{domain}#EXT#@{t.initial_domain}"
    u = t.user(upn)
    if u is None:
        u = User(
            id=str(uuid.uuid4()),
            user_principal_name=upn,
            display_name=str(body.get("invitedUserDisplayName") or email),
            mail=email,
            user_type="Guest",
            created_date_time=req.ctx.clock.now().replace(microsecond=0),
        )
        t.users.append(u)
        _created(req, u.id)
    inv_id = str(uuid.uuid4())
    return (
        201,
        {
            "@odata.context": _ctx_url(req, "invitations/$entity"),
            "id": inv_id,
            "inviteRedeemUrl": f"https://login.microsoftonline.com/redeem?rd={urllib.parse.quote(inv_id)}",
            "invitedUserDisplayName": body.get("invitedUserDisplayName"),
            "invitedUserType": "Guest",
            "invitedUserEmailAddress": email,
            "sendInvitationMessage": bool(body.get("sendInvitationMessage", False)),
            "resetRedemption": False,
            "inviteRedirectUrl": redirect,
            "status": "PendingAcceptance",
            "invitedUserMessageInfo": body.get("invitedUserMessageInfo")
            or {"messageLanguage": None, "ccRecipients": [], "customizedMessageBody": None},
            "invitedUser": {"id": u.id},
        },
        _NO_HEADERS,
    )


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
