"""pydantic validation errors → sentences for a spec author, at the right line and column.

pydantic's ``loc`` is a path of aliases and list indexes, plus union tags (``<pair>``)
that do not exist in the YAML; the tags are dropped, and the path is looked up in the
position index built by :mod:`t2t.spec.positions`. A missing key is reported at its
parent's key, an unknown key at the key itself, every other error at the value.
"""

from __future__ import annotations

import difflib
import types
import typing
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from t2t.spec.errors import SpecError
from t2t.spec.limits import clip
from t2t.spec.positions import Located, Path_


def describe(value: Any) -> str:
    """Name a YAML value's kind the way an admin would."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return clip(str(value))


def dotted(path: Path_) -> str:
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else item)
    return out


def clean_loc(loc: tuple[str | int, ...]) -> Path_:
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("<")))


def _model_candidates(tp: Any) -> list[Any]:
    """Flatten Annotated / Optional / unions into the plain types they allow."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _model_candidates(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(tp) for c in _model_candidates(arg)]
    return [tp]


def allowed_keys(root: type[BaseModel], path: Path_) -> list[str]:
    """The keys the models allow at ``path`` (a union of all candidates), for did-you-mean."""
    current: list[Any] = [root]
    for item in path:
        nxt: list[Any] = []
        for tp in current:
            for cand in _model_candidates(tp):
                if isinstance(item, int) and typing.get_origin(cand) is list:
                    nxt.append(typing.get_args(cand)[0])
                elif isinstance(cand, type) and issubclass(cand, BaseModel):
                    for name, info in cand.model_fields.items():
                        if (info.alias or name) == item:
                            nxt.append(info.annotation)
        current = nxt
    keys: list[str] = []
    for tp in current:
        for cand in _model_candidates(tp):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                keys += [info.alias or n for n, info in cand.model_fields.items()]
    return list(dict.fromkeys(keys))


def guess_key(key: str, allowed: list[str]) -> str | None:
    lowered = {a.lower(): a for a in allowed}
    return lowered.get(key.lower()) or next(
        iter(difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)), None
    )


def unknown_key_message(key: str, allowed: list[str], where: str) -> str:
    place = f" in {where}" if where else ""
    text = f"unknown key {clip(key)}{place}"
    guess = guess_key(key, allowed)
    if guess:
        return f"{text}; did you mean '{guess}'?"
    if allowed:
        return f"{text} (expected one of: {', '.join(allowed)})"
    return text


def _text(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    got = describe(err.get("input"))
    if kind == "t2t":
        return err["msg"]
    if kind in ("string_type", "str_type"):
        return f"expected text, got {got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, got {got}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value lines), got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "too_short":
        return "must not be empty"
    if kind.startswith("datetime") or kind.startswith("date_"):
        return "expected a date and time, e.g. 2026-12-05T22:00:00Z (UTC when no zone)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def to_spec_errors(exc: ValidationError, doc: Located, root: type[BaseModel]) -> list[SpecError]:
    """Translate every error of ``exc`` (raised validating ``doc.data``) into a SpecError."""
    out: list[SpecError] = []
    errors = exc.errors(include_url=False)
    # A misspelt key also shows up as a missing key; the did-you-mean says it all.
    misspelt: set[Path_] = set()
    for err in errors:
        path = clean_loc(err["loc"])
        if err["type"] == "extra_forbidden":
            guess = guess_key(str(path[-1]), allowed_keys(root, path[:-1]))
            if guess:
                misspelt.add((*path[:-1], guess))
    for err in errors:
        path = clean_loc(err["loc"])
        kind = err["type"]
        if kind == "missing" and path in misspelt:
            continue
        if kind == "extra_forbidden":
            parent = path[:-1]
            msg = unknown_key_message(str(path[-1]), allowed_keys(root, parent), dotted(parent))
            out.append(doc.key(path).error(msg))
        elif kind == "missing":
            parent = path[:-1]
            where = dotted(parent)
            msg = f"missing required key '{path[-1]}'" + (f" in {where}" if where else "")
            out.append(doc.key(parent).error(msg))
        else:
            where = dotted(path)
            text = _text(err)
            out.append(doc.value(path).error(f"{where}: {text}" if where else text))
    return out
