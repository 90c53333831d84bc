"""Graph handlers: applications, their keys and passwords.

Sources: application-upsert (https://learn.microsoft.com/graph/api/application-upsert:
``PATCH /applications(uniqueName='…')`` creates only with ``Prefer: create-if-missing``, else
an absent app is 404), the application resource (…/resources/application: ``uniqueName`` is
"Immutable. Read-only."), RFC 7240 §2 (the ``Prefer`` header's preference list), and the
other Learn pages each handler names."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from cryptography import x509

from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import bad_request, not_found
from t2t.sandbox.graph.handlers._common import (
    _NO_HEADERS,
    _body,
    _created,
    _ctx_url,
    _one,
    _page,
    _visible,
)
from t2t.sandbox.graph.odata import key_literal, parse_select
from t2t.sandbox.model import (
    Application,
    KeyCredential,
    PasswordCredential,
    RequiredResourceAccess,
    ResourceAccess,
)

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


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
    """application-list.md. A keyCredential's ``key`` is always null in a list, even under
    ``$select=keyCredentials``: Graph returns it only for a single object's GET (keyCredential
    resource type, https://learn.microsoft.com/graph/api/resources/keycredential)."""
    items = [views.application_json(a) for a in req.tenant.applications if _visible(req, a.id)]
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


def _prefers(req: GReq, preference: str) -> bool:
    """Whether the request's ``Prefer`` header holds ``preference``. RFC 7240 §2: the header is
    a comma-separated list of preferences, each a token, optionally ``=value`` and
    ``;parameters``; a token that merely contains the name (``xcreate-if-missingx``) is another
    preference, ignored. The token is compared exactly as application-upsert.md writes it
    (``create-if-missing``): stricter than RFC 7240's case-insensitive names, since Graph
    documents no other spelling and is not known to accept one."""
    for item in req.headers.get("prefer", "").split(","):
        token = item.split(";", 1)[0].split("=", 1)[0].strip()
        if token == preference:
            return True
    return False


def patch_application(req: GReq) -> Result:
    """application-update.md (204) and application-upsert.md: ``PATCH
    /applications(uniqueName='x')`` with ``Prefer: create-if-missing`` creates (201) when
    absent; without the header (``_prefers``) an absent app is 404 ("If an application object
    with uniqueName doesn't exist, and the Prefer: create-if-missing header is not specified,
    this method returns a 404 Not Found error code").

    ``uniqueName`` in the body is refused (400) on either path: the application resource
    (https://learn.microsoft.com/graph/api/resources/application) lists it as "Immutable.
    Read-only." — set by the upsert's key (or at ``POST /applications``), never by a PATCH
    body; the message is directory's for a read-only property. Graph may ignore a value equal
    to the key instead; unsure, the sandbox refuses."""
    body = _body(req)
    if "uniqueName" in body:
        raise bad_request(
            "Property 'uniqueName' is read-only and cannot be set.", "Request_BadRequest"
        )
    p = req.params
    if p.get("alt", "").lower() == "uniquename":
        name = key_literal(p["lit"])
        existing = next(
            (a for a in req.tenant.applications if (a.unique_name or "").lower() == name.lower()),
            None,
        )
        if existing is None:
            if not _prefers(req, "create-if-missing"):
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
