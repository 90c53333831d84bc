"""OData query pieces built from values, never by pasting strings.

A string literal doubles its single quotes (OData ABNF, `SQUOTE-in-string`); URL escaping is
left to httpx's query encoding. Built this way, a crafted address cannot widen a `$filter`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable


def literal(value: str | int | bool | uuid.UUID) -> str:
    """An OData literal: strings quoted with `'` doubled, GUIDs bare, booleans lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def eq(prop: str, value: str | int | bool | uuid.UUID) -> str:
    _check_property(prop)
    return f"{prop} eq {literal(value)}"


def starts_with(prop: str, value: str) -> str:
    """`startswith(prop,'value')`: on users' mail and userPrincipalName a default (not
    advanced) query (https://learn.microsoft.com/graph/aad-advanced-queries, user properties)."""
    _check_property(prop)
    return f"startswith({prop},{literal(value)})"


#: Values in one `in` (and `eq`s in one filter): "requests are limited by default to 15
#: expressions in the filter clause" (https://learn.microsoft.com/graph/filter-query-parameter,
#: the note on `in`; "Query parameter limitations" in Graph's known issues).
IN_LIMIT = 15


def any_in(prop: str, values: Iterable[str]) -> str:
    """`prop in ('a','b')` — Graph's bulk form for a handful of keys (at most `IN_LIMIT`)."""
    _check_property(prop)
    return f"{prop} in ({','.join(literal(v) for v in values)})"


def _check_property(prop: str) -> None:
    if not prop.replace("/", "").replace("_", "").isalnum():
        raise ValueError(f"not an OData property path: {prop!r}")
