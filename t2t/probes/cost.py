"""The least number of API requests a snapshot can cost: the yardstick for probe efficiency.

Σ over the collections read of ceil(items ÷ page size): 1,000 for InvokeCommand (the
module's `Prefer: odata.maxpagesize`, wire-protocols.md §1.4), 999 for Graph /users
(`$top` 1–999, §2.4), one page for the small collections, plus the per-object reads the
probes justify (one per scope group, one per migration-app service principal, one
Get-MailboxStatistics per declared source mailbox read one at a time (mailbox_sizes.py:
due, flagged by Graph's mailbox usage report, or missing from it; the report itself is two
requests, its 302 and its download), one Test-MigrationServerAvailability of
the spec's endpoint), one Get-MailboxFolderStatistics per due archive (substrate_holds.py: a
record each). Get-MoveRequest counts as one collection (only the spec mailboxes'
requests are kept); the inactive and soft-deleted mailboxes as two when any was kept, none
otherwise (an empty part may not have needed the read). The delegates (delegations.py):
Get-RecipientPermission is one collection; Get-MailboxPermission and, when the spec asks,
Get-MailboxFolderPermission one call per wave mailbox a decision needs (a record each: the due
ones, or every one for `plan --report` and delegates.keepTogether — never a wave mailbox left
unread); the memberships
one Get-DistributionGroup collection plus one Get-DistributionGroupMember per group (a record
each, members or not). Token
requests are not API requests and are not counted.
"""

from __future__ import annotations

import math

from t2t.probes.mailbox_sizes import per_mailbox_calls, reported
from t2t.state import Snapshot

PAGE_SIZES = {"users": 999}
EXCHANGE_PAGE = 1000


def minimum_requests(snapshot: Snapshot, app_id: str | None) -> int:
    total = 0
    for tenant in (snapshot.source, snapshot.target):
        for name, fact in tenant.parts().items():
            if name in ("identity_roles", "cloud"):  # tokens and the identity platform
                continue
            items = fact.value if isinstance(fact.value, tuple) else ()
            if name == "recipients":
                total += 1  # Get-Mailbox and Get-MailUser are two collections
            if name == "statistics":  # the report's two requests, when it was used
                total += per_mailbox_calls(items) + (2 if reported(items) else 0)
                continue
            if name in ("mailbox_permissions", "calendar_permissions", "substrate_holds"):
                total += len(items)  # one call per mailbox read (a record each)
                continue
            if name == "app_role_assignments":
                sps = tenant.service_principals
                mine = sps.get() if sps is not None and sps.status == "present" else ()
                total += sum(1 for sp in mine if app_id and sp.app_id == app_id.lower())
                continue
            if name == "memberships":  # Get-DistributionGroup, then one member read per group
                total += math.ceil(len(items) / EXCHANGE_PAGE) + len(items) if items else 0
                continue
            if name == "removed_mailboxes":  # read only for spec addresses Get-Mailbox missed
                total += 2 if items else 0  # -InactiveMailboxOnly and -SoftDeletedMailbox
                continue
            if name == "session_cmdlets":  # the module file, read when mailboxes are declared
                total += 1 if items else 0
                continue
            if name == "endpoints":  # Test-MigrationServerAvailability of the spec's endpoint
                total += sum(1 for e in items if getattr(e, "tested", False))
            total += max(1, math.ceil(len(items) / PAGE_SIZES.get(name, EXCHANGE_PAGE)))
    return total
