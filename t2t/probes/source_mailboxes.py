"""What else the source says about the spec's mailboxes: moves already holding them, and the
mailboxes Get-Mailbox no longer shows (inactive, soft-deleted).

Each is one bulk read, made only when there is something to decide:

- `Get-MoveRequest -ResultSize Unlimited` (Get-MoveRequest reference: "If you want to return
  all requests that match the query, use unlimited"), when the spec declares source mailboxes
  that are mailboxes in the source; only the requests of those mailboxes are kept (by
  ExchangeGuid). Every kind of move counts — Learn's FAQ "How can I see just moves that are
  cross-tenant moves, not my onboarding and off-boarding moves?" shows that the cmdlet lists them
  all, and any of them holds the mailbox (T2T-E330).
- `Get-Mailbox -InactiveMailboxOnly -ResultSize Unlimited` and `Get-Mailbox -SoftDeletedMailbox
  -ResultSize Unlimited` (Get-Mailbox reference, both "available only in the cloud-based
  service"), only when a spec address is on no mailbox or mail user: without those switches an
  inactive or soft-deleted mailbox is invisible, and the plan would say "does not exist"
  (T2T-E331, T2T-E332 instead of T2T-E301).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import partial
from typing import Any

from t2t.probes import exchange_objects as x
from t2t.probes.readers import cmdlet_fact
from t2t.probes.registry import ReadContext, reads
from t2t.state import Fact
from t2t.state import parts as P
from t2t.state.exchange import Recipient, RemovedMailbox


def declared_mailboxes(recipients: Iterable[Recipient], wanted: Iterable[str]) -> list[Recipient]:
    """The source mailboxes (not mail users) holding one of the spec's addresses, each once."""
    index: dict[str, Recipient] = {}
    for r in recipients:
        if r.is_mailbox:
            for address in (r.primary_smtp_address, *r.smtp_addresses):
                index[address.lower()] = r
    found = {index[a.lower()].exchange_guid: index[a.lower()] for a in wanted if a.lower() in index}
    return list(found.values())


async def _source_recipients(ctx: ReadContext) -> Fact[Any]:
    fact = await ctx.fact(P.RECIPIENTS)
    if fact.status != "present":
        return Fact.unknown(f"source recipients unreadable: {fact.reason}")
    return fact


@reads(P.MOVE_REQUESTS)
async def _move_requests(ctx: ReadContext) -> Fact[Any]:
    if not ctx.request.source_mailboxes:
        return Fact.present(())
    recipients = await _source_recipients(ctx)
    if recipients.status != "present":
        return recipients
    guids = {
        r.exchange_guid for r in declared_mailboxes(recipients.get(), ctx.request.source_mailboxes)
    }
    if not guids:
        return Fact.present(())
    moves = await cmdlet_fact(
        ctx.exchange,
        "Get-MoveRequest",
        {"ResultSize": "Unlimited"},
        x.parse_move_request,
        select=x.MOVE_REQUEST_PROPERTIES,
    )
    if moves.status != "present":
        return moves
    return Fact.present(tuple(m for m in moves.get() if m.exchange_guid in guids))


def _missing(recipients: Iterable[Recipient], wanted: Iterable[str]) -> set[str]:
    """The spec addresses no mailbox or mail user holds."""
    held = {a.lower() for r in recipients for a in (r.primary_smtp_address, *r.smtp_addresses) if a}
    return {a.lower() for a in wanted} - held


@reads(P.REMOVED_MAILBOXES)
async def _removed_mailboxes(ctx: ReadContext) -> Fact[Any]:
    if not ctx.request.source_mailboxes:
        return Fact.present(())
    recipients = await _source_recipients(ctx)
    if recipients.status != "present":
        return recipients
    missing = _missing(recipients.get(), ctx.request.source_mailboxes)
    if not missing:
        return Fact.present(())
    inactive, deleted = await asyncio.gather(
        cmdlet_fact(
            ctx.exchange,
            "Get-Mailbox",
            {"InactiveMailboxOnly": True, "ResultSize": "Unlimited"},
            partial(x.parse_removed_mailbox, inactive=True),
            select=x.REMOVED_MAILBOX_PROPERTIES,
        ),
        cmdlet_fact(
            ctx.exchange,
            "Get-Mailbox",
            {"SoftDeletedMailbox": True, "ResultSize": "Unlimited"},
            x.parse_removed_mailbox,
            select=x.REMOVED_MAILBOX_PROPERTIES,
        ),
    )
    for fact in (inactive, deleted):
        if fact.status != "present":
            return fact
    # An inactive mailbox is a soft-deleted one on hold: -SoftDeletedMailbox may list it too;
    # the inactive reading wins.
    kept: dict[str, RemovedMailbox] = {}
    for m in (*inactive.get(), *deleted.get()):
        addresses = {a.lower() for a in (m.primary_smtp_address, *m.smtp_addresses)}
        if addresses & missing and m.exchange_guid not in kept:
            kept[m.exchange_guid] = m
    return Fact.present(tuple(kept.values()))
