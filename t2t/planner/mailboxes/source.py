"""Checks on the source mailbox, in the validation script's order (microsoft-t2t.md §10.2):
exists and is a user mailbox, ≤ 12 auxiliary archives, licence, holds, demoted archive,
Recoverable Items within the target quota. Pure."""

from __future__ import annotations

import re

from t2t.planner.checks import Finding, finding
from t2t.state.exchange import MailboxStatistics, Recipient

MAX_AUX_ARCHIVES = 12
#: InPlaceHolds entries that are holds on the mailbox (CSS-VAL): eDiscovery/retention
#: prefixes, and 32-character legacy eDiscovery ids.
_HOLD_PREFIXES = ("mbx", "cld", "unih", "skp")
_LEGACY_HOLD = re.compile(r"^[0-9a-f]{32}$", re.I)


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GB"


def holds(source: Recipient) -> list[str]:
    """Every hold on the mailbox, named the way Get-Mailbox names it."""
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


def source_findings(
    address: str,
    source: Recipient,
    statistics: MailboxStatistics | None,
    target_quota: int,
    licence_covered: bool,
) -> list[Finding]:
    """The blocking facts of one present source user mailbox."""
    out: list[Finding] = []
    if source.aux_archive_count > MAX_AUX_ARCHIVES:
        out.append(
            finding(
                "T2T-E303",
                "source",
                address,
                f"{source.aux_archive_count} auxiliary archives (at most {MAX_AUX_ARCHIVES})",
                fixed_by_plan=False,
            )
        )
    if not licence_covered:
        out.append(
            finding(
                "T2T-E307",
                "source",
                address,
                "ExchangeT2TMbxMove is in neither PersistedCapabilities, and the spec's "
                "licences hold no Cross_tenant_user_data_migration",
                fixed_by_plan=False,
            )
        )
    found = holds(source)
    if found:
        out.append(
            finding(
                "T2T-E304", "source", address, "on hold: " + ", ".join(found), fixed_by_plan=False
            )
        )
    if source.has_demoted_archive:
        out.append(
            finding(
                "T2T-E305",
                "source",
                address,
                f"DisabledArchiveGuid is {source.disabled_archive_guid}",
                fixed_by_plan=False,
            )
        )
    if statistics is None:
        out.append(
            finding(
                "T2T-W319",
                "source",
                address,
                "Get-MailboxStatistics returned nothing for this mailbox",
                fixed_by_plan=False,
            )
        )
    else:
        deleted = statistics.total_deleted_item_size_bytes or 0
        if deleted > target_quota:
            out.append(
                finding(
                    "T2T-E306",
                    "source",
                    address,
                    f"TotalDeletedItemSize {_gib(deleted)} > target RecoverableItemsQuota "
                    f"{_gib(target_quota)}",
                    fixed_by_plan=False,
                )
            )
    return out
