"""Who may use a mailbox besides its owner: Add-MailboxPermission, Get-/Add-RecipientPermission
(SendAs), Get-/Add-MailboxFolderPermission (the Calendar folder). Get-MailboxPermission is in
recipients.py.

What the references say, and the sandbox does:

- Add-MailboxPermission -Identity <mailbox> -User <principal> -AccessRights FullAccess|
  ChangeOwner|ChangePermission|DeleteItem|ExternalAccount|ReadPermission ("You can specify
  multiple values separated by commas"); -AutoMapping, -InheritanceType are accepted and not
  modelled. Get-MailboxPermission then lists the grant with the user's UPN as User (Learn's
  cross-tenant FAQ shows `TestUser_8@contoso.onmicrosoft.com {FullAccess}`).
- Get-RecipientPermission [[-Identity] <recipient>] [-AccessRights SendAs] [-Trustee <principal>]
  [-ResultSize]: "view information about SendAs permissions"; without -Identity, every
  recipient's. Rows: Identity, Trustee, AccessControlType (Allow), AccessRights ({SendAs}),
  IsInherited, InheritanceType — the properties of the reference's examples; the Trustee is the
  user's UPN. Add-RecipientPermission -Identity -Trustee -AccessRights SendAs ("The only valid
  value for this parameter is SendAs").
- Get-MailboxFolderPermission -Identity <mailbox>:\\<folder> [-User]: rows FolderName, User,
  AccessRights, SharingPermissionFlags, Identity; every folder has a Default and an Anonymous
  row (the reference's example output: "Calendar Default {AvailabilityOnly}"); User shows the
  user's display name (same example, "Ayla Kol {Editor}"). Only the Calendar folder is
  emulated. Add-MailboxFolderPermission adds a user's rights (roles such as Editor, Reviewer,
  AvailabilityOnly, or individual permissions); a user already there is refused
  ("An existing permission entry was found for user", UserAlreadyExistsInPermissionEntryException;
  use Set-MailboxFolderPermission).

References: https://learn.microsoft.com/powershell/module/exchangepowershell/add-mailboxpermission,
…/get-recipientpermission, …/add-recipientpermission, …/get-mailboxfolderpermission,
…/add-mailboxfolderpermission.
"""

from __future__ import annotations

from t2t.sandbox.exchange.directory import find_recipient, find_user, recipients
from t2t.sandbox.exchange.errors import CmdletError, not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, strings
from t2t.sandbox.model import Tenant, User
from t2t.sandbox.recipients import MailboxPermissionEntry, Recipient

#: Add-MailboxPermission -AccessRights values (its reference).
MAILBOX_RIGHTS = (
    "ChangeOwner",
    "ChangePermission",
    "DeleteItem",
    "ExternalAccount",
    "FullAccess",
    "ReadPermission",
)
#: Add-MailboxFolderPermission -AccessRights: the roles and the individual permissions of its
#: reference.
FOLDER_RIGHTS = (
    "None",
    "CreateItems",
    "CreateSubfolders",
    "DeleteAllItems",
    "DeleteOwnedItems",
    "EditAllItems",
    "EditOwnedItems",
    "FolderContact",
    "FolderOwner",
    "FolderVisible",
    "ReadItems",
    "Author",
    "Contributor",
    "Editor",
    "NonEditingAuthor",
    "Owner",
    "PublishingAuthor",
    "PublishingEditor",
    "Reviewer",
    "AvailabilityOnly",
    "LimitedDetails",
)
_CALENDAR = "calendar"
_SECURITY_PRINCIPAL = "Microsoft.Exchange.Configuration.Tasks.SecurityPrincipalIdParameter"


def _mailbox(t: Tenant, identity: object) -> tuple[User, Recipient]:
    found = find_recipient(t, str(identity), lambda r: r.is_mailbox)
    if found is None:
        raise not_found(str(identity))
    return found


def _principal(t: Tenant, identity: object) -> User:
    """A user -User / -Trustee names (SecurityPrincipalIdParameter), by any of its names."""
    found = find_recipient(t, str(identity))
    user = found[0] if found is not None else find_user(t, str(identity))
    if user is None:
        raise not_found(str(identity))
    return user


def add_mailbox_permission(inv: Invocation) -> list[Record]:
    t = inv.tenant
    _, r = _mailbox(t, inv.params.get("Identity"))
    user = _principal(t, inv.params.get("User"))
    rights = [str(x) for x in inv.params.get("AccessRights") or []]
    if not inv.what_if:
        entry = next(
            (p for p in r.permissions if p.user.lower() == user.user_principal_name.lower()), None
        )
        if entry is None:
            r.permissions.append(
                MailboxPermissionEntry(user=user.user_principal_name, access_rights=rights)
            )
        else:
            entry.access_rights = list(dict.fromkeys([*entry.access_rights, *rights]))
    return [
        {
            "Identity": r.name,
            "User": user.user_principal_name,
            "AccessRights": strings(rights),
            "IsInherited": False,
            "Deny": False,
        }
    ]


def _send_as_row(r: Recipient, trustee: str) -> Record:
    return {
        "Identity": r.name,
        "Trustee": trustee,
        "AccessControlType": "Allow",
        "AccessRights": strings(["SendAs"]),
        "IsInherited": False,
        "InheritanceType": "None",
    }


def get_recipient_permission(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    identity, trustee = p.get("Identity"), p.get("Trustee")
    rights = [str(x).lower() for x in p.get("AccessRights") or []]
    if rights and rights != ["sendas"]:
        return []
    if identity:
        found = find_recipient(t, str(identity))
        if found is None:
            raise not_found(str(identity))
        chosen = [found]
    else:
        chosen = list(recipients(t))
    wanted = _principal(t, trustee).user_principal_name.lower() if trustee else None
    return [
        _send_as_row(r, holder)
        for _, r in chosen
        for holder in r.send_as
        if wanted is None or holder.lower() == wanted
    ]


def add_recipient_permission(inv: Invocation) -> list[Record]:
    t = inv.tenant
    found = find_recipient(t, str(inv.params.get("Identity")))
    if found is None:
        raise not_found(str(inv.params.get("Identity")))
    _, r = found
    user = _principal(t, inv.params.get("Trustee"))
    upn = user.user_principal_name
    if not inv.what_if and upn.lower() not in (h.lower() for h in r.send_as):
        r.send_as.append(upn)
    return [_send_as_row(r, upn)]


def _calendar(t: Tenant, identity: object) -> tuple[User, Recipient]:
    """`<mailbox>:\\Calendar`; another folder is not emulated."""
    text = str(identity)
    mailbox, sep, folder = text.partition(":\\")
    if not sep:
        raise CmdletError(
            400,
            "T2t.Sandbox.NotEmulatedException",
            "The sandbox emulates folder permissions of '<mailbox>:\\Calendar' only.",
        )
    found = _mailbox(t, mailbox)
    if folder.strip().lower() != _CALENDAR:
        raise CmdletError(
            404,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            f"The operation couldn't be performed because '{text}' couldn't be found.",
        )
    return found


def _folder_row(t: Tenant, mailbox: Recipient, user: str, rights: list[str]) -> Record:
    holder = find_recipient(t, user) if user not in ("Default", "Anonymous") else None
    return {
        "FolderName": "Calendar",
        "User": holder[0].display_name if holder else user,
        "AccessRights": strings(rights),
        "SharingPermissionFlags": None,
        "Identity": f"{mailbox.primary_smtp_address}:\\Calendar",
    }


def get_mailbox_folder_permission(inv: Invocation) -> list[Record]:
    t = inv.tenant
    _, r = _calendar(t, inv.params.get("Identity"))
    rows = [("Default", ["AvailabilityOnly"]), ("Anonymous", ["None"])]
    rows += [(e.user, e.access_rights) for e in r.calendar_permissions]
    out = [_folder_row(t, r, user, rights) for user, rights in rows]
    wanted = inv.params.get("User")
    if wanted:
        key = str(wanted).lower()
        names = {key}
        found = find_recipient(t, str(wanted))
        if found is not None:
            names |= {found[0].display_name.lower(), found[0].user_principal_name.lower()}
        out = [row for row in out if str(row["User"]).lower() in names]
    return out


def add_mailbox_folder_permission(inv: Invocation) -> list[Record]:
    t = inv.tenant
    _, r = _calendar(t, inv.params.get("Identity"))
    user = _principal(t, inv.params.get("User"))
    upn = user.user_principal_name
    rights = [str(x) for x in inv.params.get("AccessRights") or []]
    if any(e.user.lower() == upn.lower() for e in r.calendar_permissions):
        raise CmdletError(
            400,
            "Microsoft.Exchange.Management.StoreTasks.UserAlreadyExistsInPermissionEntryException",
            f"An existing permission entry was found for user: {user.display_name}.",
        )
    if not inv.what_if:
        r.calendar_permissions.append(MailboxPermissionEntry(user=upn, access_rights=rights))
    return [_folder_row(t, r, upn, rights)]


def _not_yet(name: str, kind: Kind = Kind.STRING, dotnet: str = "System.String") -> Param:
    return Param(name, kind, dotnet, emulated=False)


def register(registry: Registry) -> None:
    switch = "System.Management.Automation.SwitchParameter"
    mailbox = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
        mandatory=True,
    )
    recipient = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.RecipientIdParameter",
        mandatory=True,
    )
    folder = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxFolderIdParameter",
        mandatory=True,
    )
    registry.add(
        CmdletSpec(
            "Add-MailboxPermission",
            (
                mailbox,
                Param("User", dotnet_type=_SECURITY_PRINCIPAL, mandatory=True),
                Param(
                    "AccessRights",
                    Kind.FLAGS,
                    "Microsoft.Exchange.Management.RecipientTasks.MailboxRights[]",
                    choices=MAILBOX_RIGHTS,
                    mandatory=True,
                ),
                _not_yet("AutoMapping", Kind.BOOL, "System.Boolean"),
                _not_yet(
                    "InheritanceType",
                    Kind.STRING,
                    "System.DirectoryServices.ActiveDirectorySecurityInheritance",
                ),
                _not_yet("Deny", Kind.SWITCH, switch),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            add_mailbox_permission,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-RecipientPermission",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.RecipientIdParameter",
                ),
                Param("AccessRights", Kind.MULTI, "Microsoft.Exchange.Data.MultiValuedProperty"),
                Param("Trustee", dotnet_type=_SECURITY_PRINCIPAL),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
                _not_yet("ReadFromDomainController", Kind.SWITCH, switch),
            ),
            get_recipient_permission,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Add-RecipientPermission",
            (
                recipient,
                Param("Trustee", dotnet_type=_SECURITY_PRINCIPAL, mandatory=True),
                Param(
                    "AccessRights",
                    Kind.FLAGS,
                    "Microsoft.Exchange.Management.RecipientTasks.RecipientAccessRight[]",
                    choices=("SendAs",),
                    mandatory=True,
                ),
                CONFIRM,
                WHATIF,
            ),
            add_recipient_permission,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MailboxFolderPermission",
            (
                folder,
                Param(
                    "User",
                    dotnet_type="Microsoft.Exchange.Management.StoreTasks.MailboxFolderUserIdParameter",
                ),
                DC_PARAM,
                _not_yet("GroupMailbox", Kind.SWITCH, switch),
            ),
            get_mailbox_folder_permission,
        )
    )
    registry.add(
        CmdletSpec(
            "Add-MailboxFolderPermission",
            (
                folder,
                Param(
                    "User",
                    dotnet_type="Microsoft.Exchange.Management.StoreTasks.MailboxFolderUserIdParameter",
                    mandatory=True,
                ),
                Param(
                    "AccessRights",
                    Kind.FLAGS,
                    "Microsoft.Exchange.Management.StoreTasks.MailboxFolderAccessRight[]",
                    choices=FOLDER_RIGHTS,
                    mandatory=True,
                ),
                _not_yet("SharingPermissionFlags", Kind.STRING, "System.String"),
                _not_yet("SendNotificationToUser", Kind.BOOL, "System.Boolean"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            add_mailbox_folder_permission,
        )
    )
