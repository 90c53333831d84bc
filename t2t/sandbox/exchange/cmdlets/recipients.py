"""Recipient cmdlets: Get-Recipient, Get-User, Set-User, Get-Mailbox, Get-MailboxStatistics,
Get-MailboxPermission, Get-/New-/Set-MailUser.

Each returns only the properties Exchange returns for it: sizes come from
Get-MailboxStatistics, never Get-Mailbox (Get-Mailbox shows quotas, holds, archive state,
capabilities and send-on-behalf delegates). Property names follow the cmdlets' output
objects as seen in the references and in Microsoft's validation script (CSS-VAL, which reads
MailboxLocations, PersistedCapabilities, LitigationHoldEnabled, InPlaceHolds, DelayHoldApplied,
DelayReleaseHoldApplied, ComplianceTagHoldApplied, TotalDeletedItemSize,
RecoverableItemsQuota, ExchangeGuid, ArchiveGuid, LegacyExchangeDN, EmailAddresses,
ExternalEmailAddress, IsDirSynced). References:
https://learn.microsoft.com/powershell/module/exchangepowershell/get-mailbox , …/get-mailuser,
…/new-mailuser, …/set-mailuser, …/get-recipient, …/get-user, …/set-user,
…/get-mailboxstatistics, …/get-mailboxpermission. microsoft-t2t.md §4. New-MailUser's
-Password is held to Entra's rule for a cloud user's password:
https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy ("Password
policies that only apply to cloud user accounts"); the refusal's wording is Graph's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from t2t.sandbox.exchange import opath
from t2t.sandbox.exchange.directory import (
    address_owner,
    capabilities,
    find_recipient,
    find_user,
    name_taken,
    recipient_dn,
    recipient_guid,
    recipients,
    users_named,
)
from t2t.sandbox.exchange.errors import (
    ALREADY_EXISTS,
    NOT_EMULATED,
    CmdletError,
    binding_error,
    not_found,
)
from t2t.sandbox.exchange.params import (
    COMMON_PARAMETERS,
    CONFIRM,
    WHATIF,
    Kind,
    MultiUpdate,
    Param,
)
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.lazy import LazyRecords
from t2t.sandbox.model import Tenant, User, derived_guid
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.recipients import ZERO_GUID, Recipient, size_text
from t2t.sandbox.seed_exchange import default_legacy_dn

_RTD = "Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails"
_RT = "Microsoft.Exchange.Data.Directory.Recipient.RecipientType"
_UNLIMITED = "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]"
_DB = "EURPR01DG001-db001"


def _rt(r: Recipient | None) -> str:
    if r is None:
        return "User"
    return "UserMailbox" if r.is_mailbox else "MailUser"


def _common(t: Tenant, u: User, r: Recipient) -> Record:
    return {
        "Name": r.name,
        "DisplayName": u.display_name,
        "Alias": r.alias,
        "Identity": r.name,
        "Id": r.name,
        "Guid": guid(recipient_guid(u)),
        "DistinguishedName": recipient_dn(t, r),
        "ExternalDirectoryObjectId": u.id,
        "RecipientType": enum_value(_rt(r), _RT),
        "RecipientTypeDetails": enum_value(r.recipient_type_details, _RTD),
        "PrimarySmtpAddress": r.primary_smtp_address,
        "EmailAddresses": strings(r.email_addresses),
        "IsDirSynced": u.on_premises_sync_enabled,
        "OrganizationId": t.initial_domain,
        "WhenCreatedUTC": date(u.created_date_time),
        "WhenChangedUTC": date(u.created_date_time),
    }


def _mailbox_locations(t: Tenant, r: Recipient) -> list[str]:
    out = [f"1;{r.exchange_guid};Primary;{t.initial_domain};{derived_guid(_DB)}"]
    if r.has_archive:
        out.append(f"1;{r.archive_guid};MainArchive;{t.initial_domain};{derived_guid(_DB)}")
    for i in range(r.auxiliary_archives):
        aux = derived_guid(r.exchange_guid, "aux", str(i))
        out.append(f"1;{aux};AuxArchive;{t.initial_domain};{derived_guid(_DB)}")
    return out


def _holds(r: Recipient) -> Record:
    return {
        "LitigationHoldEnabled": r.litigation_hold_enabled,
        "InPlaceHolds": strings(r.in_place_holds),
        "DelayHoldApplied": r.delay_hold_applied,
        "DelayReleaseHoldApplied": r.delay_release_hold_applied,
        "ComplianceTagHoldApplied": r.compliance_tag_hold_applied,
    }


def recipient_record(t: Tenant, u: User, r: Recipient) -> Record:
    """Get-Recipient: the reduced recipient view (no quotas, holds or sizes)."""
    return {
        **_common(t, u, r),
        "ExternalEmailAddress": r.external_email_address,
        "ExchangeGuid": guid(r.exchange_guid),
        "ArchiveGuid": guid(r.archive_guid),
        "Capabilities": strings(capabilities(t, u)),
    }


def user_record(t: Tenant, u: User) -> Record:
    """Get-User: the directory side as Exchange shows it."""
    r = u.recipient
    rtd = r.recipient_type_details if r else "User"
    return {
        "Name": r.name if r else u.display_name,
        "DisplayName": u.display_name,
        "FirstName": u.given_name or "",
        "LastName": u.surname or "",
        "UserPrincipalName": u.user_principal_name,
        "MicrosoftOnlineServicesID": u.user_principal_name,
        "WindowsEmailAddress": r.primary_smtp_address if r else (u.mail or ""),
        "RecipientType": enum_value(_rt(r), _RT),
        "RecipientTypeDetails": enum_value(rtd, _RTD),
        "PreviousRecipientTypeDetails": enum_value(
            r.previous_recipient_type_details
            if r and r.previous_recipient_type_details
            else "None",
            _RTD,
        ),
        "AccountDisabled": not u.account_enabled,
        "IsDirSynced": u.on_premises_sync_enabled,
        "ExternalDirectoryObjectId": u.id,
        "Identity": r.name if r else u.display_name,
        "Guid": guid(recipient_guid(u)),
        "UsageLocation": u.usage_location or "",
        "WhenCreatedUTC": date(u.created_date_time),
    }


def mailbox_record(t: Tenant, u: User, r: Recipient) -> Record:
    """Get-Mailbox: identity, GUIDs, proxies, archive, holds, quotas, capabilities,
    send-on-behalf delegates — not sizes (those are Get-MailboxStatistics)."""
    return {
        **_common(t, u, r),
        "UserPrincipalName": u.user_principal_name,
        "MicrosoftOnlineServicesID": u.user_principal_name,
        "ExchangeGuid": guid(r.exchange_guid),
        "ArchiveGuid": guid(r.archive_guid),
        "ArchiveStatus": "Active" if r.has_archive else "None",
        "ArchiveState": "Local" if r.has_archive else "None",
        "ArchiveName": strings(["In-Place Archive - " + u.display_name] if r.has_archive else []),
        "DisabledArchiveGuid": guid(r.archive_guid if r.archive_disabled else ZERO_GUID),
        "AutoExpandingArchiveEnabled": r.auto_expanding_archive_enabled or r.auxiliary_archives > 0,
        "MailboxLocations": strings(_mailbox_locations(t, r)),
        "LegacyExchangeDN": r.legacy_exchange_dn,
        **_holds(r),
        "PersistedCapabilities": strings(capabilities(t, u)),
        "GrantSendOnBehalfTo": strings(r.grant_send_on_behalf_to),
        # Set-Mailbox reference: ForwardingAddress (a recipient), ForwardingSmtpAddress (an
        # SMTP address, shown with its "smtp:" prefix), DeliverToMailboxAndForward.
        "ForwardingAddress": r.forwarding_address,
        "ForwardingSmtpAddress": r.forwarding_smtp_address,
        "DeliverToMailboxAndForward": r.deliver_to_mailbox_and_forward,
        "RecoverableItemsQuota": size_text(r.recoverable_items_quota),
        "RecoverableItemsWarningQuota": size_text(r.recoverable_items_quota * 2 // 3),
        "ProhibitSendQuota": size_text(r.prohibit_send_quota),
        "ProhibitSendReceiveQuota": size_text(r.prohibit_send_receive_quota),
        "IssueWarningQuota": size_text(r.issue_warning_quota),
        "ArchiveQuota": size_text(100 * 1024**3),
        "Database": _DB,
        "WhenMailboxCreated": date(u.created_date_time),
    }


def mail_user_record(t: Tenant, u: User, r: Recipient) -> Record:
    """Get-MailUser: what §4 asks of the target object, and the source after its move."""
    return {
        **_common(t, u, r),
        "UserPrincipalName": u.user_principal_name,
        "MicrosoftOnlineServicesID": u.user_principal_name,
        "ExternalEmailAddress": r.external_email_address,
        "ExchangeGuid": guid(r.exchange_guid),
        "ArchiveGuid": guid(r.archive_guid),
        "ArchiveStatus": "None",
        "LegacyExchangeDN": r.legacy_exchange_dn,
        "MailboxLocations": strings(
            _mailbox_locations(t, r) if r.exchange_guid != ZERO_GUID else []
        ),
        **_holds(r),
        "PersistedCapabilities": strings(capabilities(t, u)),
        "RecoverableItemsQuota": size_text(r.recoverable_items_quota),
        "RecoverableItemsWarningQuota": size_text(r.recoverable_items_quota * 2 // 3),
    }


def statistics_record(t: Tenant, u: User, r: Recipient, archive: bool) -> Record:
    """Get-MailboxStatistics (-Archive for the archive mailbox)."""
    total = r.archive_total_item_size if archive else r.total_item_size
    items = r.archive_item_count if archive else r.item_count
    return {
        "DisplayName": ("In-Place Archive - " if archive else "") + u.display_name,
        "MailboxGuid": guid(r.archive_guid if archive else r.exchange_guid),
        "MailboxTypeDetail": "UserMailbox" if not archive else "ArchiveMailbox",
        "ItemCount": items,
        "TotalItemSize": size_text(total),
        "DeletedItemCount": 0 if archive else r.deleted_item_count,
        "TotalDeletedItemSize": size_text(0 if archive else r.total_deleted_item_size),
        "AssociatedItemCount": 0,
        "SystemMessageCount": 0,
        "SystemMessageSize": size_text(0),
        "IsArchiveMailbox": archive,
        "Database": _DB,
        "OwnerADGuid": guid(recipient_guid(u)),
        "ExternalDirectoryOrganizationId": guid(t.tenant_id),
        "Identity": r.archive_guid if archive else r.exchange_guid,
    }


# ---------------------------------------------------------------- Get- handlers


def _filter_values(u: User, r: Recipient) -> opath.Values:
    """A recipient's values of the properties opath.py filters on."""
    by_name: dict[str, Callable[[], list[str]]] = {
        "Name": lambda: [r.name],
        "EmailAddresses": lambda: list(r.email_addresses),
        "UserPrincipalName": lambda: [u.user_principal_name],
        "ExternalDirectoryObjectId": lambda: [u.id],
    }
    return lambda prop: by_name[prop]()


def _filtered(
    inv: Invocation, cmdlet: str, text: str, accept: Callable[[Recipient], bool]
) -> list[tuple[User, Recipient]]:
    """The recipients a -Filter keeps (Exchange promises no order), found through the
    identity index when every match must hold one of the filter's values
    (opath.candidate_keys), else by checking every recipient."""
    t = inv.tenant
    expr = opath.bind(text, cmdlet)
    keys = opath.candidate_keys(expr)
    if keys is None:
        pool = [u for u, _ in recipients(t)]
    else:
        pool = list({u.id: u for key in sorted(keys) for u in users_named(t, key)}.values())
    return [
        (u, u.recipient)
        for u in pool
        if u.recipient is not None
        and accept(u.recipient)
        and inv.visible(u.id)
        and opath.matches(expr, _filter_values(u, u.recipient))
    ]


def _get(
    inv: Invocation,
    cmdlet: str,
    accept: Callable[[Recipient], bool],
    render: Callable[[Tenant, User, Recipient], Record],
) -> Sequence[Record]:
    t = inv.tenant
    identity = inv.params.get("Identity")
    text = inv.params.get("Filter")
    if identity and text is not None:  # -Identity and -Filter are different parameter sets
        raise binding_error(
            "Parameter set cannot be resolved using the specified named parameters."
        )
    if text is not None:
        return LazyRecords(_filtered(inv, cmdlet, text, accept), lambda p: render(t, *p))
    if identity:
        found = find_recipient(t, identity, accept)
        if found is None or not inv.visible(found[0].id):  # lag: not replicated yet
            raise not_found(identity)
        return [render(t, *found)]
    if inv.hiding:
        matches = [(u, r) for u, r in recipients(t) if accept(r) and inv.visible(u.id)]
    else:  # Get- cmdlets only: the list is reused by every page until the state changes
        key = (inv.state.generation, "recipients", render, tuple(sorted(inv.filter_key)))
        matches = t.memo(key, lambda: [(u, r) for u, r in recipients(t) if accept(r)])
    return LazyRecords(matches, lambda pair: render(t, *pair))


def _details_filter(inv: Invocation) -> Callable[[Recipient], bool]:
    wanted = {str(x).lower() for x in inv.params.get("RecipientTypeDetails") or []}
    return lambda r: not wanted or r.recipient_type_details.lower() in wanted


def get_recipient(inv: Invocation) -> Sequence[Record]:
    f = _details_filter(inv)
    return _get(inv, "Get-Recipient", f, recipient_record)


def get_mailbox(inv: Invocation) -> Sequence[Record]:
    f = _details_filter(inv)
    if inv.params.get("SoftDeletedMailbox") or inv.params.get("InactiveMailboxOnly"):
        if inv.params.get("Filter") is not None:
            raise CmdletError(
                501,
                NOT_EMULATED,
                "The t2t sandbox does not emulate -Filter with removed mailboxes yet.",
                code="NotImplemented",
                error_id="",
            )
        return _removed_mailboxes(inv, f)
    return _get(inv, "Get-Mailbox", lambda r: r.is_mailbox and f(r), mailbox_record)


def inactive(r: Recipient) -> bool:
    """A soft-deleted mailbox is inactive when it was on hold: "An inactive mailbox is a
    mailbox that's placed on Litigation Hold or In-Place Hold before it's soft-deleted"
    (Get-Mailbox reference, -InactiveMailboxOnly)."""
    return r.litigation_hold_enabled or any(not h.startswith("-") for h in r.in_place_holds)


def _removed_mailboxes(inv: Invocation, accept: Callable[[Recipient], bool]) -> list[Record]:
    """Get-Mailbox -SoftDeletedMailbox ("only soft-deleted mailboxes": inactive ones are
    soft-deleted too) or -InactiveMailboxOnly ("only inactive mailboxes"), Get-Mailbox
    reference, Exchange Online only: the mailboxes of users deleted in Entra
    (`Tenant.deleted_users`). Each record is Get-Mailbox's, plus IsInactiveMailbox,
    IsSoftDeletedByRemove and WhenSoftDeleted."""
    t, identity = inv.tenant, inv.params.get("Identity")
    only_inactive = bool(inv.params.get("InactiveMailboxOnly"))
    out: list[Record] = []
    for u in t.deleted_users:
        r = u.recipient
        if r is None or not r.is_mailbox or not accept(r):
            continue
        if only_inactive and not inactive(r):
            continue
        if identity and str(identity).strip().lower() not in (
            u.id,
            u.user_principal_name.lower(),
            r.primary_smtp_address.lower(),
            r.exchange_guid,
            *(a.lower() for a in r.smtp_addresses()),
        ):
            continue
        out.append(
            {
                **mailbox_record(t, u, r),
                "IsInactiveMailbox": inactive(r),
                "IsSoftDeletedByRemove": True,
                "IsSoftDeletedByDisable": False,
                "WhenSoftDeleted": date(u.deleted_date_time) if u.deleted_date_time else None,
            }
        )
    if identity and not out:
        raise not_found(identity)
    return out


def get_mail_user(inv: Invocation) -> Sequence[Record]:
    return _get(inv, "Get-MailUser", lambda r: r.is_mail_user, mail_user_record)


def _user_filter_values(u: User) -> opath.Values:
    """A user's values of the properties opath.py filters on for Get-User: blank (no value)
    where the directory holds none — PreviousRecipientTypeDetails shows "None" then."""
    r = u.recipient
    previous = r.previous_recipient_type_details if r is not None else None
    by_name: dict[str, list[str]] = {"PreviousRecipientTypeDetails": [previous] if previous else []}
    return lambda prop: by_name[prop]


def get_user(inv: Invocation) -> Sequence[Record]:
    """Get-User, by -Identity, by -Filter (opath.py) or every user; -RecipientTypeDetails keeps
    those subtypes (the reference's valid values include MailUser, UserMailbox and User).
    Listed like `_get`: only the page returned is rendered, and the list is reused by every
    page until the state changes."""
    t = inv.tenant
    identity = inv.params.get("Identity")
    text = inv.params.get("Filter")
    wanted = {str(x).lower() for x in inv.params.get("RecipientTypeDetails") or []}
    if identity and text is not None:  # -Identity and -Filter are different parameter sets
        raise binding_error(
            "Parameter set cannot be resolved using the specified named parameters."
        )
    expr = opath.bind(text, "Get-User") if text is not None else None

    def kept(u: User) -> bool:
        kind = u.recipient.recipient_type_details if u.recipient else "User"
        if wanted and kind.lower() not in wanted:
            return False
        return expr is None or opath.matches(expr, _user_filter_values(u))

    if identity:
        u = find_user(t, identity)
        if u is None or not inv.visible(u.id) or not kept(u):  # lag: not replicated yet
            raise not_found(identity)
        return [user_record(t, u)]
    if inv.hiding:
        users = [u for u in t.users if inv.visible(u.id) and kept(u)]
    else:
        key = (inv.state.generation, "users", tuple(sorted(inv.filter_key)))
        users = t.memo(key, lambda: [u for u in t.users if kept(u)])
    return LazyRecords(users, lambda u: user_record(t, u))


def get_mailbox_statistics(inv: Invocation) -> list[Record]:
    t, identity = inv.tenant, inv.params.get("Identity")
    found = find_recipient(t, identity, lambda r: r.is_mailbox)
    if found is None:
        raise not_found(identity)
    u, r = found
    archive = bool(inv.params.get("Archive"))
    if archive and not r.has_archive:
        raise CmdletError(
            400,
            "Microsoft.Exchange.Data.Storage.MailboxUnavailableException",
            f"The archive mailbox of '{identity}' doesn't exist.",
        )
    return [statistics_record(t, u, r, archive)]


def get_mailbox_permission(inv: Invocation) -> list[Record]:
    """The implicit ``NT AUTHORITY\\SELF`` row first, then explicit grants (§8: these are
    not migrated cross-tenant)."""
    t, identity = inv.tenant, inv.params.get("Identity")
    found = find_recipient(t, identity, lambda r: r.is_mailbox)
    if found is None:
        raise not_found(identity)
    _, r = found
    rows = [("NT AUTHORITY\\SELF", ["FullAccess", "ReadPermission"], False, False)]
    rows += [(p.user, p.access_rights, p.deny, p.is_inherited) for p in r.permissions]
    wanted = inv.params.get("User")
    out: list[Record] = []
    for user, rights, deny, inherited in rows:
        if wanted and user.lower() != str(wanted).lower():
            continue
        out.append(
            {
                "Identity": r.name,
                "User": user,
                "AccessRights": strings(rights),
                "IsInherited": inherited,
                "Deny": deny,
                "InheritanceType": "All",
            }
        )
    return out


# ---------------------------------------------------------------- New-/Set- handlers


def _check_address(t: Tenant, address: str, *, owner_ok: str | None = None) -> None:
    domain = address.rsplit("@", 1)[-1].lower()
    if not t.accepts_domain(domain):
        s = spec("NotAcceptedDomainOnWrite")
        raise CmdletError(400, s.full_type, s.render(address=address, domain=domain))
    owner = address_owner(t, address)
    if owner is not None and owner != owner_ok:
        s = spec("RecipientAlreadyExists")
        raise CmdletError(400, s.full_type, s.render(address=address, owner=owner))


def _smtp(value: str) -> str:
    return value.split(":", 1)[1] if value.lower().startswith("smtp:") else value


_PASSWORD_SYMBOLS = frozenset("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")
"""The symbols Entra allows in a cloud user's password (Learn, "Microsoft Entra password
policies", concept-sspr-policy, "Password policies that only apply to cloud user accounts")."""


def password_allowed(text: str) -> bool:
    """Entra's rule for a cloud user's password (same page): 8 to 256 characters, only
    A-Z, a-z, 0-9 and the symbols above (no Unicode), and three of the four classes."""
    if not 8 <= len(text) <= 256:
        return False
    if any(not (c.isascii() and (c.isalnum() or c in _PASSWORD_SYMBOLS)) for c in text):
        return False
    classes = (str.islower, str.isupper, str.isdigit, _PASSWORD_SYMBOLS.__contains__)
    return sum(any(test(c) for c in text) for test in classes) >= 3


def new_mail_user(inv: Invocation) -> list[Record]:
    """New-MailUser (Exchange Online sets MicrosoftOnlineServicesID and DisabledUser).

    With -MicrosoftOnlineServicesID, Name and Password are mandatory (PSDOC-MU syntax);
    without it, ExternalEmailAddress is. The primary address defaults to the external
    address (microsoft-t2t.md §4: then the move fails), so callers set -PrimarySmtpAddress.
    """
    t, p = inv.tenant, inv.params
    mosid = p.get("MicrosoftOnlineServicesID")
    external = p.get("ExternalEmailAddress")
    if mosid is None and external is None:
        raise binding_error(
            "Parameter set cannot be resolved using the specified named parameters."
        )
    if mosid is not None and not p.get("Password"):
        raise binding_error(
            "Cannot process command because of one or more missing mandatory parameters: Password."
        )
    password = p.get("Password")
    if password and not password_allowed(password.text):
        s = spec("PasswordNotComplex")
        raise CmdletError(400, s.full_type, s.render())
    name: str = p.get("Name")
    if name_taken(t, name):  # mailboxes, mail users, groups and contacts share one OU
        raise CmdletError(
            400,
            ALREADY_EXISTS,
            f'The name "{name}" is already being used. Please try another name.',
        )
    upn = mosid or f"{name.replace(' ', '')}@{t.initial_domain}"
    upn_domain = upn.rsplit("@", 1)[-1].lower()
    if not t.has_domain(upn_domain):  # verified domains only (unverified ones included)
        s = spec("UpnDomainNotVerified")
        raise CmdletError(400, s.full_type, s.render(upn=upn, domain=upn_domain))
    if t.user(upn) is not None:
        raise CmdletError(
            400,
            ALREADY_EXISTS,
            f'The user principal name "{upn}" is already being used. Please try another name.',
        )
    alias = p.get("Alias") or upn.split("@", 1)[0]
    primary = p.get("PrimarySmtpAddress") or (_smtp(external) if external else upn)
    if p.get("PrimarySmtpAddress") or not external:
        _check_address(t, primary)
    proxies = [f"SMTP:{primary}"]
    onms = f"{alias}@{t.initial_domain}"
    if onms.lower() != primary.lower():
        proxies.append(f"smtp:{onms}")
    uid = derived_guid(t.tenant_id, "user", upn, inv.now.isoformat())
    recipient = Recipient(
        recipient_type_details="MailUser",
        legacy_exchange_dn=default_legacy_dn(t.tenant_id, upn, alias),
        primary_smtp_address=primary,
        email_addresses=proxies,
        external_email_address=f"SMTP:{_smtp(external)}" if external else None,
        alias=alias,
        name=name,
    )
    user = User(
        id=uid,
        user_principal_name=upn,
        display_name=p.get("DisplayName") or name,
        given_name=p.get("FirstName"),
        surname=p.get("LastName"),
        mail=primary,
        recipient=recipient,
        created_date_time=inv.now,
    )
    if inv.what_if:
        return []
    t.users.append(user)
    inv.created(user.id, upn, primary, alias, name)
    return [mail_user_record(t, user, recipient)]


def _apply_email_addresses(t: Tenant, r: Recipient, value: list[str] | MultiUpdate) -> None:
    current = list(r.email_addresses)
    if isinstance(value, MultiUpdate):
        updated = [a for a in current if a.lower() not in {x.lower() for x in value.remove}]
        for add in value.add:
            if add.startswith("SMTP:"):  # a new primary demotes the old one
                updated = [("smtp:" + a[5:]) if a.startswith("SMTP:") else a for a in updated]
            if add.lower() not in {a.lower() for a in updated}:
                updated.append(add if ":" in add else f"smtp:{add}")
    else:
        updated = [a if ":" in a else f"smtp:{a}" for a in value]
    for a in updated:
        if a.lower().startswith("smtp:") and a.lower() not in {c.lower() for c in current}:
            _check_address(t, a[5:], owner_ok=r.name)
    primaries = [a for a in updated if a.startswith("SMTP:")]
    if len(primaries) != 1:
        if not primaries and any(a.lower().startswith("smtp:") for a in updated):
            first = next(i for i, a in enumerate(updated) if a.lower().startswith("smtp:"))
            updated[first] = "SMTP:" + updated[first][5:]
        elif len(primaries) > 1:
            raise CmdletError(
                400,
                "Microsoft.Exchange.Data.DataValidationException",
                "The e-mail address list contains more than one primary SMTP address.",
            )
    r.email_addresses = updated
    r.primary_smtp_address = next(a[5:] for a in updated if a.startswith("SMTP:"))


#: Parameters that name the object or steer the call rather than write an attribute.
_NOT_WRITES = frozenset({"Identity", "Confirm", "WhatIf", "DomainController", "ErrorAction"})


def _refuse_dir_synced(inv: Invocation, u: User) -> None:
    """An object synchronized from on-premises (IsDirSynced) is mastered there: Exchange
    refuses cloud writes to it with the "out of the current user's write scope" error
    (catalogue ``DirSyncedObjectWriteRefused``; microsoft-t2t.md §4 caveats, microsoft-365-docs
    #9644, #10983; CSS-VAL offers no fix for DirSynced objects). Every written parameter is
    refused — which ones Exchange lets through on a synced MailUser is not documented (README,
    open questions), so the sandbox takes the stricter reading."""
    if not u.on_premises_sync_enabled:
        return
    common = {c.name for c in COMMON_PARAMETERS}
    written = [k for k in inv.params.values if k not in _NOT_WRITES and k not in common]
    if not written:
        return
    s = spec("DirSyncedObjectWriteRefused")
    raise CmdletError(
        400,
        s.full_type,
        s.render(object=u.id, cmdlet="Set-MailUser", parameters=", ".join(sorted(written))),
    )


#: The Recoverable Items quota Set-MailUser -EnableLitigationHoldForMigration gives (100 GB).
HOLD_FOR_MIGRATION_QUOTA = 100 * 1024**3


def set_mail_user(inv: Invocation) -> list[Record]:
    """Set-MailUser: ExchangeGuid, ArchiveGuid ("reserved for internal Microsoft use" in
    PSDOC-MU, yet the migration doc uses them, §4), EmailAddresses add/remove,
    ExternalEmailAddress, PrimarySmtpAddress, EnableLitigationHoldForMigration (Exchange Online
    only; -RecoverableItemsQuota is on-premises only, so it is no parameter here). With the
    sandbox switch ``trimExchangeGuidParameter`` on, -ExchangeGuid/-ArchiveGuid are refused as
    unknown parameters (seed comment 9; open question §12.5)."""
    t, p = inv.tenant, inv.params
    if t.move_service.trim_exchange_guid_parameter:
        for trimmed in ("ExchangeGuid", "ArchiveGuid"):
            if trimmed in p:
                raise binding_error(
                    f"A parameter cannot be found that matches parameter name '{trimmed}'."
                )
    found = find_recipient(t, p.get("Identity"), lambda r: r.is_mail_user)
    if found is None:
        raise not_found(p.get("Identity"))
    u, current = found
    if inv.not_replicated("mailuser-set", u.id):  # New-MailUser moments ago (replication.py)
        raise not_found(p.get("Identity"))
    _refuse_dir_synced(inv, u)
    r = current.model_copy(deep=True)
    if "ExchangeGuid" in p:
        r.exchange_guid = p.get("ExchangeGuid") or ZERO_GUID
    if "ArchiveGuid" in p:
        r.archive_guid = p.get("ArchiveGuid") or ZERO_GUID
    if "EmailAddresses" in p:
        _apply_email_addresses(t, r, p.get("EmailAddresses") or [])
    if "PrimarySmtpAddress" in p and p.get("PrimarySmtpAddress"):
        primary = p.get("PrimarySmtpAddress")
        if primary.lower() not in {a.lower() for a in r.smtp_addresses()}:
            _check_address(t, primary, owner_ok=r.name)
        rest = [
            ("smtp:" + a[5:]) if a.startswith("SMTP:") else a
            for a in r.email_addresses
            if a.lower() != f"smtp:{primary.lower()}"
        ]
        r.email_addresses = [f"SMTP:{primary}", *rest]
        r.primary_smtp_address = primary
    if "ExternalEmailAddress" in p:
        ext = p.get("ExternalEmailAddress")
        r.external_email_address = f"SMTP:{_smtp(ext)}" if ext else None
    for param, attr in (("DisplayName", "display_name"),):
        if param in p and p.get(param):
            setattr(u, attr, p.get(param))
    if "Alias" in p and p.get("Alias"):
        r.alias = p.get("Alias")
    if p.get("EnableLitigationHoldForMigration"):
        # "used in cross-tenant mailbox migrations to increase the quota on the Recoverable
        # Items folder to 100 GB (and also enable Litigation Hold) prior to migration. …
        # This feature is not available in hybrid tenants" (Set-MailUser reference): a
        # synced object was refused above, as every write to one is.
        r.recoverable_items_quota = HOLD_FOR_MIGRATION_QUOTA
        r.litigation_hold_enabled = True
    if r == current:
        inv.warnings.append(
            f"The command completed successfully but no settings of '{current.name}' have been "
            "modified."
        )
        return []
    if not inv.what_if:
        u.recipient = r
    return []


def set_user(inv: Invocation) -> list[Record]:
    """Set-User -PermanentlyClearPreviousMailboxInfo: irreversible, clears the previous
    mailbox's ExchangeGuid/ArchiveGuid history (microsoft-t2t.md §4; PSDOC Set-User)."""
    t, p = inv.tenant, inv.params
    u = find_user(t, p.get("Identity"))
    if u is None:
        raise not_found(p.get("Identity"))
    if p.get("PermanentlyClearPreviousMailboxInfo") and u.recipient is not None:
        if u.recipient.is_mailbox:
            raise CmdletError(
                400,
                "Microsoft.Exchange.Data.DataValidationException",
                "PermanentlyClearPreviousMailboxInfo can't be used on a user with a mailbox.",
            )
        if not inv.what_if:
            u.recipient.previous_exchange_guid = None
            u.recipient.previous_recipient_type_details = None
    return []


def _not_yet(name: str, kind: Kind = Kind.STRING, dotnet: str = "System.String") -> Param:
    return Param(name, kind, dotnet, emulated=False)


def register(registry: Registry) -> None:
    ident = Param(
        "Identity", dotnet_type="Microsoft.Exchange.Configuration.Tasks.RecipientIdParameter"
    )
    mbx = Param("Identity", dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter")
    mbx_req = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
        mandatory=True,
    )
    mu_id = Param(
        "Identity", dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailUserIdParameter"
    )
    result_size = Param("ResultSize", Kind.UNLIMITED, _UNLIMITED)
    rtd = Param("RecipientTypeDetails", Kind.MULTI, _RTD + "[]")
    unfiltered = (_not_yet("Anr"), _not_yet("OrganizationalUnit"), _not_yet("SortBy"))
    # -Filter: the OPATH subset opath.py evaluates.
    filters = (Param("Filter"), *unfiltered)
    registry.add(
        CmdletSpec(
            "Get-Recipient",
            (ident, rtd, result_size, DC_PARAM, *filters),
            get_recipient,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-User",
            (
                Param(
                    "Identity", dotnet_type="Microsoft.Exchange.Configuration.Tasks.UserIdParameter"
                ),
                rtd,
                result_size,
                DC_PARAM,
                *filters,
            ),
            get_user,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-Mailbox",
            (
                mbx,
                rtd,
                result_size,
                DC_PARAM,
                _not_yet("Archive", Kind.SWITCH, "System.Management.Automation.SwitchParameter"),
                # Exchange Online only (Get-Mailbox reference): "only soft-deleted mailboxes",
                # "only inactive mailboxes".
                Param("SoftDeletedMailbox", Kind.SWITCH),
                Param("InactiveMailboxOnly", Kind.SWITCH),
                _not_yet(
                    "IncludeInactiveMailbox",
                    Kind.SWITCH,
                    "System.Management.Automation.SwitchParameter",
                ),
                *filters,
            ),
            get_mailbox,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MailboxStatistics",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.GeneralMailboxOrMailUserIdParameter",
                    mandatory=True,
                ),
                Param("Archive", Kind.SWITCH),
                DC_PARAM,
                _not_yet(
                    "IncludeSoftDeletedRecipients",
                    Kind.SWITCH,
                    "System.Management.Automation.SwitchParameter",
                ),
                _not_yet(
                    "IncludeMoveHistory",
                    Kind.SWITCH,
                    "System.Management.Automation.SwitchParameter",
                ),
                _not_yet(
                    "IncludeMoveReport", Kind.SWITCH, "System.Management.Automation.SwitchParameter"
                ),
            ),
            get_mailbox_statistics,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MailboxPermission",
            (
                mbx_req,
                Param(
                    "User",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.SecurityPrincipalIdParameter",
                ),
                DC_PARAM,
                result_size,
            ),
            get_mailbox_permission,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MailUser", (mu_id, result_size, DC_PARAM, *filters), get_mail_user, paged=True
        )
    )
    registry.add(
        CmdletSpec(
            "New-MailUser",
            (
                Param("Name", mandatory=True),
                Param(
                    "MicrosoftOnlineServicesID", Kind.SMTP, "Microsoft.Exchange.Data.WindowsLiveId"
                ),
                Param("Password", Kind.SECURE, "System.Security.SecureString"),
                Param("ExternalEmailAddress", dotnet_type="Microsoft.Exchange.Data.ProxyAddress"),
                Param("PrimarySmtpAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                Param("Alias"),
                Param("DisplayName"),
                Param("FirstName"),
                Param("LastName"),
                Param("Initials"),
                Param("ResetPasswordOnNextLogon", Kind.BOOL, "System.Boolean"),
                _not_yet("FederatedIdentity"),
                _not_yet("ImmutableId"),
                _not_yet("MailboxRegion"),
                _not_yet("ModeratedBy", Kind.MULTI, "Microsoft.Exchange.Data.MultiValuedProperty"),
                _not_yet("ModerationEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("OrganizationalUnit"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            new_mail_user,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-MailUser",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailUserIdParameter",
                    mandatory=True,
                ),
                Param("ExchangeGuid", Kind.GUID, "System.Guid"),
                Param("ArchiveGuid", Kind.GUID, "System.Guid"),
                Param(
                    "EmailAddresses",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.ProxyAddressCollection",
                    updatable=True,
                ),
                Param("ExternalEmailAddress", dotnet_type="Microsoft.Exchange.Data.ProxyAddress"),
                Param("PrimarySmtpAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                Param("DisplayName"),
                Param("Alias"),
                Param(
                    "EnableLitigationHoldForMigration",
                    Kind.SWITCH,
                    "System.Management.Automation.SwitchParameter",
                ),
                _not_yet("HiddenFromAddressListsEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("CustomAttribute1"),
                _not_yet("Name"),
                _not_yet("MicrosoftOnlineServicesID"),
                _not_yet("UserPrincipalName"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_mail_user,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-User",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.UserIdParameter",
                    mandatory=True,
                ),
                Param("PermanentlyClearPreviousMailboxInfo", Kind.SWITCH),
                _not_yet("DisplayName"),
                _not_yet("FirstName"),
                _not_yet("LastName"),
                _not_yet("Name"),
                _not_yet("Company"),
                _not_yet("Department"),
                _not_yet("Office"),
                _not_yet("Title"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_user,
        )
    )
