"""The permission manifest: what t2t's own identity needs in each tenant, to plan and to apply.

Least privilege per action (lessons-from-peers.md §4, Microsoft365DSC's read/update split):
`t2t plan` needs only the read column, so pull-request CI can run it with read-only
credentials, and the plan lists what `apply` will need on top.
Sources: Graph permission names from each API's reference page ("Permissions" section);
Exchange RBAC from microsoft-t2t.md §1 (only Organization Management may set
-MailboxMoveCapability) and wire-protocols.md §1.1 (Exchange.ManageAsApp for app-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Service = Literal["exchange", "graph"]
Kind = Literal["app-role", "exchange-role-group"]


@dataclass(frozen=True, order=True)
class Permission:
    service: Service
    kind: Kind
    name: str

    def __str__(self) -> str:
        if self.kind == "exchange-role-group":
            return f"Exchange role group {self.name!r}"
        service = {"exchange": "Exchange", "graph": "Graph"}[self.service]
        return f"{service} application permission {self.name}"


EXCHANGE_APP = Permission("exchange", "app-role", "Exchange.ManageAsApp")
#: Directory roles from which Exchange builds an app-only session that may run t2t's writes
#: ("The session's RBAC is configured using the directory role information that's available in
#: the token": office-docs-powershell app-only-auth-powershell-v2.md; template ids from
#: Microsoft Learn "Microsoft Entra built-in roles"): Exchange Administrator, Global
#: Administrator. Global Reader allows reads only (Microsoft365DSC settings.json: read Global
#: Reader, update Exchange Administrator).
EXCHANGE_WRITE_DIRECTORY_ROLES = frozenset(
    {"29232cdf-9323-42fd-ade2-1d097af3e4de", "62e90394-69f5-4237-9190-012177145e10"}
)
EXCHANGE_VIEW = Permission("exchange", "exchange-role-group", "View-Only Organization Management")
EXCHANGE_ORG = Permission("exchange", "exchange-role-group", "Organization Management")


def _graph(name: str) -> Permission:
    return Permission("graph", "app-role", name)


#: Read permissions per probe part (what `t2t plan` and `t2t show` need).
READ: dict[str, tuple[Permission, ...]] = {
    "organization": (EXCHANGE_APP, EXCHANGE_VIEW),
    "relationships": (EXCHANGE_APP, EXCHANGE_VIEW),
    "accepted_domains": (EXCHANGE_APP, EXCHANGE_VIEW),
    "endpoints": (EXCHANGE_APP, EXCHANGE_VIEW),
    "groups": (EXCHANGE_APP, EXCHANGE_VIEW),
    "group_members": (EXCHANGE_APP, EXCHANGE_VIEW),
    "recipients": (EXCHANGE_APP, EXCHANGE_VIEW),
    "statistics": (EXCHANGE_APP, EXCHANGE_VIEW),
    "batches": (EXCHANGE_APP, EXCHANGE_VIEW),
    "migration_users": (EXCHANGE_APP, EXCHANGE_VIEW),
    "domains": (_graph("Domain.Read.All"),),
    "skus": (_graph("Organization.Read.All"),),
    "applications": (_graph("Application.Read.All"),),
    "service_principals": (_graph("Application.Read.All"),),
    "app_role_assignments": (_graph("Application.Read.All"),),
    "users": (_graph("User.Read.All"),),
}

#: Apply permissions per action kind, on top of the reads its executor re-does.
APPLY: dict[str, tuple[Permission, ...]] = {
    "orgrel.create": (EXCHANGE_APP, EXCHANGE_ORG),
    "orgrel.update": (EXCHANGE_APP, EXCHANGE_ORG),
    # Organization-level setup. Graph: application-upsert.md / application-update.md and
    # addPassword/removePassword (Application.ReadWrite.OwnedBy suffices for apps t2t owns;
    # All is listed because adopting needs it), serviceprincipal-post-serviceprincipals.md,
    # serviceprincipal-post-approleassignedto.md, invitation-post.md. Exchange: the
    # Organization Management role group holds Distribution Groups, Migration and
    # Enable-OrganizationCustomization.
    "org.enable_customization": (EXCHANGE_APP, EXCHANGE_ORG),
    "app.create": (_graph("Application.ReadWrite.All"),),
    "app.update": (_graph("Application.ReadWrite.All"),),
    "consent.grant": (
        _graph("Application.ReadWrite.All"),
        _graph("AppRoleAssignment.ReadWrite.All"),
    ),
    "invitation.send": (_graph("User.Invite.All"),),
    "group.create": (EXCHANGE_APP, EXCHANGE_ORG),
    "group.add_members": (EXCHANGE_APP, EXCHANGE_ORG),
    "endpoint.create": (EXCHANGE_APP, EXCHANGE_ORG, _graph("Application.ReadWrite.All")),
    "endpoint.update": (EXCHANGE_APP, EXCHANGE_ORG, _graph("Application.ReadWrite.All")),
    # New-/Set-MailUser: Mail Recipient Creation / Mail Recipients roles, both in Organization
    # Management (Set-MailUser -ExchangeGuid may be trimmed by RBAC: microsoft-t2t.md §12.5).
    "mailuser.create": (EXCHANGE_APP, EXCHANGE_ORG),
    "mailuser.set_identity": (EXCHANGE_APP, EXCHANGE_ORG),
    # Graph user-update.md and user-assignlicense.md: User.ReadWrite.All (application).
    "user.usage_location": (_graph("User.ReadWrite.All"),),
    "license.assign": (_graph("User.ReadWrite.All"),),
    # New-/Start-/Complete-/Set-MigrationBatch: the Migration role, in Organization Management.
    "batch.create": (EXCHANGE_APP, EXCHANGE_ORG),
    "batch.start": (EXCHANGE_APP, EXCHANGE_ORG),
    "batch.complete": (EXCHANGE_APP, EXCHANGE_ORG),
    "batch.set_complete_after": (EXCHANGE_APP, EXCHANGE_ORG),
    # Remove-MigrationUser: the Migration role too (Remove-MigrationUser.md).
    "batch.remove_user": (EXCHANGE_APP, EXCHANGE_ORG),
}


def needed_to_read(parts: frozenset[str] | set[str]) -> tuple[Permission, ...]:
    return tuple(sorted({p for part in parts for p in READ.get(part, ())}))


def needed_to_apply(kinds: set[str]) -> tuple[Permission, ...]:
    return tuple(sorted({p for kind in kinds for p in APPLY.get(kind, ())}))
