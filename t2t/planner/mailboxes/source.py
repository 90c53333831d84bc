"""Checks on the source mailbox, in the validation script's order (microsoft-t2t.md §10.2):
exists and is a user or shared mailbox (recipient_types.py), ≤ 12 auxiliary archives,
licence, holds, demoted archive, Recoverable Items within the target quota; then what Learn's
FAQ adds: the mailbox within its quota. Each is one registered check function of scope
"mailbox" (t2t/planner/checks.py `check`), run on every present source mailbox that moves.
Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from t2t.planner.checks import CheckDef, Finding, check, run_checks
from t2t.state.exchange import MailboxStatistics, MoveRequest, Recipient, SubstrateHolds
from t2t.state.quotas import NEAR_QUOTA

MAX_AUX_ARCHIVES = 12
GB = 1024**3
#: "When the archive mailbox (including the Recoverable Items folder) reaches 90 GB, it's
#: converted to an auto-expanding archive" (Purview, "Learn about auto-expanding archiving").
AUTO_EXPANSION_AT = 90 * GB
#: T2T-W325 from here: 10 GB below Microsoft's 90 GB — ten days at the 1 GB a day that
#: auto-expanding archiving supports at most ("a growth rate that doesn't exceed 1 GB per
#: day", same page). t2t's margin; Microsoft gives none.
NEAR_EXPANSION = AUTO_EXPANSION_AT - 10 * GB
#: InPlaceHolds entries that are holds on the mailbox (CSS-VAL): eDiscovery/retention
#: prefixes, and 32-character legacy eDiscovery ids.
_HOLD_PREFIXES = ("mbx", "cld", "unih", "skp")
_LEGACY_HOLD = re.compile(r"^[0-9a-f]{32}$", re.I)
#: Get-OrganizationConfig InPlaceHolds entries that hold mailboxes: "Organization-wide retention
#: policies applied to Exchange mailboxes, Exchange public folders, and 1xN chats in Microsoft
#: Teams are identified by GUIDs that start with the mbx prefix"; `grp` ones apply to Microsoft
#: 365 Groups (group mailboxes, which T2T-E302 keeps out anyway). A mailbox excluded from one
#: carries "-mbx<guid>" in its own InPlaceHolds (Purview, "How to identify the type of hold
#: placed on an Exchange Online mailbox").
_ORGANIZATION_MAILBOX_HOLD = "mbx"
#: The action suffix of a retention policy's entry (same page, "Understanding the format of the
#: InPlaceHolds value for retention policies").
_RETENTION_ACTIONS = {"1": "delete only", "2": "retain", "3": "retain, then delete"}


@dataclass(frozen=True)
class SourceMailbox:
    """What the source checks look at: one present source mailbox that moves (user or
    shared) and its context."""

    address: str
    recipient: Recipient
    statistics: MailboxStatistics | None
    target_quota: int
    """The target's RecoverableItemsQuota (bytes)."""
    licence_covered: bool
    """The T2T licence is on the source, or the spec assigns it to the target."""
    archive_statistics: MailboxStatistics | None = None
    """Get-MailboxStatistics -Archive, read only when the archive may auto-expand."""
    organization_auto_expanding: bool = False
    """The source organization's AutoExpandingArchiveEnabled (Get-OrganizationConfig)."""
    move_requests: tuple[MoveRequest, ...] = ()
    """The source's Get-MoveRequest entries for this mailbox (T2T-E330, in_flight.py)."""
    organization_holds: tuple[str, ...] = ()
    """The source organization's InPlaceHolds (Get-OrganizationConfig): its organization-wide
    retention policies (T2T-E304)."""
    substrate_holds: SubstrateHolds | None = None
    """The archive's SubstrateHolds folder (Get-MailboxFolderStatistics), read only for a due
    mailbox with an archive (T2T-E326)."""


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GB"


def _quantified(n: int) -> str:
    """A size as Exchange shows a ByteQuantifiedSize, exact: "50.00 GB (53,687,091,200 bytes)"."""
    return f"{n / 1024**3:.2f} GB ({n:,} bytes)"


def organization_holds(policies: tuple[str, ...], source: Recipient) -> list[str]:
    """The organization-wide retention policies holding this mailbox: every ``mbx`` entry of
    Get-OrganizationConfig InPlaceHolds whose GUID the mailbox's own InPlaceHolds does not
    exclude (``-mbx<guid>``). A delete-only policy (``:1``, "The policy doesn't retain items")
    counts too: Microsoft blocks "any type of hold" and names no exception for it, and its
    validation script counts every ``mbx`` entry of a mailbox whatever its suffix."""
    excluded = {h[1:].split(":", 1)[0].lower() for h in source.in_place_holds if h.startswith("-")}
    out: list[str] = []
    for entry in policies:
        policy, _, action = entry.partition(":")
        if not policy.lower().startswith(_ORGANIZATION_MAILBOX_HOLD):
            continue
        if policy.lower() in excluded:
            continue
        kind = _RETENTION_ACTIONS.get(action)
        out.append(f"organization-wide retention policy {entry}" + (f" ({kind})" if kind else ""))
    return out


def holds(source: Recipient) -> list[str]:
    """Every hold on the mailbox itself, named the way Get-Mailbox names it."""
    out: list[str] = []
    if source.litigation_hold:
        out.append("LitigationHoldEnabled")
    if source.delay_hold:
        out.append("DelayHoldApplied")
    if source.delay_release_hold:
        out.append("DelayReleaseHoldApplied")
    if source.compliance_tag_hold:
        out.append("ComplianceTagHoldApplied")
    for hold in source.in_place_holds:
        if hold.lower().startswith(_HOLD_PREFIXES) or _LEGACY_HOLD.match(hold):
            out.append(f"InPlaceHolds {hold}")
    return out


@check(
    CheckDef(
        "T2T-E303",
        "source-too-many-aux-archives",
        "error",
        "The source mailbox has more than 12 auxiliary archives",
        "MigrationPermanentException (more than 12 auxiliary archives); the validation script "
        "stops",
        "Reduce the archive below 12 auxiliary archives, or leave this mailbox out.",
        "microsoft-t2t.md §8 (Auxiliary archives), §10.2 check 2",
    ),
    scope="mailbox",
    tenant="source",
)
def too_many_aux_archives(m: SourceMailbox) -> str | None:
    count = m.recipient.aux_archive_count
    if count > MAX_AUX_ARCHIVES:
        return f"{count} auxiliary archives (at most {MAX_AUX_ARCHIVES})"
    return None


@check(
    CheckDef(
        "T2T-E307",
        "no-t2t-licence",
        "error",
        "Neither the source nor the target object will hold the Cross Tenant User Data "
        "Migration licence",
        "CrossTenantMigrationWithoutLicensePermanentException: No license was found for the "
        "source recipient … or the target recipient",
        "Add Cross_tenant_user_data_migration to identities.licenses (t2t assigns it to the "
        "target after stamping the ExchangeGuid), or license the source user.",
        "microsoft-t2t.md §5, §10.2 check 3",
    ),
    scope="mailbox",
    tenant="source",
)
def no_t2t_licence(m: SourceMailbox) -> str | None:
    if m.licence_covered:
        return None
    return (
        "ExchangeT2TMbxMove is in neither PersistedCapabilities, and the spec's "
        "licences hold no Cross_tenant_user_data_migration"
    )


@check(
    CheckDef(
        "T2T-E304",
        "source-on-hold",
        "error",
        "The source mailbox is on hold (litigation, in-place, delay, delay-release, "
        "compliance-tag, or an organization-wide retention policy it is not excluded from)",
        "MigrationPermanentException: a mailbox on any hold is not migrated (LEARN-24)",
        "Release the hold (or wait for the delay hold to expire), then plan again. An "
        "organization-wide retention policy (Get-OrganizationConfig InPlaceHolds mbx<guid>) "
        "holds every mailbox it does not exclude: exclude this one from the policy in the "
        "Microsoft Purview portal (Data lifecycle management › Retention policies › the policy "
        "› Edit locations › Exchange mailboxes › Excluded) or with Security & Compliance "
        "PowerShell, Set-RetentionCompliancePolicy <policy> -AddExchangeLocationException "
        "<source> (the mailbox then shows -mbx<guid> in its InPlaceHolds; 'This may take 24 "
        "hours to replicate'), then plan again. For information only: the 2022 documentation "
        "allowed Set-MailUser -EnableLitigationHoldForMigration for litigation hold; the "
        "current documentation says any hold blocks, and t2t follows it.",
        "microsoft-t2t.md §8 (Holds, disagreement), §10.2 check 4; Purview, 'How to identify "
        "the type of hold placed on an Exchange Online mailbox' (https://learn.microsoft.com/"
        "purview/ediscovery-identify-a-hold-on-an-exchange-online-mailbox: organization-wide "
        "retention policies in Get-OrganizationConfig InPlaceHolds, exclusions as -mbx<guid>); "
        "CSS-VAL's organizational hold ('SOURCE mailbox is under an Organizational Hold and "
        "this is not a supported scenario')",
    ),
    scope="mailbox",
    tenant="source",
)
def on_hold(m: SourceMailbox) -> str | None:
    found = holds(m.recipient) + organization_holds(m.organization_holds, m.recipient)
    return "on hold: " + ", ".join(found) if found else None


@check(
    CheckDef(
        "T2T-E326",
        "source-archive-substrate-holds",
        "error",
        "The source's archive holds items in its Recoverable Items\\SubstrateHolds folder",
        "the move of this mailbox fails: Microsoft names no exception — 'SOURCE Archive mailbox "
        "has items within the SubstrateHolds folder and this will cause the migration to fail' "
        "(Microsoft's validation script)",
        "Remove the items in the archive's Recoverable Items\\SubstrateHolds folder with MFCMapi, "
        "as Microsoft's validation script says ('Please work on removing those items with "
        "MFCMapi manually before creating the move for this mailbox'; no cmdlet removes them), "
        "then plan again: Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope "
        "RecoverableItems shows the folder's ItemsInFolder.",
        "CSS-VAL (CrossTenantMailboxMigrationValidation.ps1: for a source with an archive, "
        "Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope RecoverableItems, folder "
        "SubstrateHolds, ItemsInFolder -gt 0)",
    ),
    scope="mailbox",
    tenant="source",
)
def archive_substrate_holds(m: SourceMailbox) -> str | None:
    folder = m.substrate_holds
    if folder is None or folder.items <= 0 or not m.recipient.has_archive:
        return None
    size = f" ({folder.size_bytes:,} bytes)" if folder.size_bytes is not None else ""
    return (
        f"the archive {m.recipient.archive_guid} holds {folder.items} item(s){size} in "
        "Recoverable Items\\SubstrateHolds"
    )


@check(
    CheckDef(
        "T2T-E305",
        "source-demoted-archive",
        "error",
        "The source mailbox has a disabled (demoted) archive",
        "UserAlreadyHasDemotedArchiveException",
        "Set-Mailbox <source> -RemoveDisabledArchive, or Enable-Mailbox <source> -Archive "
        "(then t2t stamps the new ArchiveGuid), then plan again.",
        "microsoft-t2t.md §9",
    ),
    scope="mailbox",
    tenant="source",
)
def demoted_archive(m: SourceMailbox) -> str | None:
    if m.recipient.has_demoted_archive:
        return f"DisabledArchiveGuid is {m.recipient.disabled_archive_guid}"
    return None


@check(
    CheckDef(
        "T2T-W319",
        "source-statistics-missing",
        "warning",
        "The source mailbox's statistics could not be read, so Recoverable Items were not "
        "compared with the target quota",
        "the move does not proceed when the Recoverable Items are over the target's quota "
        "(T2T-E306; Microsoft names no exception)",
        "Check Get-MailboxStatistics <source> by hand, or plan again.",
        "microsoft-t2t.md §10.2 check 7",
    ),
    scope="mailbox",
    tenant="source",
)
def statistics_missing(m: SourceMailbox) -> str | None:
    if m.statistics is None:
        return "Get-MailboxStatistics returned nothing for this mailbox"
    return None


@check(
    CheckDef(
        "T2T-E306",
        "recoverable-items-over-quota",
        "error",
        "The source's Recoverable Items exceed the target's RecoverableItemsQuota",
        "the move does not proceed: Microsoft names no exception — 'moves will not proceed "
        "since the target quota is less than the source mailbox size' (Learn, 2022); the "
        "validation script: 'Dumpster size on SOURCE mailbox is bigger than TARGET MailUser "
        "RecoverableItemsQuota. This might cause the migration to fail'",
        "t2t raises the target's quota to 100 GB with Set-MailUser <target> "
        "-EnableLitigationHoldForMigration, Exchange Online's only way (Set-MailUser "
        "-RecoverableItemsQuota is on-premises only); it also puts the MailUser, and the "
        "mailbox the move makes of it, on Litigation Hold — lift it after the move with "
        "Set-Mailbox <target> -LitigationHoldEnabled $false if the target does not want it. "
        "When 100 GB is not enough, or the target is synchronised from on-premises ('This "
        "feature is not available in hybrid tenants'), purge the source's Recoverable Items "
        "instead (holds permitting), then plan again.",
        "CSS-VAL (CrossTenantMailboxMigrationValidation.ps1: TotalDeletedItemSize against the "
        "target's RecoverableItemsQuota); Learn, Cross-tenant mailbox migration (2022 version, "
        "'Prerequisites for target user objects' steps 2-3); Set-MailUser reference "
        "(-EnableLitigationHoldForMigration, -RecoverableItemsQuota); microsoft-t2t.md §4, §8, "
        "§10.2 check 7",
    ),
    scope="mailbox",
    tenant="source",
)
def recoverable_items_over_quota(m: SourceMailbox) -> str | None:
    if m.statistics is None:
        return None
    deleted = m.statistics.total_deleted_item_size_bytes or 0
    if deleted > m.target_quota:
        return (
            f"TotalDeletedItemSize {_gib(deleted)} > target RecoverableItemsQuota "
            f"{_gib(m.target_quota)}"
        )
    return None


_QUOTA_FAQ = (
    "Learn, Cross-tenant mailbox migration, FAQ 'How should I handle mailboxes that are close "
    "to, or over quota' (https://learn.microsoft.com/microsoft-365/enterprise/"
    "cross-tenant-mailbox-migration#how-should-i-handle-mailboxes-that-are-close-to-or-over-"
    "quota); Set-Mailbox reference, -ProhibitSendReceiveQuota ('If the mailbox reaches or "
    "exceeds this size, the mailbox can't send or receive new messages'); Get-Mailbox "
    "ProhibitSendReceiveQuota, Get-MailboxStatistics TotalItemSize"
)
_QUOTA_FIX = (
    "Before the move, as Learn advises: reduce the source mailbox's size, or provision an "
    "archive (Enable-Mailbox <source> -Archive; t2t then stamps the new ArchiveGuid on the "
    "target) or auto-expanding archiving (Enable-Mailbox <source> -AutoExpandingArchive), and "
    "apply an archiving policy and run it so the data actually moves "
    "(Start-ManagedFolderAssistant <source>); then plan again."
)


def _over_quota(m: SourceMailbox) -> tuple[int, int] | None:
    """(TotalItemSize, ProhibitSendReceiveQuota) when both are known."""
    quota = m.recipient.prohibit_send_receive_quota_bytes
    size = m.statistics.total_item_size_bytes if m.statistics is not None else None
    if not quota or size is None:
        return None  # Unlimited, or no statistics (T2T-W319 says so)
    return size, quota


@check(
    CheckDef(
        "T2T-E323",
        "source-over-quota",
        "error",
        "The source mailbox has reached its ProhibitSendReceiveQuota",
        "the move of this mailbox fails: Microsoft names no exception — 'Mailboxes nearing "
        "their quota prior to migration may end up over quota either before or during the "
        "actual migration. If this happens, these mailboxes will fail migration and will need "
        "to be remediated and restarted' (Learn FAQ)",
        _QUOTA_FIX,
        _QUOTA_FAQ,
    ),
    scope="mailbox",
    tenant="source",
)
def over_quota(m: SourceMailbox) -> str | None:
    sizes = _over_quota(m)
    if sizes is None or sizes[0] < sizes[1]:
        return None
    return (
        f"TotalItemSize {_quantified(sizes[0])} ≥ ProhibitSendReceiveQuota {_quantified(sizes[1])}"
    )


@check(
    CheckDef(
        "T2T-W324",
        "source-near-quota",
        "warning",
        "The source mailbox is near its ProhibitSendReceiveQuota (90 % or more)",
        "the move of this mailbox fails if it reaches its quota before or while it syncs "
        "(Learn FAQ: 'these mailboxes will fail migration and will need to be remediated and "
        "restarted'); Microsoft names no exception",
        _QUOTA_FIX,
        _QUOTA_FAQ + "; the 90 % margin is t2t's",
    ),
    scope="mailbox",
    tenant="source",
)
def near_quota(m: SourceMailbox) -> str | None:
    sizes = _over_quota(m)
    if sizes is None or not NEAR_QUOTA * sizes[1] <= sizes[0] < sizes[1]:
        return None
    share = 100 * sizes[0] / sizes[1]
    return (
        f"TotalItemSize {_quantified(sizes[0])} is {share:.0f} % of ProhibitSendReceiveQuota "
        f"{_quantified(sizes[1])}"
    )


@check(
    CheckDef(
        "T2T-W325",
        "source-archive-may-auto-expand",
        "warning",
        "The source's archive may auto-expand during the move (auto-expanding archiving on, "
        "the main archive at 80 GB or more of the 90 GB at which Microsoft expands it)",
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException: 'If the source "
        "mailbox is expanded during the mailbox migration process, the migration will fail as "
        "a new auxiliary archive will be created in the source, but not in the target' (Learn "
        "FAQ)",
        "Move this mailbox in an early wave and complete it quickly, or bring its archive "
        "(Recoverable Items included) well below 90 GB before its batch starts; "
        "auto-expanding archiving cannot be turned off. If it expands during the move, "
        "Microsoft's remedy is to remove the user from the batch and submit it again: t2t "
        "does so on the next apply (T2T-W411).",
        "Learn, Cross-tenant mailbox migration, FAQ 'Do auto-expanded archive mailboxes "
        "move?' and 'Migration Failures' (https://learn.microsoft.com/microsoft-365/"
        "enterprise/cross-tenant-mailbox-migration); Purview, 'Learn about auto-expanding "
        "archiving' (https://learn.microsoft.com/purview/autoexpanding-archiving: 'When the "
        "archive mailbox (including the Recoverable Items folder) reaches 90 GB, it's converted "
        "to an auto-expanding archive … It can take up to 30 days') and 'Enable auto-expanding "
        "archiving' (Get-OrganizationConfig and Get-Mailbox AutoExpandingArchiveEnabled); "
        "Get-MailboxStatistics -Archive; the 80 GB margin is t2t's",
    ),
    scope="mailbox",
    tenant="source",
)
def archive_may_auto_expand(m: SourceMailbox) -> str | None:
    r = m.recipient
    if not r.has_archive or not (r.auto_expanding_archive or m.organization_auto_expanding):
        return None
    stats = m.archive_statistics
    if stats is None:
        return None
    size = (stats.total_item_size_bytes or 0) + (stats.total_deleted_item_size_bytes or 0)
    if size < NEAR_EXPANSION:
        return None
    where = "the mailbox's" if r.auto_expanding_archive else "the organization's"
    detail = (
        f"the main archive holds {_quantified(size)} with its Recoverable Items, and "
        f"auto-expanding archiving is on ({where} AutoExpandingArchiveEnabled): Microsoft "
        "adds an auxiliary archive once it reaches 90 GB"
    )
    if r.aux_archive_count >= MAX_AUX_ARCHIVES:
        detail += (
            f"; it already has {r.aux_archive_count} auxiliary archives, and one more is past "
            f"the {MAX_AUX_ARCHIVES} a move supports (T2T-E303)"
        )
    return detail


def source_findings(m: SourceMailbox) -> list[Finding]:
    """The blocking facts of one present source mailbox that moves: every mailbox-scope check."""
    return run_checks("mailbox", m, m.address)
