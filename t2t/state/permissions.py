"""What t2t's own identity needs in a tenant: one `Permission` per Microsoft permission.

Least privilege per step (lessons-from-peers.md §4, Microsoft365DSC's read/update split). Each
read permission is named by the `Part` that needs it (t2t/state/parts.py), each apply
permission by the `ActionKind` that needs it (t2t/planner/kinds.py). Sources: Graph permission
names from each API's reference page ("Permissions" section); Exchange RBAC from
microsoft-t2t.md §1 (only Organization Management may set -MailboxMoveCapability) and
wire-protocols.md §1.1 (Exchange.ManageAsApp for app-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Service = Literal["exchange", "graph"]
PermissionKind = Literal["app-role", "exchange-role-group"]


@dataclass(frozen=True, order=True)
class Permission:
    service: Service
    kind: PermissionKind
    name: str

    def __str__(self) -> str:
        if self.kind == "exchange-role-group":
            return f"Exchange role group {self.name!r}"
        service = {"exchange": "Exchange", "graph": "Graph"}[self.service]
        return f"{service} application permission {self.name}"


def graph(name: str) -> Permission:
    """A Graph application permission (an app role of Microsoft Graph)."""
    return Permission("graph", "app-role", name)


EXCHANGE_APP = Permission("exchange", "app-role", "Exchange.ManageAsApp")
EXCHANGE_VIEW = Permission("exchange", "exchange-role-group", "View-Only Organization Management")
EXCHANGE_ORG = Permission("exchange", "exchange-role-group", "Organization Management")

#: What every Exchange read needs: app-only access and a read-only role group.
EXCHANGE_READ = (EXCHANGE_APP, EXCHANGE_VIEW)
#: What every Exchange write t2t sends needs (Organization Management holds Migration,
#: Distribution Groups, Mail Recipients, Mail Recipient Creation and Organization
#: Configuration).
EXCHANGE_WRITE = (EXCHANGE_APP, EXCHANGE_ORG)

#: Directory roles from which Exchange builds an app-only session that may run t2t's writes
#: ("The session's RBAC is configured using the directory role information that's available in
#: the token": office-docs-powershell app-only-auth-powershell-v2.md; template ids from
#: Microsoft Learn "Microsoft Entra built-in roles"): Exchange Administrator, Global
#: Administrator. Global Reader allows reads only (Microsoft365DSC settings.json: read Global
#: Reader, update Exchange Administrator).
EXCHANGE_WRITE_DIRECTORY_ROLES = frozenset(
    {"29232cdf-9323-42fd-ade2-1d097af3e4de", "62e90394-69f5-4237-9190-012177145e10"}
)


def union(*groups: tuple[Permission, ...]) -> tuple[Permission, ...]:
    """The sorted, de-duplicated permissions of several steps."""
    return tuple(sorted({p for group in groups for p in group}))
