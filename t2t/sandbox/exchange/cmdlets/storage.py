"""Where a mailbox's data may grow: Set-Mailbox's quotas, Enable-Mailbox -Archive and
-AutoExpandingArchive, Set-OrganizationConfig -AutoExpandingArchive; and Set-Mailbox
-EmailAddresses, the mailbox's own proxies (an X400 or x500 history an admin keeps on it);
Set-Mailbox -GrantSendOnBehalfTo and forwarding, what a cross-tenant move does not carry over
(T2T-W350).

What the references say, and the sandbox does:

- Set-Mailbox -ProhibitSendReceiveQuota / -ProhibitSendQuota / -IssueWarningQuota: "A valid
  value is a number up to 1.999999999 terabytes … or the value unlimited", qualified with B,
  KB, MB, GB or TB ("Unqualified values are typically treated as bytes"); the send-and-receive
  quota "must be greater than or equal to the ProhibitSendQuota or IssueWarningQuota values";
  "In Exchange Online … You can lower the quota value, but you can't exceed the maximum value
  that's allowed by the subscription or license" — the sandbox's mailboxes all have the 100 GB
  plan, so unlimited is refused too (the refusals' texts are assumed).
- Enable-Mailbox -Archive gives a mailbox its archive (a new ArchiveGuid);
  -AutoExpandingArchive: "The user's archive mailbox has to be enabled before auto-expanding
  archiving can be enabled", and "it can't be disabled"; run again, "You will receive an error
  saying that auto-expanding archiving has already been enabled" (Purview, "Enable
  auto-expanding archiving").
- Set-OrganizationConfig -AutoExpandingArchive turns it on for every archive; it "doesn't
  change the AutoExpandingArchiveEnabled property on user mailboxes" (same page).
- Set-Mailbox -EmailAddresses: "The EmailAddresses parameter specifies all email addresses
  (proxy addresses) for the recipient" (SMTP, smtp, X400, X500 …), replaced whole or changed
  with @{Add=…; Remove=…}; "The syntax of SMTP email addresses is validated, but the syntax of
  other email address types isn't validated" — Set-MailUser's rules (cmdlets/recipients.py).

References: https://learn.microsoft.com/powershell/module/exchangepowershell/set-mailbox,
…/enable-mailbox, …/set-organizationconfig; https://learn.microsoft.com/purview/enable-autoexpanding-archiving.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from t2t.sandbox.exchange.cmdlets.recipients import _apply_email_addresses
from t2t.sandbox.exchange.directory import find_recipient
from t2t.sandbox.exchange.errors import DATA_VALIDATION, CmdletError, not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, MultiUpdate, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record
from t2t.sandbox.model import Tenant, derived_guid
from t2t.sandbox.recipients import DEFAULT_PROHIBIT_SEND_RECEIVE_QUOTA, Recipient, size_text

_UNITS = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$", re.I)
_QUOTA_TYPE = "Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]"
#: Set-Mailbox's quota parameters and the Recipient fields they set, smallest first.
QUOTAS = (
    ("IssueWarningQuota", "issue_warning_quota"),
    ("ProhibitSendQuota", "prohibit_send_quota"),
    ("ProhibitSendReceiveQuota", "prohibit_send_receive_quota"),
)


def _bytes(name: str, value: object) -> int:
    """A ByteQuantifiedSize as Set-Mailbox takes it: "50GB", "1.5 GB", "1048576"."""
    match = _SIZE.match(str(value))
    if match is None:
        if str(value).strip().lower() == "unlimited":
            raise CmdletError(
                400,
                DATA_VALIDATION,
                f"The value of {name} can't be unlimited: it can't exceed the maximum that the "
                f"mailbox's licence allows ({size_text(DEFAULT_PROHIBIT_SEND_RECEIVE_QUOTA)}).",
            )
        raise CmdletError(
            400,
            "System.Management.Automation.ParameterBindingException",
            f"Cannot bind parameter '{name}'. Cannot convert value \"{value}\" to type "
            f'"{_QUOTA_TYPE}".',
        )
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def _mailbox(inv: Invocation) -> Recipient:
    identity = inv.params.get("Identity")
    found = find_recipient(inv.tenant, identity, lambda r: r.is_mailbox)
    if found is None:
        raise not_found(identity)
    return found[1]


def set_mailbox(inv: Invocation) -> list[Record]:
    """Set-Mailbox's quotas, checked in order (warning ≤ send ≤ send and receive ≤ plan)."""
    r = _mailbox(inv)
    values = {
        field: _bytes(param, inv.params.get(param))
        if param in inv.params
        else int(getattr(r, field))
        for param, field in QUOTAS
    }
    ordered = [values[field] for _, field in QUOTAS]
    if ordered != sorted(ordered):
        raise CmdletError(
            400,
            DATA_VALIDATION,
            "The quotas must be in order: IssueWarningQuota "
            f"({size_text(ordered[0])}) ≤ ProhibitSendQuota ({size_text(ordered[1])}) ≤ "
            f"ProhibitSendReceiveQuota ({size_text(ordered[2])}).",
        )
    if ordered[2] > DEFAULT_PROHIBIT_SEND_RECEIVE_QUOTA:
        raise CmdletError(
            400,
            DATA_VALIDATION,
            f"ProhibitSendReceiveQuota ({size_text(ordered[2])}) exceeds the maximum that the "
            f"mailbox's licence allows ({size_text(DEFAULT_PROHIBIT_SEND_RECEIVE_QUOTA)}).",
        )
    if not inv.what_if:
        for field, value in values.items():
            setattr(r, field, value)
        if "EmailAddresses" in inv.params:
            _apply_email_addresses(inv.tenant, r, inv.params.get("EmailAddresses") or [])
        _delegates_and_forwarding(inv, r)
    return []


def _delegates_and_forwarding(inv: Invocation, r: Recipient) -> None:
    """Set-Mailbox -GrantSendOnBehalfTo (recipients, replaced or @{Add=…; Remove=…}; stored by
    UPN, as Get-Mailbox shows them here), -ForwardingAddress (a recipient; $null clears it),
    -ForwardingSmtpAddress (an SMTP address; stored "smtp:"-prefixed, as Get-Mailbox shows it)
    and -DeliverToMailboxAndForward (Set-Mailbox reference)."""
    t, p = inv.tenant, inv.params
    if "GrantSendOnBehalfTo" in p:
        value = p.get("GrantSendOnBehalfTo") or []
        if isinstance(value, MultiUpdate):
            value = MultiUpdate(
                add=tuple(_upn(t, v) for v in value.add),
                remove=tuple(_upn(t, v) for v in value.remove),
            ).apply(r.grant_send_on_behalf_to)
        r.grant_send_on_behalf_to = [_upn(t, v) for v in value]
    if "ForwardingAddress" in p:
        target = p.get("ForwardingAddress")
        r.forwarding_address = _upn(t, target) if target else None
    if "ForwardingSmtpAddress" in p:
        smtp = p.get("ForwardingSmtpAddress")
        r.forwarding_smtp_address = "smtp:" + str(smtp).removeprefix("smtp:") if smtp else None
    if "DeliverToMailboxAndForward" in p:
        r.deliver_to_mailbox_and_forward = bool(p.get("DeliverToMailboxAndForward"))


def _upn(t: Tenant, identity: object) -> str:
    found = find_recipient(t, str(identity))
    if found is None:
        raise not_found(str(identity))
    return found[0].user_principal_name


def enable_mailbox(inv: Invocation) -> Sequence[Record]:
    """Enable-Mailbox -Archive | -AutoExpandingArchive on an existing mailbox."""
    r = _mailbox(inv)
    name = r.primary_smtp_address
    if inv.params.get("AutoExpandingArchive"):
        if not r.has_archive:
            raise CmdletError(
                400,
                "System.InvalidOperationException",
                f"The archive of '{name}' isn't enabled. Enable the archive before you enable "
                "auto-expanding archiving.",
            )
        if r.auto_expanding_archive_enabled:
            raise CmdletError(
                400,
                "System.InvalidOperationException",
                f"Auto-expanding archiving has already been enabled for '{name}'.",
            )
        if not inv.what_if:
            r.auto_expanding_archive_enabled = True
        return []
    if inv.params.get("Archive"):
        if r.has_archive:
            raise CmdletError(
                400,
                "System.InvalidOperationException",
                f"The mailbox '{name}' already has an archive.",
            )
        if not inv.what_if:
            if not r.archive_disabled:
                r.archive_guid = derived_guid(r.exchange_guid, "archive", inv.now.isoformat())
            r.archive_disabled = False
        return []
    raise CmdletError(
        400,
        "T2t.Sandbox.NotEmulatedException",
        "The sandbox emulates Enable-Mailbox -Archive and -AutoExpandingArchive only.",
    )


def set_organization_config(inv: Invocation) -> list[Record]:
    """Set-OrganizationConfig -AutoExpandingArchive (on for good)."""
    if inv.params.get("AutoExpandingArchive") and not inv.what_if:
        inv.tenant.organization_config.auto_expanding_archive_enabled = True
    return []


def _not_yet(name: str, kind: Kind = Kind.STRING, dotnet: str = "System.String") -> Param:
    return Param(name, kind, dotnet, emulated=False)


def register(registry: Registry) -> None:
    mbx_req = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
        mandatory=True,
    )
    switch = "System.Management.Automation.SwitchParameter"
    registry.add(
        CmdletSpec(
            "Set-Mailbox",
            (
                mbx_req,
                *(Param(param, Kind.STRING, _QUOTA_TYPE) for param, _ in QUOTAS),
                Param(
                    "EmailAddresses",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.ProxyAddressCollection",
                    updatable=True,
                ),
                _not_yet("LitigationHoldEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("RetentionPolicy"),
                _not_yet("RemoveDelayHoldApplied", Kind.SWITCH, switch),
                _not_yet("RemoveDelayReleaseHoldApplied", Kind.SWITCH, switch),
                _not_yet("RemoveDisabledArchive", Kind.SWITCH, switch),
                Param(
                    "GrantSendOnBehalfTo",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.MultiValuedProperty",
                    updatable=True,
                ),
                Param(
                    "ForwardingAddress",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.RecipientIdParameter",
                ),
                Param("ForwardingSmtpAddress", Kind.SMTP, "Microsoft.Exchange.Data.ProxyAddress"),
                Param("DeliverToMailboxAndForward", Kind.BOOL, "System.Boolean"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_mailbox,
        )
    )
    registry.add(
        CmdletSpec(
            "Enable-Mailbox",
            (
                mbx_req,
                Param("Archive", Kind.SWITCH, switch),
                Param("AutoExpandingArchive", Kind.SWITCH, switch),
                _not_yet("ArchiveName", Kind.MULTI),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            enable_mailbox,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-OrganizationConfig",
            (
                Param("AutoExpandingArchive", Kind.SWITCH, switch),
                _not_yet("DelayedDelicensingEnabled", Kind.BOOL, "System.Boolean"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            set_organization_config,
        )
    )
