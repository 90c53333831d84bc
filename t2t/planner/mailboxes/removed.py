"""A spec address that Get-Mailbox does not find because its mailbox is inactive or
soft-deleted (T2T-E331, T2T-E332), said as such instead of "does not exist" (T2T-E301). Pure.

Get-Mailbox leaves both out unless asked (-InactiveMailboxOnly, -SoftDeletedMailbox: Get-Mailbox
reference, Exchange Online); the probe asks only for addresses it did not find
(t2t/probes/source_mailboxes.py). Neither is movable as it is: MRS finds the source by the
target's ExchangeGuid among the source's mailboxes, and a removed mailbox is not one of them.

- Inactive: "An inactive mailbox is a mailbox that's placed on Litigation Hold or In-Place Hold
  before it's soft-deleted" (Get-Mailbox reference), and Learn says "Mailboxes that are on any
  type of hold aren't migrated, and the move for those mailboxes is blocked" (Cross-tenant
  mailbox migration). Recovering it makes a new active mailbox (Purview, "Recover an inactive
  mailbox": New-Mailbox -InactiveMailbox) — still a mailbox on hold until the holds go.
- Soft-deleted: "deleted mailboxes that are still recoverable" (Get-Mailbox reference): the user
  was deleted in Entra and comes back, mailbox and all, when the user is restored within 30
  days (Graph "Restore deleted item": POST /directory/deletedItems/{id}/restore; the Entra
  admin center's Deleted users). Restore-MsolUser (MSOnline) is retired.
"""

from __future__ import annotations

from collections.abc import Iterable

from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.state.exchange import RemovedMailbox

_NOT_MOVABLE = (
    "MissingExchangeGuidException: the move finds no source mailbox with the target's "
    "ExchangeGuid (Get-Mailbox does not return a removed mailbox; Microsoft names no exception "
    "of its own for this case)"
)

INACTIVE = CheckDef(
    "T2T-E331",
    "source-mailbox-inactive",
    "error",
    "The declared source mailbox is an inactive mailbox (its user was deleted while a hold "
    "kept the mailbox)",
    _NOT_MOVABLE + "; and 'Mailboxes that are on any type of hold aren't migrated, and the "
    "move for those mailboxes is blocked' (Learn)",
    "An inactive mailbox is not migrated: it exists only because a retention policy or hold "
    "keeps it. Remove it from the spec (or its CSV); to move its content, recover it into an "
    "active mailbox (New-Mailbox -InactiveMailbox <ExchangeGuid> …, Purview 'Recover an "
    "inactive mailbox'), release its holds, and declare that mailbox.",
    "Get-Mailbox reference, -InactiveMailboxOnly ('An inactive mailbox is a mailbox that's "
    "placed on Litigation Hold or In-Place Hold before it's soft-deleted'); Learn, "
    "Cross-tenant mailbox migration, IMPORTANT ('Mailboxes that are on any type of hold aren't "
    "migrated, and the move for those mailboxes is blocked', https://learn.microsoft.com/"
    "microsoft-365/enterprise/cross-tenant-mailbox-migration); Purview, 'Recover an inactive "
    "mailbox' (https://learn.microsoft.com/purview/recover-an-inactive-mailbox)",
)
SOFT_DELETED = CheckDef(
    "T2T-E332",
    "source-mailbox-soft-deleted",
    "error",
    "The declared source mailbox is soft-deleted (its user was deleted in Entra)",
    _NOT_MOVABLE,
    "Restore the user first, within 30 days of its deletion — Microsoft Entra admin center › "
    "Users › Deleted users › Restore user, or Graph POST /directory/deletedItems/{id}/restore "
    "(Restore-MsolUser is retired) — and the mailbox comes back with it; then plan again. If "
    "the user is gone for good, remove the mailbox from the spec.",
    "Get-Mailbox reference, -SoftDeletedMailbox ('Soft-deleted mailboxes are deleted mailboxes "
    "that are still recoverable'); Graph 'Restore deleted item (directory object)' "
    "(https://learn.microsoft.com/graph/api/directory-deleteditems-restore); Graph 'Delete "
    "user' ('moved to a temporary container and can be restored within 30 days')",
)

register(INACTIVE, SOFT_DELETED, scope="mailbox")


def index_removed(mailboxes: Iterable[RemovedMailbox]) -> dict[str, RemovedMailbox]:
    """The removed mailboxes by each of their SMTP addresses."""
    out: dict[str, RemovedMailbox] = {}
    for m in mailboxes:
        for address in (m.primary_smtp_address, *m.smtp_addresses):
            if address:
                out.setdefault(address.lower(), m)
    return out


def removed_finding(address: str, removed: dict[str, RemovedMailbox]) -> Finding | None:
    """E331 or E332 for a spec source address no mailbox or mail user holds, when a removed
    mailbox does; None leaves it to T2T-E301."""
    m = removed.get(address.lower())
    if m is None:
        return None
    when = f", soft-deleted {m.when_soft_deleted}" if m.when_soft_deleted else ""
    if m.inactive:
        detail = (
            f"Get-Mailbox -InactiveMailboxOnly: {m.identity} (ExchangeGuid {m.exchange_guid}"
            f"{when}) is inactive — a hold keeps it, and a mailbox on hold is not migrated"
        )
        return finding(INACTIVE.code, "source", address, detail, fixed_by_plan=False)
    user = m.external_directory_object_id or "<its object id>"
    detail = (
        f"Get-Mailbox -SoftDeletedMailbox: {m.identity} (ExchangeGuid {m.exchange_guid}{when}) "
        f"is soft-deleted; restore its user: POST /directory/deletedItems/{user}/restore"
    )
    return finding(SOFT_DELETED.code, "source", address, detail, fixed_by_plan=False)
