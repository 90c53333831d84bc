"""Get-MailboxFolderStatistics, the Recoverable Items scope only: what Microsoft's validation
script reads of a source archive before a cross-tenant move.

What the sources say, and the sandbox does:

- Get-MailboxFolderStatistics reference (Exchange Online,
  https://learn.microsoft.com/powershell/module/exchangepowershell/get-mailboxfolderstatistics):
  `[-Identity] <GeneralMailboxOrMailUserIdParameter>` (mandatory in the Identity set; "any value
  that uniquely identifies the mailbox" — the GUID among them), `-Archive` ("the usage
  statistics of the archive associated with the mailbox"), `-FolderScope <ElcFolderType>`
  ("RecoverableItems: Returns output for the Recoverable Items folder and the Deletions,
  DiscoveryHolds, Purges, and Versions subfolders"); the output names ItemsInFolder, FolderSize,
  ItemsInFolderAndSubfolders and FolderAndSubfolderSize.
- Microsoft's validation script (CSS-Exchange CrossTenantMailboxMigrationValidation.ps1) calls
  `Get-MailboxFolderStatistics $SourceObject.ArchiveGuid -FolderScope RecoverableItems` and
  looks for the row whose Name is SubstrateHolds — so an ArchiveGuid as -Identity names the
  archive, and the scope lists SubstrateHolds too when the archive has it (Purview, "Recoverable
  Items folder in Exchange Online": "SubstrateHolds: Contains hard-deleted items from Teams and
  other cloud-based apps that have been preserved by a retention policy or other type of hold";
  the script's "No SubstrateHolds folder found" branch: the folder may be missing). The sandbox
  lists it when the archive holds items in it (`Recipient.archive_substrate_holds_items`,
  seed `archiveSubstrateHoldsItems`).

Sandbox-only: the other scopes (no folder contents are modelled), the FolderType values (the
reference lists none; Graph's well-known names, e.g. recoverableitemssubstrateholds, are the
model) and the folders' sizes (the primary mailbox's Deletions hold its TotalDeletedItemSize;
every other item counts `_ITEM_BYTES`).
"""

from __future__ import annotations

from t2t.sandbox.exchange.directory import find_recipient, recipients
from t2t.sandbox.exchange.errors import NOT_EMULATED, CmdletError, not_found
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.params import Kind, Param
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record
from t2t.sandbox.model import Tenant, User
from t2t.sandbox.recipients import Recipient, size_text

#: Get-MailboxFolderStatistics reference, -FolderScope's values.
SCOPES = (
    "All",
    "Archive",
    "Calendar",
    "Contacts",
    "ConversationHistory",
    "DeletedItems",
    "Drafts",
    "Inbox",
    "JunkEmail",
    "Journal",
    "LegacyArchiveJournals",
    "ManagedCustomFolder",
    "NonIpmRoot",
    "Notes",
    "Outbox",
    "Personal",
    "RecoverableItems",
    "RssSubscriptions",
    "SentItems",
    "SyncIssues",
    "Tasks",
)
#: The Recoverable Items subfolders the reference lists for the scope, in its order.
_SUBFOLDERS = ("Deletions", "DiscoveryHolds", "Purges", "Versions")
#: Sandbox-only: the size of an item the sandbox does not otherwise size.
_ITEM_BYTES = 16 * 1024


def _resolve(t: Tenant, identity: str, archive: bool) -> tuple[User, Recipient, bool]:
    """The mailbox and whether its archive is meant: -Archive, or the ArchiveGuid as -Identity
    (the validation script's form)."""
    found = find_recipient(t, identity, lambda r: r.is_mailbox)
    if found is not None:
        return found[0], found[1], archive
    key = identity.strip().lower()
    for u, r in recipients(t):
        if r.is_mailbox and r.has_archive and r.archive_guid.lower() == key:
            return u, r, True
    raise not_found(identity)


def _folder(r: Recipient, archive: bool, name: str, items: int, size: int, kind: str) -> Record:
    owner = r.archive_guid if archive else r.exchange_guid
    path = "/Recoverable Items" if name == "Recoverable Items" else f"/{name}"
    return {
        "Name": name,
        "FolderPath": path,
        "FolderType": kind,
        "ItemsInFolder": items,
        "FolderSize": size_text(size),
        "ItemsInFolderAndSubfolders": items,
        "FolderAndSubfolderSize": size_text(size),
        "Identity": f"{owner}\\{name}",
    }


def recoverable_items(r: Recipient, archive: bool) -> list[Record]:
    """The Recoverable Items folder and its subfolders of the mailbox or its archive."""
    deleted = 0 if archive else r.deleted_item_count
    deleted_size = 0 if archive else r.total_deleted_item_size
    rows = [_folder(r, archive, "Recoverable Items", 0, 0, "RecoverableItemsRoot")]
    for name in _SUBFOLDERS:
        items, size = (deleted, deleted_size) if name == "Deletions" else (0, 0)
        rows.append(_folder(r, archive, name, items, size, f"RecoverableItems{name}"))
    held = r.archive_substrate_holds_items if archive else 0
    if held:
        rows.append(
            _folder(
                r,
                archive,
                "SubstrateHolds",
                held,
                held * _ITEM_BYTES,
                "RecoverableItemsSubstrateHolds",
            )
        )
    subtotal_items = sum(int(x["ItemsInFolder"]) for x in rows)
    rows[0]["ItemsInFolderAndSubfolders"] = subtotal_items
    rows[0]["FolderAndSubfolderSize"] = size_text(
        deleted_size + (held * _ITEM_BYTES if held else 0)
    )
    return rows


def get_mailbox_folder_statistics(inv: Invocation) -> list[Record]:
    identity = str(inv.params.get("Identity") or "")
    _, r, archive = _resolve(inv.tenant, identity, bool(inv.params.get("Archive")))
    if archive and not r.has_archive:
        raise CmdletError(
            400,
            "Microsoft.Exchange.Data.Storage.MailboxUnavailableException",
            f"The archive mailbox of '{identity}' doesn't exist.",
        )
    scope = str(inv.params.get("FolderScope") or "")
    if scope.lower() != "recoverableitems":
        raise CmdletError(
            400,
            NOT_EMULATED,
            "The sandbox emulates Get-MailboxFolderStatistics -FolderScope RecoverableItems only.",
        )
    return recoverable_items(r, archive)


def register(registry: Registry) -> None:
    switch = "System.Management.Automation.SwitchParameter"
    registry.add(
        CmdletSpec(
            "Get-MailboxFolderStatistics",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks."
                    "GeneralMailboxOrMailUserIdParameter",
                    mandatory=True,
                ),
                Param("Archive", Kind.SWITCH, switch),
                Param(
                    "FolderScope",
                    Kind.ENUM,
                    "Microsoft.Exchange.Data.Directory.SystemConfiguration.ElcFolderType",
                    choices=SCOPES,
                ),
                Param("IncludeAnalysis", Kind.SWITCH, switch, emulated=False),
                Param("IncludeOldestAndNewestItems", Kind.SWITCH, switch, emulated=False),
                Param("IncludeSoftDeletedRecipients", Kind.SWITCH, switch, emulated=False),
                Param("DiagnosticInfo", emulated=False),
                Param("SkipCount", Kind.INT, "System.Int32", emulated=False),
                Param("UseCustomRouting", Kind.SWITCH, switch, emulated=False),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                    emulated=False,
                ),
                DC_PARAM,
            ),
            get_mailbox_folder_statistics,
        )
    )
