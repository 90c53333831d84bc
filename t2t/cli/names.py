"""The tenants' names as this command read them, for the headers that show their ids.

Read with the snapshot (Get-OrganizationConfig DisplayName) and kept, keyed by tenant id, for
the rest of the command: a plan shown later — a saved one too, which apply shows after reading
both tenants again — gets the names beside the ids it holds, and never one tenant's name
beside another's id.
"""

from __future__ import annotations

from collections.abc import Mapping

from t2t.render import tenant_names
from t2t.state import Snapshot

_read: dict[str, str] = {}


def note_names(snapshot: Snapshot) -> None:
    _read.update(tenant_names(snapshot))


def names_read() -> Mapping[str, str]:
    return dict(_read)
