"""The delegates domain: T2T-W350 (what the move of a mailbox will lose) and T2T-E350 (with
delegates.keepTogether, a mailbox and its delegate split across waves). Pure; no actions.

It runs before the batches domain, which leaves a mailbox with an E350 out of its batch like any
other mailbox-scope error (batches/domain.py); the mailbox's target MailUser is still prepared,
since only the move loses the permissions.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from t2t.planner.checks import CheckDef, finding, register
from t2t.planner.context import PlanContext
from t2t.planner.delegates.losses import Loss, find_losses, unread
from t2t.planner.domain import Domain, DomainOutcome, present
from t2t.state import Snapshot
from t2t.state import parts as P

if TYPE_CHECKING:
    from t2t.spec import Desired

#: How many losses a finding names before it points to the report.
SHOWN = 5

_FAQ = (
    "Learn, Cross-tenant mailbox migration, FAQ 'How do mailbox permissions transition?' "
    "('Send On Behalf Of (AD:publicDelegates) … currently doesn't move as part of the mailbox "
    "transition'; 'Mailbox Permissions that are stored in the mailbox will move with the "
    "mailbox when both the principal and the delegate are moved to the target system'; "
    "'Cross-tenant mailbox and calendar permissions aren't supported. You must organize "
    "principals and delegates into consolidated move batches so that these connected mailboxes "
    "are transitioned at the same time from the source tenant') and 'Will shared mailboxes "
    "move and still work?' ('we only keep the store permissions'), https://learn.microsoft.com/"
    "microsoft-365/enterprise/cross-tenant-mailbox-migration; the Exchange Team blog, "
    "'Troubleshooting Cross-Tenant Mailbox Migrations' (Get-MailboxPermission, "
    "Get-MailboxFolderPermission, Get-RecipientPermission: 'Know what permissions are migrated'); "
    "memberships: Learn, Cross-tenant mailbox migration ('only user visible content in the "
    "mailbox (email, contacts, calendar, tasks, and notes) is migrated'; the source mailbox 'is "
    "converted to a MailUser' left in the source)"
)
_REGRANT = (
    "after the move, grant again in the target what is still wanted: Add-MailboxPermission "
    "<target> -User <holder> -AccessRights FullAccess, Add-MailboxFolderPermission "
    "<target>:\\Calendar -User <holder> -AccessRights <rights>, Add-RecipientPermission <target> "
    "-Trustee <holder> -AccessRights SendAs, Set-Mailbox <target> -GrantSendOnBehalfTo "
    "@{Add='<holder>'} (Microsoft's restamp), Set-Mailbox <target> -ForwardingSmtpAddress "
    "<address>, Add-DistributionGroupMember <group> -Member <target> (a group of the target)"
)

LOSES = CheckDef(
    "T2T-W350",
    "move-loses-permissions",
    "warning",
    "The move of this mailbox will lose permissions, delegates, forwarding or group memberships "
    "(t2t plan --report FILE.csv lists each)",
    "nothing fails: the move completes and the right is gone — a FullAccess or calendar "
    "delegate whose other side moves in another wave or stays behind, every SendAs and send on "
    "behalf (publicDelegates), forwarding, every membership of a distribution or mail-enabled "
    "security group",
    "Tell the help desk and the users (t2t plan --report permissions.csv; a plain plan reads "
    "mailbox and calendar permissions only for the mailboxes whose batch it creates and counts "
    "the others in a notice); to keep mailbox and "
    "calendar permissions, move each delegate in the same wave as the mailbox it serves "
    "(delegates.keepTogether: true makes a split a blocking check, T2T-E350); " + _REGRANT + ".",
    _FAQ,
)
SPLIT = CheckDef(
    "T2T-E350",
    "delegates-split-across-waves",
    "error",
    "delegates.keepTogether: this mailbox and a FullAccess or calendar delegate (or the mailbox "
    "it serves) do not move in one wave",
    "the permission is lost: 'Cross-tenant mailbox and calendar permissions aren't supported' "
    "(Learn FAQ); Microsoft raises no error",
    "Put both in the same wave (batches[].mailboxes), or remove the permission in the source "
    "(Remove-MailboxPermission <mailbox> -User <holder> -AccessRights FullAccess; "
    "Remove-MailboxFolderPermission <mailbox>:\\Calendar -User <holder>), or set "
    "delegates.keepTogether: false to move anyway (T2T-W350); the mailbox is left out of its "
    "batch until then.",
    _FAQ,
)

register(LOSES, SPLIT, scope="mailbox")


def _line(loss: Loss, subject: str) -> str:
    """One loss as seen from `subject` (a source address)."""
    mailbox, holder = loss.mailbox.shown, loss.holder.shown
    if loss.right == "Forwarding":
        return f"forwarding to {holder} ({loss.rights})"
    if loss.right == "SendOnBehalf":
        return f"send on behalf by {holder}"
    if loss.right == "Membership":
        return f"member of {mailbox} ({loss.rights})"
    label = {"Calendar": "calendar", "MailboxPermission": "mailbox permission"}.get(
        loss.right, loss.right
    )
    what = label if loss.rights == loss.right else f"{label} ({loss.rights})"
    if loss.mailbox.source.lower() == subject.lower():
        return f"{what} of {holder}, who {loss.holder.where}"
    return f"its {what} on {mailbox}, which {loss.mailbox.where}"


def _detail(losses: list[Loss], subject: str) -> str:
    lines = [_line(x, subject) for x in losses[:SHOWN]]
    more = len(losses) - SHOWN
    tail = f"; and {more} more (t2t plan --report FILE.csv)" if more > 0 else ""
    return "; ".join(lines) + tail


def losses_of(desired: Desired, snapshot: Snapshot) -> list[Loss]:
    """Every loss of the spec's wave mailboxes (what `t2t plan --report` writes)."""
    src = snapshot.source
    return find_losses(
        desired,
        present(src.recipients),
        present(src.mailbox_permissions),
        present(src.send_as),
        present(src.calendar_permissions),
        present(src.memberships),
    )


def unread_notice(ctx: PlanContext) -> str | None:
    """The wave mailboxes whose permissions t2t did not read (by choice: one call each, made
    only where a decision needs it, t2t/probes/delegations.py) and how to read them — a notice,
    so that no finding's silence reads as "no delegates"."""
    src, calendars = ctx.snapshot.source, ctx.desired.delegates.calendars
    recipients = present(src.recipients)
    facts = [src.mailbox_permissions, *([src.calendar_permissions] if calendars else [])]
    parts = (present(f) for f in facts)
    missing = {p.source.lower(): p for p in unread(ctx.desired, recipients, *parts)}
    if not missing:
        return None
    waves = sorted({p.wave for p in missing.values()}, key=str.lower)
    shown = ", ".join(waves[:SHOWN]) + (
        f" and {len(waves) - SHOWN} more" if len(waves) > SHOWN else ""
    )
    what, calls, held = (
        (
            "mailbox and calendar",
            "Get-MailboxPermission and Get-MailboxFolderPermission",
            "FullAccess, other mailbox right or calendar permission",
        )
        if calendars
        else ("mailbox", "Get-MailboxPermission", "FullAccess or other mailbox right")
    )
    return (
        f"delegates: the {what} permissions of {len(missing)} wave mailbox(es) in {shown} were "
        f"not read — one {calls} per mailbox, made only for the mailboxes whose batch this run "
        f"may create — so T2T-W350 names no {held} held on them (their SendAs, send on behalf, "
        "forwarding and group memberships are read in bulk and named). t2t plan --report "
        "FILE.csv reads and lists every wave mailbox's; delegates.keepTogether: true reads them "
        "all for T2T-E350."
    )


def plan_delegates(ctx: PlanContext) -> DomainOutcome:
    out = DomainOutcome()
    notice = unread_notice(ctx)
    out.notices += [notice] if notice is not None else []
    keep = ctx.desired.delegates.keep_together
    blocked: dict[str, list[Loss]] = defaultdict(list)
    warned: dict[str, list[Loss]] = defaultdict(list)
    for loss in losses_of(ctx.desired, ctx.snapshot):
        for subject in loss.involves():
            (blocked if keep and loss.split else warned)[subject].append(loss)
    for subject, losses in blocked.items():
        out.findings.append(
            finding(SPLIT.code, "source", subject, _detail(losses, subject), fixed_by_plan=False)
        )
    for subject, losses in warned.items():
        out.findings.append(
            finding(LOSES.code, "source", subject, _detail(losses, subject), fixed_by_plan=False)
        )
    return out


DELEGATES = Domain(
    name="delegates",
    source_needs=frozenset(
        {P.RECIPIENTS, P.MAILBOX_PERMISSIONS, P.SEND_AS, P.CALENDAR_PERMISSIONS, P.MEMBERSHIPS}
    ),
    target_needs=frozenset(),
    plan=plan_delegates,
)
