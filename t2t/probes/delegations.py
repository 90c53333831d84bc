"""Who else holds rights on the spec's source mailboxes: what the move may lose (T2T-W350).

Microsoft: "Mailbox Permissions that are stored in the mailbox will move with the mailbox when
both the principal and the delegate are moved to the target system"; "Send On Behalf Of
(AD:publicDelegates) … currently doesn't move"; "Cross-tenant mailbox and calendar permissions
aren't supported. You must organize principals and delegates into consolidated move batches"
(Learn, Cross-tenant mailbox migration, FAQ "How do mailbox permissions transition?"). The
Exchange Team's troubleshooting blog names the reads: Get-MailboxPermission,
Get-MailboxFolderPermission, Get-RecipientPermission.

What each read costs, and why (t2t/probes/cost.py counts it):

- SendAs — `Get-RecipientPermission -AccessRights SendAs -ResultSize Unlimited`: one bulk read
  of the organization (its -Identity is optional: Get-RecipientPermission reference). Only the
  grants on or held by a wave mailbox are kept.
- FullAccess and the other explicit mailbox rights — `Get-MailboxPermission -Identity <mailbox>`:
  one call per mailbox. Its -Identity is mandatory (Get-MailboxPermission reference: both
  parameter sets take `[-Identity] <MailboxIdParameter>`); the bulk form Microsoft offers,
  Get-EXOMailboxPermission without -Identity, is a REST cmdlet of the PowerShell module, not a
  command of the InvokeCommand surface t2t speaks (wire-protocols.md §1.1), and
  `Get-Mailbox | Get-MailboxPermission` is still one call per mailbox. So only wave mailboxes
  still mailboxes in the source are read (a moved one is a MailUser: nothing left to lose), and
  of those only the ones a decision needs: by default the due ones — the rule of the fresh size
  reads (mailbox_sizes.due_guids: in a wave whose batch this run may create, not yet a
  migration user), since a later wave's losses change nothing this run does — and every one
  when the user asks (`ProbeRequest.every_wave_mailbox`: `t2t plan --report`, which lists them
  all, and delegates.keepTogether, whose T2T-E350 needs the grants in both directions). At
  50,000 wave mailboxes that is the due wave's (at most 2,000 a batch), not 50,000 calls (21
  minutes of a tenant's InvokeCommand budget); the plan counts the ones not read (a notice,
  planner/delegates/domain.py). Concurrently within a small bound.
- Calendar delegates — `Get-MailboxFolderPermission -Identity <mailbox>:\\Calendar`: one call per
  mailbox as well, for the same mailboxes, and only when the spec asks (`delegates.calendars:
  true`). A mailbox whose Calendar folder has another (localised) name is not found and is
  skipped.
- Send on behalf and forwarding come with Get-Mailbox (GrantSendOnBehalfTo, ForwardingAddress,
  ForwardingSmtpAddress, DeliverToMailboxAndForward: exchange_objects.MAILBOX_PROPERTIES):
  no call of their own.
- Memberships of distribution and mail-enabled security groups — `Get-DistributionGroup
  -ResultSize Unlimited` (one paged collection: every such group of the organization; its
  -Identity is optional, Get-DistributionGroup reference), then `Get-DistributionGroupMember
  -Identity <group> -ResultSize Unlimited` per group (its -Identity is mandatory: no form lists
  the members of several groups). Cost: ceil(G / 1,000) + G calls for G groups (plus a page per
  1,000 members of a larger group), whatever the number of mailboxes — at 50,000 declared
  mailboxes still 1 + G. The per-mailbox alternatives cost one call per wave mailbox
  (Get-DistributionGroup -Filter "Members -eq '<DN>'", or Get-Recipient -Filter "MemberOfGroup
  -eq '<group DN>'" per group, the same G), and Graph's /users/{id}/memberOf is per user as
  well. The spec's scope groups are left out (t2t's own; the move needs them). Only direct
  memberships are read: a group nested in another makes its members belong to both, and the
  nested group itself is reported, not expanded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from t2t import progress
from t2t.clients import ClientError, ObjectNotFound
from t2t.probes import exchange_objects as x
from t2t.probes.mailbox_sizes import due_guids
from t2t.probes.readers import cmdlet_fact
from t2t.probes.registry import ReadContext, reads
from t2t.probes.source_mailboxes import declared_mailboxes
from t2t.probes.values import as_bool, as_list
from t2t.state import Fact
from t2t.state import parts as P
from t2t.state.exchange import Grant, GroupMembership, MailboxGrants, MailGroup, Recipient

#: Concurrent per-mailbox reads (one tenant; Exchange throttles per app), as for statistics.
CONCURRENCY = 8

#: Rows every mailbox has that grant nothing to another principal (Get-MailboxPermission
#: reference: "FullAccess and ReadPermission are directly assigned to NT AUTHORITY\\SELF";
#: Get-MailboxFolderPermission: the Default and Anonymous entries of every folder).
_SELF = "nt authority\\self"
_FOLDER_DEFAULTS = frozenset({"default", "anonymous"})

MAILBOX_PERMISSION_PROPERTIES = ("Identity", "User", "AccessRights", "IsInherited", "Deny")
RECIPIENT_PERMISSION_PROPERTIES = (
    "Identity",
    "Trustee",
    "AccessControlType",
    "AccessRights",
    "IsInherited",
)
FOLDER_PERMISSION_PROPERTIES = ("Identity", "FolderName", "User", "AccessRights")


def parse_mailbox_permission(mailbox: str, r: dict[str, Any]) -> Grant | None:
    """A Get-MailboxPermission row another principal holds directly (not inherited, not a
    deny, not the mailbox's own SELF row); None otherwise."""
    user = str(r.get("User") or "")
    if not user or user.lower() == _SELF or as_bool(r.get("IsInherited")) or as_bool(r.get("Deny")):
        return None
    return Grant(mailbox=mailbox, holder=user, rights=as_list(r.get("AccessRights")))


def parse_recipient_permission(r: dict[str, Any]) -> Grant | None:
    """A Get-RecipientPermission row (Identity: the recipient; Trustee: who may send as it),
    allowed and not inherited; None otherwise."""
    trustee = str(r.get("Trustee") or "")
    if (
        not trustee
        or trustee.lower() == _SELF
        or as_bool(r.get("IsInherited"))
        or str(r.get("AccessControlType") or "Allow").lower() != "allow"
    ):
        return None
    return Grant(
        mailbox=str(r.get("Identity") or ""), holder=trustee, rights=as_list(r.get("AccessRights"))
    )


def parse_folder_permission(mailbox: str, r: dict[str, Any]) -> Grant | None:
    """A Get-MailboxFolderPermission row naming a user (not Default or Anonymous) with some
    right (AccessRights other than None); None otherwise."""
    user = str(r.get("User") or "")
    rights = as_list(r.get("AccessRights"))
    if not user or user.lower() in _FOLDER_DEFAULTS or not [x for x in rights if x != "None"]:
        return None
    return Grant(mailbox=mailbox, holder=user, rights=rights)


async def _wave_mailboxes(ctx: ReadContext) -> Fact[Any] | list[Recipient]:
    """The wave mailboxes still mailboxes in the source; else the fact each reader answers with:
    the recipients' unknown one, or nothing to read (no wave mailbox, none still a mailbox —
    the recipients are not even read when the spec names none)."""
    if not ctx.request.wave_mailboxes:
        return Fact.present(())
    fact = await ctx.fact(P.RECIPIENTS)
    if fact.status != "present":
        return Fact.unknown(f"source recipients unreadable: {fact.reason}")
    found = declared_mailboxes(fact.get(), ctx.request.wave_mailboxes)
    return found if found else Fact.present(())


async def _needed(ctx: ReadContext, mailboxes: list[Recipient]) -> list[Recipient]:
    """The wave mailboxes whose permissions are read one call each: every one when the user
    asks (`every_wave_mailbox`), else the due ones (mailbox_sizes.due_guids)."""
    if ctx.request.every_wave_mailbox:
        return mailboxes
    due = await due_guids(ctx, {r.exchange_guid: r for r in mailboxes})
    return [r for r in mailboxes if r.exchange_guid in due]


@reads(P.SEND_AS)
async def _send_as(ctx: ReadContext) -> Fact[Any]:
    mailboxes = await _wave_mailboxes(ctx)
    if isinstance(mailboxes, Fact):
        return mailboxes
    names = set().union(*(r.names for r in mailboxes))
    grants = await cmdlet_fact(
        ctx.exchange,
        "Get-RecipientPermission",
        {"AccessRights": ["SendAs"], "ResultSize": "Unlimited"},
        parse_recipient_permission,
        select=RECIPIENT_PERMISSION_PROPERTIES,
    )
    if grants.status != "present":
        return grants
    return Fact.present(
        tuple(
            g
            for g in grants.get()
            if g is not None and (g.mailbox.lower() in names or g.holder.lower() in names)
        )
    )


async def _per_mailbox(
    ctx: ReadContext,
    mailboxes: Iterable[Recipient],
    cmdlet: str,
    identity: Callable[[Recipient], str],
    parse: Callable[[str, dict[str, Any]], Grant | None],
    select: tuple[str, ...],
) -> Fact[Any]:
    """One `cmdlet` per mailbox, concurrently within `CONCURRENCY`; a mailbox gone meanwhile
    (or a folder not found) is skipped."""
    limit = asyncio.Semaphore(CONCURRENCY)
    targets = list(mailboxes)

    async def one(r: Recipient) -> MailboxGrants | None:
        address = r.primary_smtp_address
        async with limit:
            try:
                result = await ctx.exchange.invoke(cmdlet, {"Identity": identity(r)}, select=select)
            except ObjectNotFound:
                return None
            finally:
                progress.step()
        found = (parse(address, v) for v in result.values)
        return MailboxGrants(mailbox=address, grants=tuple(g for g in found if g is not None))

    progress.expect(len(targets))
    try:
        results = await asyncio.gather(*(one(r) for r in targets))
    except ClientError as exc:
        return Fact.unknown(f"{cmdlet} failed: {exc}")
    except (ValueError, TypeError, KeyError) as exc:
        return Fact.unknown(f"{cmdlet} returned an unreadable record: {exc}")
    return Fact.present(tuple(g for g in results if g is not None))


@reads(P.MAILBOX_PERMISSIONS)
async def _mailbox_permissions(ctx: ReadContext) -> Fact[Any]:
    mailboxes = await _wave_mailboxes(ctx)
    if isinstance(mailboxes, Fact):
        return mailboxes
    return await _per_mailbox(
        ctx,
        await _needed(ctx, mailboxes),
        "Get-MailboxPermission",
        lambda r: r.primary_smtp_address,
        parse_mailbox_permission,
        MAILBOX_PERMISSION_PROPERTIES,
    )


@reads(P.CALENDAR_PERMISSIONS)
async def _calendar_permissions(ctx: ReadContext) -> Fact[Any]:
    if not ctx.request.calendars:
        return Fact.present(())
    mailboxes = await _wave_mailboxes(ctx)
    if isinstance(mailboxes, Fact):
        return mailboxes
    return await _per_mailbox(
        ctx,
        await _needed(ctx, mailboxes),
        "Get-MailboxFolderPermission",
        # Get-MailboxFolderPermission reference: "<Mailbox>:\<Folder>", e.g.
        # john@contoso.com:\Calendar.
        lambda r: f"{r.primary_smtp_address}:\\Calendar",
        parse_folder_permission,
        FOLDER_PERMISSION_PROPERTIES,
    )


MEMBER_PROPERTIES = ("Name", "PrimarySmtpAddress", "RecipientTypeDetails")


@reads(P.MEMBERSHIPS)
async def _memberships(ctx: ReadContext) -> Fact[Any]:
    mailboxes = await _wave_mailboxes(ctx)
    if isinstance(mailboxes, Fact):
        return mailboxes
    groups = await cmdlet_fact(
        ctx.exchange, "Get-DistributionGroup", {"ResultSize": "Unlimited"}, x.parse_group
    )
    if groups.status != "present":
        return groups
    own = {g.lower() for g in ctx.request.scope_groups}
    read = [
        g
        for g in groups.get()
        if not {g.name.lower(), g.identity.lower(), g.primary_smtp_address.lower()} & own
    ]
    wave = {r.primary_smtp_address.lower() for r in mailboxes}
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(g: MailGroup) -> GroupMembership | None:
        async with limit:
            try:
                result = await ctx.exchange.invoke(
                    "Get-DistributionGroupMember",
                    {"Identity": g.primary_smtp_address or g.name, "ResultSize": "Unlimited"},
                    select=MEMBER_PROPERTIES,
                )
            except ObjectNotFound:  # removed meanwhile
                return None
            finally:
                progress.step()
        members = {str(v.get("PrimarySmtpAddress") or "").lower() for v in result.values}
        return GroupMembership(
            group=g.primary_smtp_address or g.name,
            recipient_type_details=g.recipient_type_details,
            members=tuple(sorted(members & wave)),
        )

    progress.expect(len(read))
    try:
        found = await asyncio.gather(*(one(g) for g in read))
    except ClientError as exc:
        return Fact.unknown(f"Get-DistributionGroupMember failed: {exc}")
    return Fact.present(tuple(m for m in found if m is not None))
