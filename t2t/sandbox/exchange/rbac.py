"""Which cmdlets an app-only caller may run: its directory roles or its role groups.

Why both: "The session's RBAC is configured using the directory role information that's
available in the token" — the ``wids`` claim — and an app may instead (or as well) be
assigned an Exchange role group (MicrosoftDocs/office-docs-powershell
``exchange/docs-conceptual/app-only-auth-powershell-v2.md``). Either one allowing a cmdlet
is enough; with neither, every cmdlet answers the NUL-filled 403 (wire-protocols.md §1.5,
"ManageAsApp only → 403"). An unknown cmdlet and a forbidden one look the same on the wire.
The role tables are a simplification of Exchange RBAC
(https://learn.microsoft.com/exchange/permissions-exo/permissions-exo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from t2t.sandbox.directory_roles import (
    EXCHANGE_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
)
from t2t.sandbox.exchange.registry import CmdletSpec

Rule = Callable[[CmdletSpec], bool]


def _everything(spec: CmdletSpec) -> bool:
    return True


def _reads(spec: CmdletSpec) -> bool:
    return spec.kind == "read"


ROLE_GROUPS: dict[str, Rule] = {
    "Organization Management": _everything,
    "View-Only Organization Management": _reads,
}
"""Exchange role groups the sandbox knows and what they allow."""

DIRECTORY_ROLES: dict[str, Rule] = {
    EXCHANGE_ADMINISTRATOR: _everything,
    GLOBAL_ADMINISTRATOR: _everything,
    GLOBAL_READER: _reads,
}
"""Directory role template ids (``wids``) and what they allow in Exchange Online."""


def allowed(spec: CmdletSpec, role_groups: Iterable[str], wids: Iterable[str] = ()) -> bool:
    """Whether any of the app's role groups or directory roles lets it run ``spec``."""
    by_group = any(g in ROLE_GROUPS and ROLE_GROUPS[g](spec) for g in role_groups)
    by_role = any(w.lower() in DIRECTORY_ROLES and DIRECTORY_ROLES[w.lower()](spec) for w in wids)
    return by_group or by_role
