"""Helpers every Graph handler shares: visibility under replication, bodies, and collections
($filter, $select, $top, $count, paging)."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from t2t.sandbox.graph import views
from t2t.sandbox.graph.errors import bad_request
from t2t.sandbox.graph.odata import ADVANCED_OPS, parse_filter, parse_select, parse_top

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
