"""A target MailUser that was a mailbox before still carries that mailbox (T2T-E322).

Why its own check: Microsoft's prerequisites for the target object say "You must ensure that
the target MailUser has no previous ExchangeGUID that doesn't match the Source ExchangeGUID.
This mismatch might occur if the target MEU was previously licensed for Exchange Online and
provisioned a mailbox" (Learn, Cross-tenant mailbox migration, "Prerequisites for target user
objects", step 8). Exchange keeps the previous mailbox's "Previous home MDB and Previous
Mailbox GUID" on the user; Get-User shows that it was one (PreviousRecipientTypeDetails, the
property Learn's own `Get-User <identity> | select Name, *recipient*` finds them by) but
publishes no previous GUID to compare, so any previous mailbox blocks — the stricter reading.
E310 is the other half: a target that *is* a mailbox now.

The only remedy is Set-User -PermanentlyClearPreviousMailboxInfo, which is irreversible ("If
the object has a softDeleted mailbox, it can't be restored after this point", Learn's
CAUTION; "prevents you from reconnecting to the mailbox and prevents you from recovering
content from the mailbox", Set-User reference): t2t never plans it and names the command.
"""

from __future__ import annotations

from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.state.exchange import PreviousMailbox, Recipient

TARGET_PREVIOUS_MAILBOX = CheckDef(
    "T2T-E322",
    "target-previous-mailbox",
    "error",
    "The target MailUser was a mailbox before and still carries that mailbox's GUID and "
    "database (Get-User PreviousRecipientTypeDetails)",
    "the move of this user fails: Microsoft names no exception, but requires 'that the target "
    "MailUser has no previous ExchangeGUID that doesn't match the Source ExchangeGUID' (Learn, "
    "step 8); licensing the user again reconnects the previous mailbox instead",
    "Run Set-User <target> -PermanentlyClearPreviousMailboxInfo in the target, then plan "
    "again. It is irreversible — 'If the object has a softDeleted mailbox, it can't be "
    "restored after this point' — so export what you need from the previous mailbox first "
    "(t2t never runs it); or give this mailbox another target address in the spec.",
    "Learn, Cross-tenant mailbox migration, 'Prerequisites for target user objects' step 8 "
    "and its CAUTION (https://learn.microsoft.com/microsoft-365/enterprise/"
    "cross-tenant-mailbox-migration#prerequisites-for-target-user-objects); Get-User reference "
    "and 'Filterable properties for the Filter parameter' (PreviousRecipientTypeDetails); "
    "Set-User reference (-PermanentlyClearPreviousMailboxInfo); Exchange Team blog "
    "'Permanently Clear Previous Mailbox Info' (removing the licence 'will convert the cloud "
    "object … back to a Mail User … Exchange online keeps pointers that indicate that there "
    "used to be a mailbox')",
)

register(TARGET_PREVIOUS_MAILBOX, scope="mailbox")


def index_previous(records: tuple[PreviousMailbox, ...]) -> dict[str, PreviousMailbox]:
    """The records by GUID and by UPN (Get-User and Get-MailUser name the same object)."""
    out: dict[str, PreviousMailbox] = {}
    for p in records:
        for key in (p.guid, p.user_principal_name):
            if key:
                out[key.lower()] = p
    return out


def previous_mailbox_finding(
    target: str, current: Recipient | None, previous: dict[str, PreviousMailbox]
) -> Finding | None:
    """E322 for an existing target MailUser that Get-User says was a mailbox."""
    if current is None or current.is_mailbox:
        return None  # none yet (New-MailUser makes a clean one), or E310's business
    found = previous.get(current.guid.lower()) or previous.get(current.user_principal_name.lower())
    if found is None:
        return None
    return finding(
        TARGET_PREVIOUS_MAILBOX.code,
        "target",
        target,
        f"Get-User {found.identity or current.identity}: PreviousRecipientTypeDetails "
        f"{found.previous_recipient_type_details} — this mail user was a mailbox, and Exchange "
        "still holds that mailbox's GUID and database for it",
        fixed_by_plan=False,
    )
