"""The spec's source mailboxes' sizes (the `statistics` part): Graph's mailbox usage report in
bulk, Get-MailboxStatistics one mailbox at a time only where a decision needs today's figures.

Why both: Get-MailboxStatistics has no bulk form in Exchange Online — it takes one -Identity
(-Database/-Server are on-premises), and Get-EXOMailboxStatistics is the same per-mailbox call
(its property sets choose columns, not mailboxes); Get-Mailbox carries quotas, not sizes
(microsoft-t2t.md §10.2 check 7). Graph's `GET /reports/getMailboxUsageDetail(period='D7')`
(Learn, reportroot-getmailboxusagedetail, v1.0; Reports.Read.All) gives every user mailbox's
Storage Used, Deleted Item Size and quotas in one CSV (a 302 and its download: two requests), but
its data is up to about two days old and its user names are concealed unless the tenant shows
them (Microsoft's default since September 2021; GET /admin/reportSettings displayConcealedNames).

So, per declared source mailbox (user or shared mailbox in the source):

- **Get-MailboxStatistics now** when its wave is due — its batch may be created by this run
  (phase sync or complete, and no migration user in the target yet: Get-MigrationUser, the
  target's `migration_users` part) — since the checks then decide whether it goes into the
  batch; or when the report flags it (within `REPORT_MARGIN` of a threshold: the target's
  default Recoverable Items quota, T2T-E306, or 90 % of its ProhibitSendReceiveQuota,
  T2T-W324/E323), or has no row for it (shared mailboxes are not in it, nor a mailbox created
  since), or cannot be used at all (no Reports.Read.All: 403; names concealed; any error): then
  every mailbox is read, as before, and a warning says why.
- **The report's figures** otherwise, marked with the report's date (`reported_on`).
- **Get-MailboxStatistics -Archive** (T2T-W325; no bulk source of archive sizes exists: the report
  has only Has Archive) for due mailboxes whose archive may auto-expand (the mailbox's or the
  organization's AutoExpandingArchiveEnabled): the warning is about the batch about to start.

Concealment is recognised in the data, not by reading /admin/reportSettings: a concealed User
Principal Name is 32 hex digits with no "@", and Global Reader and Usage Summary Reports Reader
"will not have access to identifiable user information, regardless of the setting" (Microsoft 365
blog, "Privacy changes to Microsoft 365 Usage Analytics", 2021) — the setting alone would not tell.
Per-mailbox calls run concurrently within `STATISTICS_CONCURRENCY`.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import structlog

from t2t import progress
from t2t.clients import ClientError, GraphClient, ObjectNotFound
from t2t.probes import exchange_objects as x
from t2t.probes.registry import ReadContext, reads
from t2t.probes.source_mailboxes import declared_mailboxes
from t2t.probes.values import as_bool, as_int
from t2t.state import Fact
from t2t.state import parts as P
from t2t.state.exchange import MailboxStatistics, Recipient
from t2t.state.quotas import DEFAULT_RECOVERABLE_QUOTA, NEAR_QUOTA

log = structlog.get_logger("t2t.probes")

#: Concurrent per-mailbox Get-MailboxStatistics calls (one tenant; Exchange throttles per app).
STATISTICS_CONCURRENCY = 8
REPORT_PATH = "/reports/getMailboxUsageDetail(period='D7')"
#: A report figure within this share below a threshold is read again with Get-MailboxStatistics:
#: the report is up to about two days old and Microsoft gives no growth rate for a mailbox.
#: t2t's margin.
REPORT_MARGIN = 0.2


@dataclass(frozen=True)
class UsageRow:
    """One row of the mailbox usage report (v1.0 CSV columns)."""

    user_principal_name: str
    storage_used: int | None
    deleted_item_size: int | None
    prohibit_send_receive_quota: int | None
    refreshed: str


class ReportUnusable(Exception):
    """Why the report cannot stand in for Get-MailboxStatistics in this tenant."""


def parse_report(content: bytes) -> list[UsageRow]:
    """The CSV's rows by its column names (a UTF-8 BOM, if any, is dropped)."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    rows = [
        UsageRow(
            user_principal_name=str(r.get("User Principal Name") or ""),
            storage_used=as_int(r.get("Storage Used (Byte)")),
            deleted_item_size=as_int(r.get("Deleted Item Size (Byte)")),
            prohibit_send_receive_quota=as_int(r.get("Prohibit Send/Receive Quota (Byte)")),
            refreshed=str(r.get("Report Refresh Date") or ""),
        )
        for r in reader
        if not as_bool(r.get("Is Deleted"))
    ]
    if rows and not any("@" in r.user_principal_name for r in rows):
        raise ReportUnusable(
            "the mailbox usage report conceals user names (Microsoft 365 admin center, "
            "Settings > Org settings > Reports: clear 'Display concealed user, group, and site "
            "names in all reports', or PATCH /admin/reportSettings displayConcealedNames false)"
        )
    return rows


async def read_report(graph: GraphClient | None) -> list[UsageRow]:
    if graph is None:
        raise ReportUnusable("no Graph client for the source tenant")
    try:
        content = await graph.report(REPORT_PATH)
    except ClientError as exc:
        raise ReportUnusable(f"the mailbox usage report is unreadable: {exc}") from None
    try:
        return parse_report(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportUnusable(f"the mailbox usage report is unreadable: {exc}") from None


def flagged(row: UsageRow, r: Recipient) -> bool:
    """The report's figures are near a threshold a check compares with, or missing."""
    if row.storage_used is None or row.deleted_item_size is None:
        return True
    if row.deleted_item_size >= (1 - REPORT_MARGIN) * DEFAULT_RECOVERABLE_QUOTA:
        return True
    quota = r.prohibit_send_receive_quota_bytes or row.prohibit_send_receive_quota
    return bool(quota) and row.storage_used >= (1 - REPORT_MARGIN) * NEAR_QUOTA * (quota or 0)


async def due_guids(ctx: ReadContext, targets: dict[str, Recipient]) -> set[str]:
    """ExchangeGuids of the declared mailboxes whose batch this run may create: in a due wave
    (`ProbeRequest.due_mailboxes`; None: every one) and not yet a migration user. Shared by the
    per-mailbox reads that only a batch about to start needs (substrate_holds.py, and the
    permissions of delegations.py)."""
    pairs = ctx.request.due_mailboxes
    if pairs is None:
        return set(targets)
    wanted = {src.lower(): tgt.lower() for src, tgt in pairs}
    by_address = {
        a.lower(): r.exchange_guid
        for r in targets.values()
        for a in (r.primary_smtp_address, *r.smtp_addresses)
    }
    peer = ctx.tenants.get("target")
    moving: set[str] = set()
    if peer is not None and wanted:
        users = await peer.fact(P.MIGRATION_USERS)
        if users.status == "present":
            moving = {u.identity.lower() for u in users.get()}
    return {
        by_address[src] for src, tgt in wanted.items() if src in by_address and tgt not in moving
    }


@reads(P.STATISTICS)
async def _statistics(ctx: ReadContext) -> Fact[Any]:
    wanted = ctx.request.source_mailboxes
    fact = await ctx.fact(P.RECIPIENTS)
    if fact.status != "present":
        return Fact.unknown(f"source recipients unreadable: {fact.reason}")
    if not wanted:
        return Fact.present(())
    organization = await ctx.fact(P.ORGANIZATION)
    org_expands = organization.status == "present" and organization.get().auto_expanding_archive
    targets = {r.exchange_guid: r for r in declared_mailboxes(fact.get(), wanted)}
    due = await due_guids(ctx, targets)
    reported: dict[str, MailboxStatistics] = {}
    if set(targets) - due:  # the report can spare some calls
        reported = await _from_report(ctx, targets, due)
    fresh = [r for g, r in targets.items() if g not in reported]
    expanding = [
        r
        for g, r in targets.items()
        if g in due and r.has_archive and (r.auto_expanding_archive or org_expands)
    ]
    progress.expect(len(fresh) + len(expanding))
    limit = asyncio.Semaphore(STATISTICS_CONCURRENCY)
    try:
        results = await asyncio.gather(
            *(_one(ctx, r, False, limit) for r in fresh),
            *(_one(ctx, r, True, limit) for r in expanding),
        )
    except ClientError as exc:
        return Fact.unknown(f"Get-MailboxStatistics failed: {exc}")
    read = tuple(s for found in results if found for s in found)
    return Fact.present((*reported.values(), *read))


async def _from_report(
    ctx: ReadContext, targets: dict[str, Recipient], due: set[str]
) -> dict[str, MailboxStatistics]:
    """The report's figures for the declared mailboxes that are neither due nor flagged, by
    ExchangeGuid; {} (with a warning) when the report cannot be used."""
    try:
        rows = await read_report(ctx.graph)
    except ReportUnusable as exc:
        log.warning(
            "probe.mailbox_sizes.per_mailbox",
            reason=str(exc),
            calls=len(targets),
            note="Get-MailboxStatistics is read for every declared mailbox instead",
        )
        return {}
    by_upn = {row.user_principal_name.lower(): row for row in rows}
    out: dict[str, MailboxStatistics] = {}
    for guid, r in targets.items():
        row = by_upn.get(r.user_principal_name.lower())
        if guid in due or row is None or flagged(row, r):
            continue
        out[guid] = MailboxStatistics(
            identity=guid,
            total_item_size_bytes=row.storage_used,
            total_deleted_item_size_bytes=row.deleted_item_size,
            reported_on=row.refreshed or None,
        )
    return out


async def _one(
    ctx: ReadContext, r: Recipient, archive: bool, limit: asyncio.Semaphore
) -> list[MailboxStatistics] | None:
    params: dict[str, Any] = {"Identity": r.primary_smtp_address}
    if archive:
        params["Archive"] = True
    async with limit:
        try:
            result = await ctx.exchange.invoke(
                "Get-MailboxStatistics",
                params,
                select=("MailboxGuid", "Identity", "TotalItemSize", "TotalDeletedItemSize"),
            )
        except ObjectNotFound:  # no longer a mailbox by now
            return None
        finally:
            progress.step()  # one call made, found or not
    found = [x.parse_statistics(v, archive=archive) for v in result.values]
    if archive:  # keyed by the archive's GUID, as the planner looks it up
        found = [replace(s, identity=r.archive_guid) for s in found]
    return found


def per_mailbox_calls(stats: Iterable[MailboxStatistics]) -> int:
    """Get-MailboxStatistics calls behind a `statistics` part (cost.py)."""
    return sum(1 for s in stats if s.reported_on is None)


def reported(stats: Iterable[MailboxStatistics]) -> bool:
    """Whether the report stood in for some Get-MailboxStatistics calls (cost.py)."""
    return any(s.reported_on is not None for s in stats)
