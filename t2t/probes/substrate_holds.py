"""The SubstrateHolds folder of the source archives about to move (the `substrate_holds` part,
T2T-E326).

Microsoft's validation script (CSS-Exchange `CrossTenantMailboxMigrationValidation.ps1`), for a
source mailbox whose ArchiveGUID is not all zeros: `Get-MailboxFolderStatistics
$SourceObject.ArchiveGuid -FolderScope RecoverableItems | Where-Object { $_.Name -eq
'SubstrateHolds' }`, and `ItemsInFolder -gt 0` is "SOURCE Archive mailbox has items within the
SubstrateHolds folder and this will cause the migration to fail". t2t sends the same call
(-Identity the ArchiveGuid, -FolderScope RecoverableItems: Get-MailboxFolderStatistics
reference, Exchange Online).

Cost: Get-MailboxFolderStatistics takes one -Identity (its Database set is "reserved for internal
Microsoft use") and no bulk source lists archive folders, so it is one call per archive. It is
made only for the mailboxes that have an archive AND whose batch this run may create — the rule
of the fresh size reads (mailbox_sizes.due_guids: in a due wave and not yet a migration user):
the finding is about the batch about to start, and a mailbox already moving is past it. At
50,000 declared mailboxes the call count is the due archives (at most 2,000 a batch, Microsoft's
limit), never the declared ones.
"""

from __future__ import annotations

import asyncio
from typing import Any

from t2t import progress
from t2t.clients import ClientError, ObjectNotFound
from t2t.probes.mailbox_sizes import STATISTICS_CONCURRENCY, due_guids
from t2t.probes.registry import ReadContext, reads
from t2t.probes.source_mailboxes import declared_mailboxes
from t2t.probes.values import as_bytes, as_int
from t2t.state import Fact
from t2t.state import parts as P
from t2t.state.exchange import Recipient, SubstrateHolds

#: The folder the validation script looks for (`$_.Name -eq 'SubstrateHolds'`).
FOLDER = "SubstrateHolds"
FOLDER_PROPERTIES = ("Name", "FolderPath", "FolderType", "ItemsInFolder", "FolderSize")


def parse_substrate_holds(archive_guid: str, rows: list[dict[str, Any]]) -> SubstrateHolds:
    """The RecoverableItems folders of one archive → its SubstrateHolds folder (0 items when the
    archive has none: the script then reports "No SubstrateHolds folder found")."""
    for r in rows:
        if str(r.get("Name") or "").lower() == FOLDER.lower():
            return SubstrateHolds(
                archive_guid=archive_guid.lower(),
                items=as_int(r.get("ItemsInFolder")) or 0,
                size_bytes=as_bytes(r.get("FolderSize")),
            )
    return SubstrateHolds(archive_guid=archive_guid.lower(), items=0)


async def _one(ctx: ReadContext, r: Recipient, limit: asyncio.Semaphore) -> SubstrateHolds | None:
    async with limit:
        try:
            result = await ctx.exchange.invoke(
                "Get-MailboxFolderStatistics",
                {"Identity": r.archive_guid, "FolderScope": "RecoverableItems"},
                select=FOLDER_PROPERTIES,
            )
        except ObjectNotFound:  # the archive is gone by now: nothing left to block
            return None
        finally:
            progress.step()
    return parse_substrate_holds(r.archive_guid, list(result.values))


@reads(P.SUBSTRATE_HOLDS)
async def _substrate_holds(ctx: ReadContext) -> Fact[Any]:
    wanted = ctx.request.source_mailboxes
    if not wanted:
        return Fact.present(())
    fact = await ctx.fact(P.RECIPIENTS)
    if fact.status != "present":
        return Fact.unknown(f"source recipients unreadable: {fact.reason}")
    targets = {r.exchange_guid: r for r in declared_mailboxes(fact.get(), wanted)}
    due = await due_guids(ctx, targets)
    archives = [r for g, r in targets.items() if g in due and r.has_archive]
    progress.expect(len(archives))
    limit = asyncio.Semaphore(STATISTICS_CONCURRENCY)
    try:
        found = await asyncio.gather(*(_one(ctx, r, limit) for r in archives))
    except ClientError as exc:
        return Fact.unknown(f"Get-MailboxFolderStatistics failed: {exc}")
    return Fact.present(tuple(f for f in found if f is not None))
