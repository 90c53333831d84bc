"""A snapshot back from the JSON `t2t show --format json` writes (t2t/render/snapshot.py).

The file is untrusted input: anything that is not that form raises `SnapshotFileError`, naming
the place in the file (``target.parts.recipients.value[0].guid``). Each part's record type is
read from `TenantState`'s annotation of its field (``Fact[tuple[Recipient, ...]] | None``), and
the records are validated by pydantic in strict JSON mode over the state's own dataclasses —
so a new part or field needs nothing here. A part the file does not list was not read (None),
as `t2t show` leaves it out.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from functools import cache
from typing import Any, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError

from t2t.state.model import Role, Snapshot, TenantState
from t2t.state.parts import BY_NAME, read_from
from t2t.state.plain import as_plain
from t2t.state.presence import Fact

ROLES: tuple[Role, ...] = ("source", "target")
STATUSES = ("present", "absent", "unknown")


class SnapshotFileError(ValueError):
    """The file is not a snapshot in `t2t show --format json` form; says where."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


@cache
def record_type(part: str) -> Any:
    """The type of a present part's value, from `TenantState`'s annotation of its field."""
    hint = get_type_hints(TenantState)[part]
    for arg in (hint, *get_args(hint)):  # `Fact[X] | None` or `Fact[X]`
        if get_origin(arg) is Fact:
            return get_args(arg)[0]
    raise TypeError(f"TenantState.{part} is not a Fact")  # pragma: no cover


@cache
def _adapter(part: str) -> TypeAdapter[Any]:
    return TypeAdapter(record_type(part))


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _expect_object(value: Any, path: str, keys: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SnapshotFileError(path, f"expected an object, got {type(value).__name__}")
    extra = sorted(set(value) - keys)
    if extra:
        raise SnapshotFileError(_at(path, extra[0]), f"unknown key (expected {sorted(keys)})")
    missing = sorted(required - set(value))
    if missing:
        raise SnapshotFileError(_at(path, missing[0]), "missing")
    return value


def _unknown_keys(given: Any, loaded: Any, path: str) -> None:
    """Keys of the file that no field of the record took (pydantic ignores them)."""
    if isinstance(given, dict) and isinstance(loaded, dict):
        for key in given:
            if key not in loaded:
                raise SnapshotFileError(_at(path, key), "unknown field")
            _unknown_keys(given[key], loaded[key], _at(path, key))
    elif isinstance(given, list) and isinstance(loaded, list) and len(given) == len(loaded):
        for i, (g, v) in enumerate(zip(given, loaded, strict=True)):
            _unknown_keys(g, v, _at(path, i))


def _value(part: str, value: Any, path: str) -> Any:
    try:
        loaded = _adapter(part).validate_json(json.dumps(value), strict=True)
    except ValidationError as e:
        error = e.errors()[0]
        where = path
        for key in error["loc"]:
            where = _at(where, key)
        raise SnapshotFileError(where, error["msg"]) from None
    _unknown_keys(value, as_plain(loaded), path)
    return loaded


def _fact(part: str, data: Any, path: str) -> Fact[Any]:
    obj = _expect_object(data, path, {"status", "value", "reason"}, {"status"})
    status = obj["status"]
    if status not in STATUSES:
        raise SnapshotFileError(_at(path, "status"), f"expected one of {list(STATUSES)}")
    reason = obj.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise SnapshotFileError(_at(path, "reason"), "expected a string")
    if status == "present":
        if "value" not in obj:
            raise SnapshotFileError(_at(path, "value"), "missing (the part is present)")
        return Fact("present", value=_value(part, obj["value"], _at(path, "value")), reason=reason)
    if "value" in obj:
        raise SnapshotFileError(_at(path, "value"), f"a part that is {status} has no value")
    return Fact(status, reason=reason)


def _tenant(role: Role, data: Any) -> TenantState:
    obj = _expect_object(data, role, {"tenantId", "parts"}, {"tenantId", "parts"})
    if not isinstance(obj["tenantId"], str):
        raise SnapshotFileError(_at(role, "tenantId"), "expected a string")
    readable = {p.name for p in read_from(role)}
    parts = _expect_object(obj["parts"], _at(role, "parts"), readable, set())
    facts = {
        name: _fact(name, value, _at(_at(role, "parts"), name)) for name, value in parts.items()
    }
    for f in fields(TenantState):  # the parts a TenantState cannot be without
        if f.name in BY_NAME and f.default is MISSING and f.name not in facts:
            raise SnapshotFileError(_at(_at(role, "parts"), f.name), "missing (always read)")
    return TenantState(role=role, tenant_id=obj["tenantId"], **facts)


def snapshot_from_json(text: str | bytes) -> Snapshot:
    """The snapshot a `t2t show --format json` file holds; `SnapshotFileError` if it holds
    anything else."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SnapshotFileError(
            "", f"not JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except UnicodeDecodeError as e:
        raise SnapshotFileError("", f"not UTF-8 text: {e.reason}") from None
    obj = _expect_object(data, "", {*ROLES, "readAt"}, set(ROLES))
    read_at = obj.get("readAt")
    if read_at is not None and not isinstance(read_at, str):
        raise SnapshotFileError("readAt", "expected a string")
    return Snapshot(
        source=_tenant("source", obj["source"]),
        target=_tenant("target", obj["target"]),
        read_at=read_at,
    )
