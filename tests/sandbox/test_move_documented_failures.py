"""Failures Microsoft documents that the sandbox creates over HTTPS (issue 10): each condition
is arranged through InvokeCommand, Graph or the documented ``/_sandbox/`` control endpoints,
and the move fails with Microsoft's exception on the migration user (Get-MigrationUser
ErrorSummary and Status, Get-MigrationUserStatistics Error). The remove-and-re-add failures
persist across Start-MigrationBatch retries and clear only for a new batch after
Remove-MigrationUser (LEARN-24 "Migration Failures"; t2t/sandbox/moves/conditions.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from t2t.sandbox.moves.catalogue import spec
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    CONTOSO_ID,
    FABRIKAM_ID,
    advance_clock,
    batch_status,
    new_batch,
    ok,
    patch_recipient,
    prepare_user,
    sandbox_now,
    set_organization_holds,
    set_pace,
    setup_organizations,
    user_status,
)
from tests.sandbox.helpers import error_detail

STEP = 60
DEBRA, DEBRA_T = "debra@contoso.com", "debra.berger@fabrikam.com"
MEGAN, MEGAN_T = "megan@contoso.com", "megan.bowen@fabrikam.com"  # has an archive
GB = 1024**3
POLICY = "mbxa1b2c3d4e5f60718293a4b5c6d7e8f90"


@pytest.fixture
def orgs(sandbox: SandboxHandle) -> SandboxHandle:
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    return sandbox


def _steps(sandbox: SandboxHandle, n: int) -> None:
    advance_clock(sandbox, n * STEP)


def _failed_with(sandbox: SandboxHandle, address: str, name: str, **fields: str) -> None:
    """The migration user failed with exactly the catalogue's exception and text."""
    s = spec(name)
    text = f"{s.full_type.rsplit('.', 1)[1]}: {s.render(**fields)}"
    u = user_status(sandbox, address)
    assert (u["Status"], u["StatusSummary"], u["ErrorSummary"]) == ("Failed", "Failed", text), u
    [st] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": address})
    assert st["Error"] == text


def _start_and_fail(sandbox: SandboxHandle, address: str, batch: str = "wave") -> None:
    new_batch(sandbox, batch, address, AutoStart=True)
    _steps(sandbox, 3)
    assert batch_status(sandbox, batch) == "Failed"


# ------------------------------------------------------------------ scope


def test_member_of_a_nested_group_only_is_out_of_scope(orgs: SandboxHandle) -> None:
    """LEARN-24: "While nested groups are supported, they are not recommended"; the older
    revisions say unsupported and CSS-VAL checks direct membership: the stricter reading."""
    sandbox = orgs
    ok(sandbox, "contoso", "New-DistributionGroup", {"Name": "finance-team", "Type": "Security"})
    for identity, member in (("finance-team", DEBRA), ("t2tmigrationscope", "finance-team")):
        ok(
            sandbox,
            "contoso",
            "Add-DistributionGroupMember",
            {"Identity": identity, "Member": member, "BypassSecurityGroupManagerCheck": True},
        )
    members = ok(
        sandbox, "contoso", "Get-DistributionGroupMember", {"Identity": "t2tmigrationscope"}
    )
    assert [(m["Name"], m["RecipientType"]) for m in members] == [
        ("finance-team", "MailUniversalSecurityGroup")
    ]
    prepare_user(sandbox, DEBRA, DEBRA_T, in_scope=False)
    _start_and_fail(sandbox, DEBRA_T)
    _failed_with(sandbox, DEBRA_T, "MailboxNotInCrossTenantMigrationScopeException", user=DEBRA)


# ------------------------------------------------------------------ holds and sizes


def test_organization_wide_retention_policy_blocks_and_an_exclusion_lifts_it(
    orgs: SandboxHandle,
) -> None:
    """LEARN-24: "Mailboxes that are on any type of hold aren't migrated"; CSS-VAL's
    organizational hold. A mailbox excluded from the policy (-<guid>) moves."""
    sandbox = orgs
    set_organization_holds(sandbox, "contoso", f"{POLICY}:1")
    [cfg] = ok(sandbox, "contoso", "Get-OrganizationConfig")
    assert cfg["InPlaceHolds"] == [f"{POLICY}:1"]
    prepare_user(sandbox, DEBRA, DEBRA_T)
    _start_and_fail(sandbox, DEBRA_T)
    _failed_with(
        sandbox, DEBRA_T, "SourceMailboxOnHold", user=DEBRA, holds=f"OrganizationHold:{POLICY}"
    )
    patch_recipient(sandbox, "contoso", DEBRA, in_place_holds=[f"-{POLICY}"])
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "wave"})
    _steps(sandbox, 2)
    assert user_status(sandbox, DEBRA_T)["Status"] == "Synced"


@pytest.mark.parametrize(
    ("fields", "name", "expected"),
    [
        (
            {"archive_substrate_holds_items": 3},
            "ArchiveSubstrateHoldsNotEmpty",
            {"user": MEGAN, "count": "3"},
        ),
        (
            {"total_item_size": 101 * GB},
            "SourceMailboxOverQuota",
            {
                "user": MEGAN,
                "size": "101 GB (108,447,924,224 bytes)",
                "quota": "100 GB (107,374,182,400 bytes)",
            },
        ),
    ],
    ids=["substrate-holds-in-archive", "over-quota"],
)
def test_source_mailbox_state_fails_the_move(
    orgs: SandboxHandle, fields: dict[str, Any], name: str, expected: dict[str, str]
) -> None:
    """CSS-VAL: SubstrateHolds items in the archive "will cause the migration to fail";
    LEARN-24 FAQ: mailboxes over quota "will fail migration and will need to be remediated
    and restarted" — a fix and Start-MigrationBatch suffice (no re-add)."""
    sandbox = orgs
    prepare_user(sandbox, MEGAN, MEGAN_T)
    patch_recipient(sandbox, "contoso", MEGAN, **fields)
    _start_and_fail(sandbox, MEGAN_T)
    _failed_with(sandbox, MEGAN_T, name, **expected)
    patch_recipient(sandbox, "contoso", MEGAN, archive_substrate_holds_items=0, total_item_size=GB)
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "wave"})
    _steps(sandbox, 2)
    assert user_status(sandbox, MEGAN_T)["Status"] == "Synced"


def _recoverable_folders(sandbox: SandboxHandle, identity: str, **extra: Any) -> list[Any]:
    params = {"Identity": identity, "FolderScope": "RecoverableItems", **extra}
    return ok(sandbox, "contoso", "Get-MailboxFolderStatistics", params)


def test_folder_statistics_show_the_archive_substrate_holds(orgs: SandboxHandle) -> None:
    """CSS-VAL reads `Get-MailboxFolderStatistics <ArchiveGuid> -FolderScope RecoverableItems`
    and looks for the row Name SubstrateHolds, ItemsInFolder > 0; the reference's -Archive
    switch names the same archive. No such row while the folder is empty (the script's "No
    SubstrateHolds folder found" branch); another scope is not emulated."""
    sandbox = orgs
    [m] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": MEGAN})
    archive = m["ArchiveGuid"]
    names = ["Recoverable Items", "Deletions", "DiscoveryHolds", "Purges", "Versions"]
    assert [f["Name"] for f in _recoverable_folders(sandbox, archive)] == names
    patch_recipient(sandbox, "contoso", MEGAN, archive_substrate_holds_items=3)
    by_guid = _recoverable_folders(sandbox, archive)
    assert by_guid == _recoverable_folders(sandbox, MEGAN, Archive=True)
    [held] = [f for f in by_guid if f["Name"] == "SubstrateHolds"]
    assert (held["ItemsInFolder"], held["FolderPath"]) == (3, "/SubstrateHolds")
    assert held["FolderSize"] == "48 KB (49,152 bytes)"
    assert held["Identity"] == f"{archive}\\SubstrateHolds"
    assert by_guid[0]["ItemsInFolderAndSubfolders"] == 3
    primary = _recoverable_folders(sandbox, MEGAN)
    assert "SubstrateHolds" not in [f["Name"] for f in primary]
    r = sandbox.invoke(
        "contoso",
        "Get-MailboxFolderStatistics",
        {"Identity": MEGAN, "FolderScope": "Inbox"},
    )
    assert r.status_code == 400 and error_detail(r)[1] == "T2t.Sandbox.NotEmulatedException"
    r = sandbox.invoke(
        "contoso",
        "Get-MailboxFolderStatistics",
        {"Identity": DEBRA, "FolderScope": "RecoverableItems", "Archive": True},
    )
    assert r.status_code == 400, r.text
    assert error_detail(r)[1:] == (
        "Microsoft.Exchange.Data.Storage.MailboxUnavailableException",
        f"The archive mailbox of '{DEBRA}' doesn't exist.",
    )


def test_target_with_a_previous_mailbox_fails_until_cleared(orgs: SandboxHandle) -> None:
    """LEARN-24 step 8: a target MailUser that once had a mailbox keeps its ExchangeGuid
    until Set-User -PermanentlyClearPreviousMailboxInfo."""
    sandbox = orgs
    prepare_user(sandbox, DEBRA, DEBRA_T)
    stale = "0e0e0e0e-1111-4222-8333-444455556666"
    patch_recipient(
        sandbox,
        "fabrikam",
        DEBRA_T,
        previous_exchange_guid=stale,
        previous_recipient_type_details="UserMailbox",
    )
    [user] = ok(sandbox, "fabrikam", "Get-User", {"Identity": DEBRA_T})
    assert user["PreviousRecipientTypeDetails"] == "UserMailbox"
    _start_and_fail(sandbox, DEBRA_T)
    _failed_with(sandbox, DEBRA_T, "TargetHasPreviousMailboxInfo", user=DEBRA_T, previous=stale)
    ok(
        sandbox,
        "fabrikam",
        "Set-User",
        {"Identity": DEBRA_T, "PermanentlyClearPreviousMailboxInfo": True, "Confirm": False},
    )
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "wave"})
    _steps(sandbox, 2)
    assert user_status(sandbox, DEBRA_T)["Status"] == "Synced"


# ------------------------------------------------------------------ relationships


@pytest.mark.parametrize(
    ("tenant", "partner_domain"),
    [("fabrikam", "contoso.com"), ("contoso", "fabrikam.com")],
    ids=["target-side", "source-side"],
)
def test_second_relationship_keyed_on_a_partner_domain_fails_the_move(
    orgs: SandboxHandle, tenant: str, partner_domain: str
) -> None:
    """microsoft-t2t.md §3.5 / QA-5611986 [1×3P]: a free/busy-sharing relationship keyed on
    the partner's domain beside the one keyed on its tenant id: "does not have mail move
    enabled"."""
    sandbox = orgs
    assert CONTOSO_ID != FABRIKAM_ID
    ok(
        sandbox,
        tenant,
        "New-OrganizationRelationship",
        {"Name": "free-busy", "DomainNames": [partner_domain], "FreeBusyAccessEnabled": True},
    )
    prepare_user(sandbox, DEBRA, DEBRA_T)
    _start_and_fail(sandbox, DEBRA_T)
    _failed_with(
        sandbox,
        DEBRA_T,
        "PartnerRelationshipWithoutMailMove",
        relationship="free-busy",
        partner=partner_domain,
    )


# ------------------------------------------------------------------ directory sync


def test_cloud_write_to_a_dir_synced_mail_user_is_refused(sandbox: SandboxHandle) -> None:
    """An IsDirSynced object is mastered on-premises (microsoft-t2t.md §4 caveats): Set-MailUser
    is refused with Exchange's write-scope error and changes nothing."""
    [before] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "johanna@fabrikam.com"})
    assert before["IsDirSynced"] is True
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailUser",
        {
            "Identity": "johanna@fabrikam.com",
            "EmailAddresses": {
                "add": ["smtp:johanna@fabrikam.mail.onmicrosoft.com"],
                "@odata.type": "#Exchange.GenericHashTable",
            },
        },
    )
    assert r.status_code == 400
    s = spec("DirSyncedObjectWriteRefused")
    _, exception, message = error_detail(r)
    assert exception == s.full_type
    assert message == s.render(
        object=before["ExternalDirectoryObjectId"],
        cmdlet="Set-MailUser",
        parameters="EmailAddresses",
    )
    [after] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "johanna@fabrikam.com"})
    assert after["EmailAddresses"] == before["EmailAddresses"]


# ------------------------------------------------------------------ remove and add again


def _remove_and_readd(sandbox: SandboxHandle, address: str) -> None:
    """LEARN-24: Get-MigrationUser … | Remove-MigrationUser, then a new batch."""
    ok(sandbox, "fabrikam", "Remove-MigrationUser", {"Identity": address, "Confirm": False})
    assert ok(sandbox, "fabrikam", "Get-MigrationUser", {"BatchId": "wave"}) == []
    new_batch(sandbox, "wave-02", address, AutoStart=True)
    _steps(sandbox, 2)
    assert user_status(sandbox, address)["Status"] == "Synced"
    assert batch_status(sandbox, "wave-02") == "Synced"


def _retry_fails_again(sandbox: SandboxHandle, address: str, name: str, **fields: str) -> None:
    for _ in range(2):
        ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "wave"})
        _steps(sandbox, 3)
        _failed_with(sandbox, address, name, **fields)


def test_mailbox_moved_by_maintenance_needs_remove_and_readd(orgs: SandboxHandle) -> None:
    sandbox = orgs
    prepare_user(sandbox, DEBRA, DEBRA_T)
    new_batch(sandbox, "wave", DEBRA_T, AutoStart=True)
    _steps(sandbox, 1)
    assert user_status(sandbox, DEBRA_T)["Status"] == "Syncing"
    # Microsoft maintenance moves the source mailbox to another database mid-move.
    patch_recipient(sandbox, "contoso", DEBRA, database_moved_at=sandbox_now(sandbox).isoformat())
    _steps(sandbox, 1)
    _failed_with(sandbox, DEBRA_T, "MailboxIsNotInExpectedDBException", user=DEBRA)
    _retry_fails_again(sandbox, DEBRA_T, "MailboxIsNotInExpectedDBException", user=DEBRA)
    _remove_and_readd(sandbox, DEBRA_T)


def test_existing_move_request_needs_remove_and_readd_after_it_ends(
    orgs: SandboxHandle,
) -> None:
    sandbox = orgs
    prepare_user(sandbox, DEBRA, DEBRA_T)
    patch_recipient(sandbox, "contoso", DEBRA, existing_move_request=True)  # internal move
    _start_and_fail(sandbox, DEBRA_T)
    name = "SourceMailboxAlreadyBeingMovedPermanentException"
    _failed_with(sandbox, DEBRA_T, name, user=DEBRA)
    patch_recipient(sandbox, "contoso", DEBRA, existing_move_request=False)  # it completed
    _retry_fails_again(sandbox, DEBRA_T, name, user=DEBRA)
    _remove_and_readd(sandbox, DEBRA_T)


def test_archive_auto_expanding_during_the_move_needs_remove_and_readd(
    orgs: SandboxHandle,
) -> None:
    """LEARN-24 FAQ: "If the source mailbox is expanded during the mailbox migration process,
    the migration will fail as a new auxiliary archive will be created in the source, but not
    in the target … remove the user from the batch and resubmit them"."""
    sandbox = orgs
    prepare_user(sandbox, MEGAN, MEGAN_T)
    patch_recipient(
        sandbox,
        "contoso",
        MEGAN,
        auto_expanding_archive_enabled=True,
        archive_total_item_size=100 * GB,
    )
    new_batch(sandbox, "wave", MEGAN_T, AutoStart=True)
    _steps(sandbox, 1)
    assert user_status(sandbox, MEGAN_T)["Status"] == "Syncing"
    _steps(sandbox, 1)
    name = "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException"
    _failed_with(sandbox, MEGAN_T, name, user=MEGAN)
    [mbx] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": MEGAN})
    assert mbx["AutoExpandingArchiveEnabled"] is True
    assert [loc.split(";")[2] for loc in mbx["MailboxLocations"]] == [
        "Primary",
        "MainArchive",
        "AuxArchive",
    ]
    _retry_fails_again(sandbox, MEGAN_T, name, user=MEGAN)
    _remove_and_readd(sandbox, MEGAN_T)
