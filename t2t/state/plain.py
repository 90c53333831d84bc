"""Observed objects as plain JSON-ready data (for `t2t show --format json` and fixtures)."""

from __future__ import annotations

import dataclasses
from typing import Any

#: Field metadata of a field added to a record after its JSON form was fixed: `as_plain` writes
#: it only when it differs from its default, so what `t2t show` wrote before (and every saved
#: snapshot, every planner case's observed.json) stays what it writes now; loading fills the
#: default back in.
WHEN_SET: dict[str, Any] = {"t2t_when_set": True}


def _written(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.name == "raw":
        return False
    return not (f.metadata.get("t2t_when_set") and value == f.default)


def as_plain(value: Any) -> Any:
    """Dataclasses to dicts (without `raw`, nor a `WHEN_SET` field at its default), tuples to
    lists, sets to sorted lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: as_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if _written(f, getattr(value, f.name))
        }
    if isinstance(value, tuple | list):
        return [as_plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(as_plain(v) for v in value)
    return value
