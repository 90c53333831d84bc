"""What the move of each wave mailbox will lose: permissions, delegates and forwarding. Pure.

One `Loss` per right that does not reach the target, from Microsoft's FAQ (Learn, Cross-tenant
mailbox migration, "How do mailbox permissions transition?" and "Will shared mailboxes move and
still work?"):

- FullAccess and the other rights stored in the mailbox, and Calendar folder permissions:
  "Mailbox Permissions that are stored in the mailbox will move with the mailbox when both the
  principal and the delegate are moved to the target system"; "Cross-tenant mailbox and calendar
  permissions aren't supported. You must organize principals and delegates into consolidated
  move batches so that these connected mailboxes are transitioned at the same time". Lost when
  the other side moves in another wave or is not in the spec (stays behind); kept when both are
  in one wave (`together`).
- SendAs: a permission on the directory object (Get-RecipientPermission), not one stored in the
  mailbox, and Microsoft keeps "only the store permissions" ("Will shared mailboxes move…") —
  so lost even when both move together (an inference: no Microsoft page says SendAs moves).
- Send on behalf (GrantSendOnBehalfTo, AD publicDelegates): "currently doesn't move as part of
  the mailbox transition … restamp the publicDelegates on the target Mailbox once the MEU to
  Mailbox conversion completes … Set-Mailbox <principle> -GrantSendOnBehalfTo <delegate>".
- Forwarding (ForwardingAddress, ForwardingSmtpAddress): attributes of the source object, which
  becomes a MailUser; no Microsoft statement says they are carried over (an inference).
- Memberships of distribution and mail-enabled security groups: links of the source directory,
  not mailbox content — "only user visible content in the mailbox (email, contacts, calendar,
  tasks, and notes) is migrated to the target" (Learn, Cross-tenant mailbox migration), and the
  source mailbox "is converted to a MailUser" that stays in the source (and in its groups, so
  the source group's mail still reaches the user until the source removes that MailUser). The
  target MailUser t2t creates belongs to no group: each membership is lost in the target,
  whatever the waves (an inference from what Microsoft says moves; no page lists groups).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from t2t.state.exchange import Grant, GroupMembership, MailboxGrants, Recipient

if TYPE_CHECKING:
    from t2t.spec import Desired, DesiredMailbox

Right = Literal[
    "FullAccess",
    "MailboxPermission",
    "Calendar",
    "SendAs",
    "SendOnBehalf",
    "Forwarding",
    "Membership",
]
#: Rights Microsoft carries over when both sides move together (store permissions).
STORE_RIGHTS: frozenset[str] = frozenset({"FullAccess", "MailboxPermission", "Calendar"})

STAYS_BEHIND = "stays behind"


@dataclass(frozen=True)
class Party:
    """One side of a grant: how Exchange named it, and where the spec moves it."""

    name: str
    source: str = ""
    """The spec's source address, when the spec declares it."""
    wave: str = ""
    """Its wave, when it has one."""

    @property
    def shown(self) -> str:
        """The spec's address when it declares this side, else Exchange's name for it."""
        return self.source or self.name

    @property
    def where(self) -> str:
        return f"moves in {self.wave}" if self.wave else STAYS_BEHIND


@dataclass(frozen=True)
class Loss:
    """One right the move will not bring to the target."""

    mailbox: Party
    """The mailbox the right is on (for forwarding: the mailbox that forwards)."""
    holder: Party
    """Who holds it (for forwarding: where mail goes)."""
    right: Right
    rights: str
    """Exchange's AccessRights (or the property), as read."""
    reason: str

    @property
    def split(self) -> bool:
        """A store permission whose two sides do not move in one wave: the one kind of loss
        keeping them together avoids (delegates.keepTogether, T2T-E350)."""
        return self.right in STORE_RIGHTS

    def involves(self) -> tuple[str, ...]:
        """The wave mailboxes (source addresses) this loss is reported on."""
        return tuple(dict.fromkeys(p.source for p in (self.mailbox, self.holder) if p.wave))


class _Index:
    """Source recipients by every name, and the spec's mailboxes by source address."""

    def __init__(self, desired: Desired, recipients: Iterable[Recipient]) -> None:
        self.declared: dict[str, DesiredMailbox] = {m.source_key: m for m in desired.mailboxes}
        self.by_name: dict[str, Recipient] = {}
        for r in recipients:
            for name in r.names:
                if name not in self.by_name or r.is_mailbox:
                    self.by_name[name] = r

    def party(self, name: str) -> Party:
        r = self.by_name.get(name.lower())
        if r is None:
            return Party(name=name)
        for address in (r.primary_smtp_address, *r.smtp_addresses):
            m = self.declared.get(address.lower())
            if m is not None:
                return Party(name=name, source=m.source, wave=m.batch or "")
        return Party(name=name)


def _store_losses(
    ix: _Index, per_mailbox: Iterable[MailboxGrants], right: Right, what: str
) -> list[Loss]:
    out: list[Loss] = []
    for read in per_mailbox:
        mailbox = ix.party(read.mailbox)
        for g in read.grants:
            holder = ix.party(g.holder)
            if holder.wave and holder.wave.lower() == mailbox.wave.lower():
                continue  # both move in one wave: Microsoft carries it over
            kind: Right = right
            if right == "FullAccess" and "FullAccess" not in g.rights:
                kind = "MailboxPermission"  # ChangePermission, ReadPermission … without it
            out.append(
                Loss(
                    mailbox=mailbox,
                    holder=holder,
                    right=kind,
                    rights=", ".join(g.rights),
                    reason=f"{what}; the holder {holder.where}",
                )
            )
    return out


def _send_as(ix: _Index, grants: Iterable[Grant]) -> list[Loss]:
    out: list[Loss] = []
    for g in grants:
        mailbox, holder = ix.party(g.mailbox), ix.party(g.holder)
        if not mailbox.wave and not holder.wave:
            continue
        out.append(
            Loss(
                mailbox=mailbox,
                holder=holder,
                right="SendAs",
                rights=", ".join(g.rights) or "SendAs",
                reason="SendAs is a directory permission, not one stored in the mailbox "
                f"(Microsoft keeps only the store permissions); the holder {holder.where}",
            )
        )
    return out


def _on_mailbox(ix: _Index, r: Recipient) -> list[Loss]:
    mailbox = ix.party(r.primary_smtp_address)
    out = [
        Loss(
            mailbox=mailbox,
            holder=ix.party(d),
            right="SendOnBehalf",
            rights="GrantSendOnBehalfTo",
            reason="Send on behalf (publicDelegates) does not move (Microsoft); restamp it on "
            "the target mailbox after the move",
        )
        for d in r.grant_send_on_behalf_to
    ]
    for prop, value in (
        ("ForwardingAddress", r.forwarding_address),
        ("ForwardingSmtpAddress", r.forwarding_smtp_address),
    ):
        if value:
            kept = ", DeliverToMailboxAndForward" if r.deliver_to_mailbox_and_forward else ""
            out.append(
                Loss(
                    mailbox=mailbox,
                    holder=ix.party(value.removeprefix("smtp:").removeprefix("SMTP:")),
                    right="Forwarding",
                    rights=prop + kept,
                    reason="forwarding is set on the source object, which becomes a MailUser; "
                    "nothing says the move carries it to the target mailbox (inference)",
                )
            )
    return out


def _memberships(ix: _Index, groups: Iterable[GroupMembership]) -> list[Loss]:
    """One loss per wave mailbox and group it is a direct member of: the right is on the group
    (`mailbox`), held by the member (`holder`)."""
    out: list[Loss] = []
    for g in groups:
        group = ix.party(g.group)
        for member in g.members:
            holder = ix.party(member)
            if not holder.wave:
                continue
            out.append(
                Loss(
                    mailbox=group,
                    holder=holder,
                    right="Membership",
                    rights=g.recipient_type_details,
                    reason="a group membership is a link of the source directory, not mailbox "
                    "content (Microsoft moves only the mailbox's user-visible content); the "
                    "target MailUser belongs to no group — add it to the target's group after "
                    "the move",
                )
            )
    return out


def unread(
    desired: Desired, recipients: Iterable[Recipient], *parts: Iterable[MailboxGrants]
) -> list[Party]:
    """The wave mailboxes still mailboxes in the source with no record in one of the per-mailbox
    `parts`: their permissions were not read (t2t/probes/delegations.py reads only the due ones
    by default)."""
    recipients = tuple(recipients)
    ix = _Index(desired, recipients)
    out: list[Party] = []
    for part in parts:
        read = {id(ix.by_name.get(m.mailbox.lower())) for m in part}
        out += (
            ix.party(r.primary_smtp_address)
            for r in recipients
            if r.is_mailbox and id(r) not in read
        )
    return [p for p in out if p.wave]


def find_losses(
    desired: Desired,
    recipients: Iterable[Recipient],
    mailbox_permissions: Iterable[MailboxGrants],
    send_as: Iterable[Grant],
    calendars: Iterable[MailboxGrants],
    memberships: Iterable[GroupMembership] = (),
) -> list[Loss]:
    """Every loss of the spec's wave mailboxes still in the source, in a stable order."""
    recipients = tuple(recipients)
    ix = _Index(desired, recipients)
    losses = _store_losses(ix, mailbox_permissions, "FullAccess", "a mailbox permission")
    losses += _store_losses(ix, calendars, "Calendar", "a calendar permission")
    losses += _send_as(ix, send_as)
    losses += _memberships(ix, memberships)
    for r in recipients:
        if r.is_mailbox and ix.party(r.primary_smtp_address).wave:
            losses += _on_mailbox(ix, r)
    return sorted(
        losses, key=lambda x: (x.mailbox.name.lower(), x.right, x.holder.name.lower(), x.rights)
    )
