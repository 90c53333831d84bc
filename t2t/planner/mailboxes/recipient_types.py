"""Which kinds of source recipient a cross-tenant move takes (T2T-E302). Pure.

Microsoft's statements, and only those, decide it (issue 13: no check blocks what Microsoft
allows; a block cites what it rests on):

- User mailboxes: the documented case (Learn, "Cross-tenant mailbox migration",
  https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration).
- Shared mailboxes move, FAQ "Will shared mailboxes move and still work?": "Yes. However, we
  only keep the store permissions as described in this article" (same answer since the 2022
  preview). Microsoft's validation script (CSS-Exchange
  Admin/CrossTenantMailboxMigrationValidation.ps1, CheckObjects) takes any Get-Mailbox result
  as a source and, for one that is not a UserMailbox, only skips the licence test: "Mailbox is
  not regular, skipping T2T migration license validation check". t2t plans a shared mailbox
  exactly like a user mailbox — a target MailUser, its ExchangeGuid, x500s and licences — and
  keeps the licence check (T2T-E307) for it: Learn's Licensing section says "Cross-Tenant
  migrations requires a per user license" and "Microsoft doesn't offer exceptions for this
  licensing requirement", and names no exemption for shared mailboxes (the stricter reading
  of the two sources).
- Microsoft 365 Group mailboxes do not: FAQ "Do you support moving Microsoft 365 Groups?":
  "Currently the cross-tenant mailbox migrations feature doesn't support the migration of
  Microsoft 365 Groups."
- Room and equipment mailboxes: no Microsoft statement says they move (Learn, the Exchange
  Team blog and the validation script are silent; the script merely does not refuse them), so
  t2t does not plan them until one does.
- A source MailUser has no mailbox to move (a moved one is recognised before this check).
"""

from __future__ import annotations

from t2t.state.exchange import Recipient

#: The source types t2t moves: the documented user mailbox, and the shared mailbox
#: (Learn FAQ "Will shared mailboxes move and still work? Yes.").
MOVABLE = frozenset({"UserMailbox", "SharedMailbox"})

_GROUPS = (
    "Microsoft 365 Group mailboxes do not move: 'Currently the cross-tenant mailbox "
    "migrations feature doesn't support the migration of Microsoft 365 Groups' (Learn, "
    "Cross-tenant mailbox migration, FAQ)"
)
_RESOURCE = (
    "no Microsoft statement says a {kind} moves cross-tenant (Learn's FAQ names user and "
    "shared mailboxes only)"
)
_WHY: dict[str, str] = {
    "GroupMailbox": _GROUPS,
    "RoomMailbox": _RESOURCE.format(kind="room mailbox"),
    "EquipmentMailbox": _RESOURCE.format(kind="equipment mailbox"),
    "MailUser": "a MailUser has no mailbox in the source to move",
}


def not_movable(source: Recipient) -> str | None:
    """Why the move does not take this source recipient (T2T-E302's message), or None.

    Blocks only on Microsoft's word or its silence, never against it: "Will shared mailboxes
    move and still work? Yes." and "Currently the cross-tenant mailbox migrations feature
    doesn't support the migration of Microsoft 365 Groups." (Learn FAQ,
    https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration)."""
    kind = source.recipient_type_details
    if kind in MOVABLE:
        return None
    reason = _WHY.get(kind, "not documented by Microsoft as movable cross-tenant")
    return f"RecipientTypeDetails is {kind}: {reason}"
