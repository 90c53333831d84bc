"""Checks on t2t's own identity in each tenant, against what the plan's actions need:
permissions it lacks (T2T-W120: an app's application permissions, a signed-in person's
delegated ones) and an Exchange token without an administrator
role (T2T-W121). Organization scope: the subject is one tenant's `TenantIdentity`.

Exchange role groups cannot be seen from a token; they are listed in the manifest, not
checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from t2t.planner.actions import Action, Role
from t2t.planner.checks import (
    EXCHANGE_ROLE_FIX,
    CheckDef,
    Finding,
    check,
    finding,
    register,
    run_checks,
)
from t2t.planner.kinds import LEASE_PERMISSIONS, needed_to_apply
from t2t.state import Snapshot
from t2t.state.model import EXCHANGE_WID
from t2t.state.parts import PARTS, fact_of
from t2t.state.permissions import EXCHANGE_WRITE_DIRECTORY_ROLES, Permission, union

register(
    CheckDef(
        "T2T-W120",
        "apply-permission-missing",
        "warning",
        "t2t's identity lacks a permission that apply needs",
        "apply fails with 401/403 (Authorization_RequestDenied) at that step",
        "Grant the permission to t2t's app in that tenant (and admin-consent it); signed in "
        "as a person, have an administrator consent to the delegated permission for Microsoft "
        "Graph PowerShell; or run apply with an identity that holds it.",
        "README, Security (the permission manifest: t2t/state/parts.py, t2t/planner/kinds.py)",
    ),
    scope="organization",
)


@dataclass(frozen=True)
class TenantIdentity:
    """t2t's identity in one tenant: what its tokens hold, and what apply will need there."""

    role: Role
    held: frozenset[str]
    """From its tokens: "graph:<permission>", "exchange:<permission>", a person's delegated
    "<service>-delegated:<scope>", Exchange token wids."""
    needs: tuple[Permission, ...]
    exchange_unreadable: bool
    """Some Exchange part of this tenant could not be read (so no write could be planned)."""


@check(
    CheckDef(
        "T2T-W121",
        "exchange-role-missing",
        "warning",
        "t2t's identity holds no Exchange administrator role in its token",
        'HTTP 403 CmdletAccessDeniedException on every Exchange write ("The role assigned '
        "to application … isn't supported in this scenario\"), unless the app is in an "
        "Exchange role group, which a token cannot show",
        EXCHANGE_ROLE_FIX,
        "office-docs-powershell app-only-auth-powershell-v2.md (the session's RBAC comes "
        "from the directory roles in the token); exo-module-protocol.md",
    ),
    scope="organization",
)
def lacks_exchange_role(identity: TenantIdentity) -> str | None:
    """Exchange writes are planned (or Exchange could not be read, so none could be planned),
    the Exchange token was seen, and it carries no directory role that allows writes (an
    Exchange role group is invisible in a token: hence a warning)."""
    writes = any(
        p.service == "exchange" and p.kind == "exchange-role-group" for p in identity.needs
    )
    if not (writes or identity.exchange_unreadable):
        return None
    if not any(h.startswith("exchange:") for h in identity.held):
        return None
    wids = {h.removeprefix(EXCHANGE_WID) for h in identity.held if h.startswith(EXCHANGE_WID)}
    if wids & EXCHANGE_WRITE_DIRECTORY_ROLES:
        return None
    return (
        f"t2t's Exchange token in the {identity.role} tenant holds neither the Exchange "
        "Administrator nor the Global Administrator role: unless its app is in an Exchange "
        "role group, Exchange refuses its writes with 403"
    )


def _exchange_unreadable(snapshot: Snapshot, role: Role) -> bool:
    tenant = snapshot.tenant(role)
    return any(
        fact is not None and fact.status == "unknown"
        for fact in (fact_of(tenant, p) for p in PARTS if p.service == "exchange")
    )


def holds(held: frozenset[str], service: str, permission: str) -> bool:
    """Whether t2t's tokens for `service` carry `permission`: as an application permission,
    or — a person's token (interactive sign-in) — as the delegated permission of the same
    name (Graph's delegated and application permissions share their names, e.g.
    User.ReadWrite.All). A person's Exchange token needs no Exchange.ManageAsApp: Exchange
    applies that person's own RBAC (T2T-W121 looks at its roles)."""
    if f"{service}:{permission}" in held:
        return True
    delegated = {h.split(":", 1)[1] for h in held if h.startswith(f"{service}-delegated:")}
    return bool(delegated) and (service == "exchange" or permission in delegated)


def _lacks(identity: TenantIdentity, perm: Permission) -> str:
    """T2T-W120's message: an app lacks the application permission; a person's token (it holds
    delegated scopes for that service) lacks the delegated permission of the same name."""
    if any(h.startswith(f"{perm.service}-delegated:") for h in identity.held):
        # only Graph's: a person's Exchange token needs no permission by name (holds)
        return (
            f"apply needs the delegated Graph permission {perm.name} in the "
            f"{identity.role} tenant; the signed-in person's token lacks it: an administrator "
            "consents to it for Microsoft Graph PowerShell, or sign in as someone it is granted to"
        )
    return f"apply needs {perm} in the {identity.role} tenant; t2t's identity lacks it"


def apply_permissions(
    actions: list[Action], snapshot: Snapshot
) -> tuple[dict[str, tuple[str, ...]], list[Finding]]:
    """What apply needs per tenant, and what t2t's identity there is seen to lack: one T2T-W120
    per permission lacking (an app's application permission, a person's delegated one), and every
    organization-scope check."""
    needs: dict[str, tuple[str, ...]] = {}
    missing: list[Finding] = []
    roles: tuple[Role, ...] = ("source", "target")
    runnable = [a for a in actions if not a.blocked]
    for role in roles:
        perms = needed_to_apply({a.kind for a in runnable if a.tenant == role})
        if role == "target" and runnable:  # apply takes its lease there first
            perms = union(perms, LEASE_PERMISSIONS)
        if perms:
            needs[role] = tuple(str(p) for p in perms)
        held = snapshot.tenant(role).identity_roles
        if held is None or held.status != "present":
            continue
        identity = TenantIdentity(
            role, frozenset(held.get()), perms, _exchange_unreadable(snapshot, role)
        )
        missing += run_checks("organization", identity, "Exchange RBAC", tenant=role)
        for perm in perms:
            if perm.kind == "app-role" and not holds(identity.held, perm.service, perm.name):
                missing.append(
                    finding(
                        "T2T-W120", role, perm.name, _lacks(identity, perm), fixed_by_plan=False
                    )
                )
    return needs, missing
