"""Mail contacts: Get-/New-/Set-/Remove-MailContact (t2t's apply lease is one, t2t/apply/lease.py).

Parameters and limits from
https://learn.microsoft.com/powershell/module/exchangepowershell/new-mailcontact (Name "the
unique name of the mail contact. The maximum length is 64 characters"; ExternalEmailAddress
"is used as the primary email address of the mail contact"; DisplayName at most 256
characters, Name when not given; Alias from Name with "Spaces … removed and unsupported
characters … converted to question marks"), …/set-mailcontact (CustomAttribute1-15 at most
1024 characters each, HiddenFromAddressListsEnabled), …/get-mailcontact and
…/remove-mailcontact; the module's proxies (wire.py's dump: Get-MailContact line 16347
declares -ResultSize, Remove-MailContact line 39006 ConfirmImpact='High').

Name is unique across every recipient of the organization (exchange/directory.py
``name_taken``): a second New-MailContact of a Name in use fails with
ADObjectAlreadyExistsException 'The name "<Name>" is already being used. Please try another
name.' — Exchange's recipient-provisioning text (Microsoft Learn training MS-203, "Interpret
and troubleshoot validation errors encountered during object provisioning": ``Exchange: The
name "<Name>" is already being used. Please try another name.``), the type the sandbox's
New-MailUser answers with for the same refusal. Requests are served one at a time under the
state lock, so two racing creations of one Name end as Microsoft's directory ends them: one
object, one refusal. A Get- right after New-MailContact lags (wire-protocols.md §1.5: 404
six seconds after New-MailContact, [DROLL]): the contact is noted as created for faults.py's
``lag`` rules. Set-/Remove-MailContact find the contact on the same lagging replica: while
it is hidden they answer not-found too. No report says so for contacts; Set-MailUser right
after New-MailUser does (replication.py, exo-module-protocol.md "App-only administration"
[live]), so the sandbox takes the stricter reading (README, C3). Parameters the sandbox
does not model are accepted by name and answered with T2t.Sandbox.NotEmulatedException.
"""

from __future__ import annotations

import re

from t2t.sandbox.exchange.cmdlets.common import check_length
from t2t.sandbox.exchange.directory import address_owner, name_taken
from t2t.sandbox.exchange.errors import ALREADY_EXISTS, CmdletError, not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.model import MailContact, Tenant, derived_guid
from t2t.sandbox.moves.catalogue import spec

_RTD = "Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails"
_RT = "Microsoft.Exchange.Data.Directory.Recipient.RecipientType"
_FOREST = "OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
_ALIAS_UNSUPPORTED = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u00a1-\u00ff]")
CUSTOM_ATTRIBUTES = range(1, 16)


def _dn(t: Tenant, c: MailContact) -> str:
    return f"CN={c.name},OU={t.initial_domain},{_FOREST}"


def contact_record(t: Tenant, c: MailContact) -> Record:
    """Get-MailContact: identity, addresses, visibility, the custom attributes, times."""
    return {
        "Name": c.name,
        "DisplayName": c.display_name,
        "Alias": c.alias,
        "Identity": c.name,
        "Id": c.name,
        "Guid": guid(c.guid),
        "DistinguishedName": _dn(t, c),
        "ExternalDirectoryObjectId": c.guid,
        "RecipientType": enum_value("MailContact", _RT),
        "RecipientTypeDetails": enum_value("MailContact", _RTD),
        "ExternalEmailAddress": c.external_email_address,
        "PrimarySmtpAddress": c.primary_smtp_address,
        "EmailAddresses": strings([f"SMTP:{c.primary_smtp_address}"]),
        "HiddenFromAddressListsEnabled": c.hidden_from_address_lists_enabled,
        **{f"CustomAttribute{i}": c.custom_attributes.get(i, "") for i in CUSTOM_ATTRIBUTES},
        "IsDirSynced": False,
        "OrganizationId": t.initial_domain,
        "WhenCreated": date(c.when_created),
        "WhenChanged": date(c.when_changed),
        "WhenCreatedUTC": date(c.when_created),
        "WhenChangedUTC": date(c.when_changed),
    }


def find_contact(t: Tenant, identity: str) -> MailContact | None:
    """MailContactIdParameter: name, alias, display name, DN, email address or GUID."""
    key = identity.strip().lower()
    if key.startswith("smtp:"):
        key = key[5:]
    for c in t.mail_contacts:
        keys = {c.name, c.alias, c.display_name, _dn(t, c), c.primary_smtp_address, c.guid}
        if key in {k.lower() for k in keys}:
            return c
    return None


def _require(inv: Invocation) -> MailContact:
    """The contact -Identity names, as the replica serving the call sees it (faults.py lag)."""
    identity = inv.params.get("Identity")
    found = find_contact(inv.tenant, identity)
    if found is None or not inv.visible(found.guid):
        raise not_found(identity)
    return found


def get_mail_contact(inv: Invocation) -> list[Record]:
    t, identity = inv.tenant, inv.params.get("Identity")
    if identity:
        return [contact_record(t, _require(inv))]
    return [contact_record(t, c) for c in t.mail_contacts if inv.visible(c.guid)]


def _smtp(value: str) -> str:
    return value.split(":", 1)[1] if value.lower().startswith("smtp:") else value


def new_mail_contact(inv: Invocation) -> list[Record]:
    """New-MailContact: Name unique in the organization; the external address becomes the
    primary address and, like any proxy, may belong to one recipient only."""
    t, p = inv.tenant, inv.params
    name: str = p.get("Name")
    check_length(name, 64)
    display = p.get("DisplayName") or name
    check_length(display, 256)
    if name_taken(t, name):
        raise CmdletError(
            400,
            ALREADY_EXISTS,
            f'The name "{name}" is already being used. Please try another name.',
        )
    external = _smtp(p.get("ExternalEmailAddress"))
    owner = address_owner(t, external)
    if owner is not None:
        s = spec("RecipientAlreadyExists")
        raise CmdletError(400, s.full_type, s.render(address=f"SMTP:{external}", owner=owner))
    alias = p.get("Alias") or _ALIAS_UNSUPPORTED.sub("?", name.replace(" ", ""))
    check_length(alias, 64)
    contact = MailContact(
        guid=derived_guid(t.tenant_id, "contact", name, inv.now.isoformat()),
        name=name,
        alias=alias,
        display_name=display,
        external_email_address=f"SMTP:{external}",
        when_created=inv.now,
        when_changed=inv.now,
    )
    if inv.what_if:
        return []
    t.mail_contacts.append(contact)
    inv.created(contact.guid, name, alias, external)
    return [contact_record(t, contact)]


def set_mail_contact(inv: Invocation) -> list[Record]:
    """Set-MailContact: the custom attributes, DisplayName, HiddenFromAddressListsEnabled.
    Nothing changed → Exchange's "no settings … have been modified" warning (the text
    Set-MailUser answers with, recipients.py)."""
    p = inv.params
    current = _require(inv)
    changed = current.model_copy(deep=True)
    for i in CUSTOM_ATTRIBUTES:
        param = f"CustomAttribute{i}"
        if param in p:
            value = p.get(param) or ""
            check_length(value, 1024)
            if value:
                changed.custom_attributes[i] = value
            else:
                changed.custom_attributes.pop(i, None)
    if p.get("DisplayName"):
        check_length(p.get("DisplayName"), 256)
        changed.display_name = p.get("DisplayName")
    if "HiddenFromAddressListsEnabled" in p:
        changed.hidden_from_address_lists_enabled = bool(p.get("HiddenFromAddressListsEnabled"))
    if changed == current:
        inv.warnings.append(
            f"The command completed successfully but no settings of '{current.name}' have been "
            "modified."
        )
        return []
    if not inv.what_if:
        changed.when_changed = inv.now
        t = inv.tenant
        t.mail_contacts = [changed if c.guid == current.guid else c for c in t.mail_contacts]
    return []


def remove_mail_contact(inv: Invocation) -> list[Record]:
    """Remove-MailContact (ConfirmImpact High: confirm.py)."""
    contact = _require(inv)
    if not inv.what_if:
        t = inv.tenant
        t.mail_contacts = [c for c in t.mail_contacts if c.guid != contact.guid]
    return []


def _not_yet(name: str, kind: Kind = Kind.STRING, dotnet: str = "System.String") -> Param:
    return Param(name, kind, dotnet, emulated=False)


_ID = "Microsoft.Exchange.Configuration.Tasks.MailContactIdParameter"
_MULTI = "Microsoft.Exchange.Data.MultiValuedProperty"


def register(registry: Registry) -> None:
    ident = Param("Identity", dotnet_type=_ID)
    ident_required = Param("Identity", dotnet_type=_ID, mandatory=True)
    registry.add(
        CmdletSpec(
            "Get-MailContact",
            (
                ident,
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
                DC_PARAM,
                _not_yet("Anr"),
                _not_yet("Filter"),
                _not_yet("OrganizationalUnit"),
                _not_yet("RecipientTypeDetails", Kind.MULTI, _RTD + "[]"),
                _not_yet("SortBy"),
            ),
            get_mail_contact,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "New-MailContact",
            (
                Param("Name", mandatory=True),
                Param(
                    "ExternalEmailAddress",
                    dotnet_type="Microsoft.Exchange.Data.ProxyAddress",
                    mandatory=True,
                ),
                Param("Alias"),
                Param("DisplayName"),
                _not_yet("FirstName"),
                _not_yet("Initials"),
                _not_yet("LastName"),
                _not_yet("MacAttachmentFormat"),
                _not_yet("MessageBodyFormat"),
                _not_yet("MessageFormat"),
                _not_yet("ModeratedBy", Kind.MULTI, _MULTI),
                _not_yet("ModerationEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("OrganizationalUnit"),
                _not_yet("SendModerationNotifications"),
                _not_yet("UsePreferMessageFormat", Kind.BOOL, "System.Boolean"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            new_mail_contact,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-MailContact",
            (
                ident_required,
                *(Param(f"CustomAttribute{i}") for i in CUSTOM_ATTRIBUTES),
                Param("DisplayName"),
                Param("HiddenFromAddressListsEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("Alias"),
                _not_yet(
                    "EmailAddresses", Kind.MULTI, "Microsoft.Exchange.Data.ProxyAddressCollection"
                ),
                _not_yet("ExternalEmailAddress", dotnet="Microsoft.Exchange.Data.ProxyAddress"),
                _not_yet("MailTip"),
                _not_yet("Name"),
                _not_yet("PrimarySmtpAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                _not_yet("RequireSenderAuthenticationEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("SimpleDisplayName"),
                _not_yet("WindowsEmailAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_mail_contact,
        )
    )
    registry.add(
        CmdletSpec(
            "Remove-MailContact",
            (ident_required, CONFIRM, DC_PARAM, WHATIF),
            remove_mail_contact,
        )
    )
