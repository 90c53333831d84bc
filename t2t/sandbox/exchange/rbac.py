"""Which cmdlets an app-only caller may run: its directory roles or its role groups.

Why both: "The session's RBAC is configured using the directory role information that's
available in the token" — the ``wids`` claim — and an app may instead (or as well) be
assigned an Exchange role group (MicrosoftDocs/office-docs-powershell
``exchange/docs-conceptual/app-only-auth-powershell-v2.md``). Either one allowing a cmdlet
is enough; with neither, every cmdlet answers the NUL-filled 403 (wire-protocols.md §1.5,
"ManageAsApp only → 403"). An unknown cmdlet and a forbidden one look the same on the wire.
The role tables are a simplification of Exchange RBAC
(https://learn.microsoft.com/exchange/permissions-exo/permissions-exo).

Parameters are RBAC's too: "you might not have access to some parameters if they aren't
included in the permissions assigned to you" (every Exchange cmdlet reference, e.g.
Set-MailUser); a role entry lists the parameters it grants and `Set-ManagementRoleEntry
"<role>\\<cmdlet>" -Parameters … -RemoveParameter` takes some away (Set-ManagementRoleEntry
reference). A parameter no role entry of the caller holds does not exist for it: PowerShell
refuses it with NamedParameterNotFound, "A parameter cannot be found that matches parameter
name 'ExchangeGuid'." (the seed walkthrough's comment 9). A seed names such parameters per app
(``exchangeRemovedParameters``, seed.py: its role groups hold custom copies of their roles
whose entries lack them); ``trimmed`` says which a call may not pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

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


def trimmed(
    cmdlet: str, removed: Mapping[str, Iterable[str]], wids: Iterable[str] = ()
) -> frozenset[str]:
    """The parameters of ``cmdlet`` none of the caller's role entries holds (lower case): those
    its role groups' custom roles lack, unless a directory role in its token (Exchange or
    Global Administrator: the built-in roles, whole) gives them back."""
    if any(DIRECTORY_ROLES.get(w.lower()) is _everything for w in wids):
        return frozenset()
    for name, params in removed.items():
        if name.lower() == cmdlet.lower():
            return frozenset(p.lower() for p in params)
    return frozenset()


def allowed(spec: CmdletSpec, role_groups: Iterable[str], wids: Iterable[str] = ()) -> bool:
    """Whether any of the app's role groups or directory roles lets it run ``spec``."""
    by_group = any(g in ROLE_GROUPS and ROLE_GROUPS[g](spec) for g in role_groups)
    by_role = any(w.lower() in DIRECTORY_ROLES and DIRECTORY_ROLES[w.lower()](spec) for w in wids)
    return by_group or by_role
