"""An organization-wide retention policy (T2T-E304) and items in an archive's SubstrateHolds
folder (T2T-E326), end to end on `t2t sandbox serve`: the plan names each before any write,
apply leaves that mailbox out of its batch while the others migrate, and — the check bypassed by
hand, the move sent directly — the sandbox's move fails as Microsoft's does.

The defects are arranged through the sandbox's control endpoint: Microsoft creates an
organization-wide retention policy and its exclusions in Microsoft Purview (Security & Compliance
PowerShell, New-RetentionCompliancePolicy / -AddExchangeLocationException), and fills
SubstrateHolds from Teams and other cloud apps — none of which the sandbox emulates. What t2t
reads of them is Microsoft's: Get-OrganizationConfig InPlaceHolds, each mailbox's InPlaceHolds
(`-mbx<guid>` exclusions), Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope
RecoverableItems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.helpers import control, exchange_requests, invoke, plan_json
from tests.e2e.test_batches import COMPLETE, SYNC, two_waves
from tests.e2e.test_mailbox_state_checks import apply_twice, moved_by_hand

#: A retention policy's InPlaceHolds entry: "mbx" + its GUID without dashes, ":2" retain
#: (Purview, "How to identify the type of hold placed on an Exchange Online mailbox").
POLICY = "mbx7cfb30345d454ac0a989ab3041051209"
NESTOR, NESTOR_T = "nestor@contoso.com", "nestor@fabrikam.com"
LYNNE_T = "lynne.robbins@fabrikam.com"
MEGAN, MEGAN_T = "megan@contoso.com", "megan@fabrikam.com"  # has an archive (seed)


def _patch(profile: dict[str, Any], source: str, **fields: Any) -> None:
    control(profile, "PATCH", f"exchange/contoso/recipients/{source}", fields)


def test_an_organization_wide_retention_policy_holds_every_mailbox_it_does_not_exclude(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    control(profile, "POST", "exchange/contoso/organization", {"inPlaceHolds": [f"{POLICY}:2"]})
    for source in {**COMPLETE, **SYNC}.keys() - {NESTOR}:  # excluded from the policy
        _patch(profile, source, in_place_holds=[f"-{POLICY}"])
    [org] = invoke(profile, "contoso", "Get-OrganizationConfig", {})["value"]
    assert org["InPlaceHolds"] == [f"{POLICY}:2"]
    [nestor] = invoke(profile, "contoso", "Get-Mailbox", {"Identity": NESTOR})["value"]
    assert nestor["InPlaceHolds"] == []  # nothing on the mailbox itself shows the hold

    plan = plan_json(spec, state, profile)
    held = [f for f in plan["findings"] if f["code"] == "T2T-E304"]
    assert [(f["object"], f["tenant"], f["message"]) for f in held] == [
        (NESTOR, "source", f"on hold: organization-wide retention policy {POLICY}:2 (retain)")
    ]
    assert "-AddExchangeLocationException" in held[0]["fix"]
    chain = [a for a in plan["actions"] if a["key"] == NESTOR_T]
    assert chain and all(a["blocked_by"] == ["T2T-E304"] for a in chain), chain

    assert apply_twice(profile, state, spec, "copying") == {LYNNE_T}
    found = invoke(profile, "fabrikam", "Get-Recipient", {"ResultSize": "Unlimited"})["value"]
    assert NESTOR_T not in {r["PrimarySmtpAddress"].lower() for r in found}  # nothing written

    error = moved_by_hand(profile, plan, NESTOR_T)  # bypassed
    assert error == (
        f"MigrationPermanentException: The source mailbox '{NESTOR}' is on hold "
        f"(OrganizationHold:{POLICY}). Mailboxes on any type of hold can't be moved between "
        "tenants."
    ), error

    # The fix the finding names (the exclusion): the finding is gone.
    _patch(profile, NESTOR, in_place_holds=[f"-{POLICY}"])
    cleared = plan_json(spec, state, profile)
    assert "T2T-E304" not in {f["code"] for f in cleared["findings"]}


def test_items_in_the_archive_substrate_holds_folder_leave_the_mailbox_out(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    _patch(profile, MEGAN, archive_substrate_holds_items=3)
    [megan] = invoke(profile, "contoso", "Get-Mailbox", {"Identity": MEGAN})["value"]
    archive = megan["ArchiveGuid"]

    plan = plan_json(spec, state, profile)
    [e326] = [f for f in plan["findings"] if f["code"] == "T2T-E326"]
    assert (e326["object"], e326["tenant"]) == (MEGAN, "source")
    assert e326["message"] == (
        f"the archive {archive} holds 3 item(s) (49,152 bytes) in Recoverable Items\\SubstrateHolds"
    )
    assert "will cause the migration to fail" in e326["prevents"] and "MFCMapi" in e326["fix"]
    chain = [a for a in plan["actions"] if a["key"] == MEGAN_T]
    assert chain and all(a["blocked_by"] == ["T2T-E326"] for a in chain), chain
    # One call per archive of a due mailbox: megan's is the waves' only archive.
    sent = exchange_requests(profile, "Get-MailboxFolderStatistics")
    assert [r["cmdletInput"]["Parameters"] for r in sent] == [
        {"Identity": archive, "FolderScope": "RecoverableItems"}
    ]

    assert apply_twice(profile, state, spec, "cutover") == set(COMPLETE.values()) - {MEGAN_T}
    error = moved_by_hand(profile, plan, MEGAN_T)  # bypassed
    assert error == (
        f"MigrationPermanentException: The archive of the source mailbox '{MEGAN}' has 3 "
        "item(s) in its SubstrateHolds folder."
    ), error
