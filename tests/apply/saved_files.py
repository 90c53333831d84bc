"""Saved-plan files edited the way a careful person (or attacker) would: the JSON changed and
the checksum recomputed by the recipe t2t/apply/saved.py documents, written here on its own so
that the tests also check the recipe."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from t2t.apply.origin import SandboxOrigin

#: Where the unit tests' saved plans were made: a sandbox folder that need not exist (the
#: origin is compared, never connected to).
ORIGIN = SandboxOrigin(state_dir="/srv/t2t/.sandbox")
_SHA = b'"sha256": "'
_PLAN = b'"plan": '


def reseal(data: bytes) -> bytes:
    """``data`` with its checksum recomputed: SHA-256 of the file with the 64 digits as zeros."""
    start = data.index(_SHA) + len(_SHA)
    unsealed = data[:start] + b"0" * 64 + data[start + 64 :]
    return unsealed[:start] + hashlib.sha256(unsealed).hexdigest().encode() + data[start + 64 :]


def edited(data: bytes, edit: Callable[[dict[str, Any]], None], *, seal: bool = True) -> bytes:
    """The saved plan with ``edit`` applied to its parsed ``plan``, written back in t2t's
    layout (the first line as t2t writes it) and, unless ``seal`` is False, resealed."""
    head = data[: data.index(_PLAN) + len(_PLAN)]
    plan = json.loads(data)["plan"]
    edit(plan)
    out = head + json.dumps(plan, indent=1, ensure_ascii=False).encode() + b"}\n"
    return reseal(out) if seal else out


def with_top_level(data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The saved plan with ``edit`` applied to the whole document, rewritten and resealed
    (for the fields beside ``plan``: kind, t2t_version, an unknown one)."""
    document = json.loads(data)
    edit(document)
    head = json.dumps({k: v for k, v in document.items() if k != "plan"})[:-1].encode()
    body = json.dumps(document["plan"], indent=1).encode()
    return reseal(head + b", " + _PLAN + body + b"}\n")
