"""The emulated move service over real HTTPS: a whole correct migration driven by raw
InvokeCommand calls, the statuses on the sandbox clock, CompleteAfter, and every failure
of the catalogue reproduced from its wrong prerequisite (microsoft-t2t.md §4–§9).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from t2t.sandbox.moves.catalogue import CATALOGUE, spec
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    CONTOSO_ID,
    FABRIKAM_ID,
    TDD,
    advance_clock,
    batch_status,
    new_batch,
    ok,
    patch_recipient,
    prepare_user,
    sandbox_now,
    set_pace,
    setup_organizations,
    user_status,
)
from tests.sandbox.helpers import error_detail

STEP = 60
MOVERS = [
    ("debra@contoso.com", "debra.berger@fabrikam.com"),
    ("megan@contoso.com", "megan.bowen@fabrikam.com"),  # has an archive
    ("allan@contoso.com", "allan.deyoung@fabrikam.com"),  # has extra x500s
]


@pytest.fixture
def orgs(sandbox: SandboxHandle) -> SandboxHandle:
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    return sandbox


def _steps(sandbox: SandboxHandle, n: int) -> None:
    advance_clock(sandbox, n * STEP)


def test_whole_migration_completes_with_real_effects(orgs: SandboxHandle) -> None:
    sandbox = orgs
    before: dict[str, dict[str, Any]] = {}
    for src, dst in MOVERS:
        mbx = prepare_user(sandbox, src, dst)
        [stats] = ok(sandbox, "contoso", "Get-MailboxStatistics", {"Identity": src})
        before[src] = {"mbx": mbx, "stats": stats}
        [probe] = ok(
            sandbox,
            "fabrikam",
            "Test-MigrationServerAvailability",
            {"Endpoint": "contoso-t2t", "TestMailbox": dst},
        )
        assert probe["Result"] == "Success", probe
    batch = new_batch(sandbox, "wave-1", *(d for _, d in MOVERS), AutoStart=True)
    assert batch["Status"] == "Syncing"
    assert batch["Type"] == "ExchangeRemoteMove"
    assert batch["TotalCount"] == 3
    assert user_status(sandbox, MOVERS[0][1])["Status"] == "Queued"
    _steps(sandbox, 1)
    assert {user_status(sandbox, d)["Status"] for _, d in MOVERS} == {"Syncing"}
    [mr] = ok(sandbox, "fabrikam", "Get-MoveRequest", {"Identity": MOVERS[0][1]})
    assert mr["Status"] == "InProgress" and "CrossTenant" in mr["Flags"]
    _steps(sandbox, 1)
    assert batch_status(sandbox, "wave-1") == "Synced"
    assert {user_status(sandbox, d)["StatusSummary"] for _, d in MOVERS} == {"Synced"}
    _steps(sandbox, 5)  # without AutoComplete/CompleteAfter the batch waits
    assert batch_status(sandbox, "wave-1") == "Synced"
    ok(sandbox, "fabrikam", "Complete-MigrationBatch", {"Identity": "wave-1", "Confirm": False})
    assert batch_status(sandbox, "wave-1") == "Completing"
    _steps(sandbox, 1)
    assert batch_status(sandbox, "wave-1") == "Completed"
    for src, dst in MOVERS:
        mbx = before[src]["mbx"]
        # The source mailbox is now a MailUser routing to the target's delivery-domain proxy.
        assert ok(sandbox, "contoso", "Get-Mailbox", {"ResultSize": "Unlimited"})  # others stay
        r = sandbox.invoke("contoso", "Get-Mailbox", {"Identity": src})
        assert r.status_code == 404
        [smu] = ok(sandbox, "contoso", "Get-MailUser", {"Identity": src})
        assert smu["RecipientTypeDetails"] == "MailUser"
        local = dst.split("@")[0]
        assert smu["ExternalEmailAddress"] == f"SMTP:{local}@{TDD}"
        # The target MailUser is now a mailbox with the same ExchangeGuid and the x500s.
        [tm] = ok(sandbox, "fabrikam", "Get-Mailbox", {"Identity": dst})
        assert tm["RecipientTypeDetails"] == "UserMailbox"
        assert tm["ExchangeGuid"] == mbx["ExchangeGuid"]
        assert tm["ArchiveGuid"] == mbx["ArchiveGuid"]
        assert f"X500:{mbx['LegacyExchangeDN']}" in tm["EmailAddresses"]
        for x in (a for a in mbx["EmailAddresses"] if a.lower().startswith("x500:")):
            assert x in tm["EmailAddresses"]
        [ts] = ok(sandbox, "fabrikam", "Get-MailboxStatistics", {"Identity": dst})
        assert ts["TotalItemSize"] == before[src]["stats"]["TotalItemSize"]
        assert ts["ItemCount"] == before[src]["stats"]["ItemCount"]
        [st] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": dst})
        assert st["Status"] == "Completed" and st["PercentageComplete"] == 100
    [mr] = ok(sandbox, "fabrikam", "Get-MoveRequest", {"Identity": MOVERS[0][1]})
    assert mr["Status"] == "Completed"


def test_complete_after_completes_on_its_own(orgs: SandboxHandle) -> None:
    sandbox = orgs
    prepare_user(sandbox, *MOVERS[0])
    when = sandbox_now(sandbox) + dt.timedelta(hours=2)
    batch = new_batch(
        sandbox,
        "timed",
        MOVERS[0][1],
        AutoStart=True,
        CompleteAfter=when.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    assert batch["CompleteAfter"].startswith(when.strftime("%Y-%m-%dT%H:%M:%S"))
    _steps(sandbox, 2)
    assert batch_status(sandbox, "timed") == "Synced"
    advance_clock(sandbox, 2 * 3600)
    assert batch_status(sandbox, "timed") == "Completed"


def test_autocomplete_and_a_big_clock_jump_run_the_whole_path(orgs: SandboxHandle) -> None:
    sandbox = orgs
    prepare_user(sandbox, *MOVERS[0])
    new_batch(sandbox, "auto", MOVERS[0][1], AutoStart=True, AutoComplete=True)
    advance_clock(sandbox, 3600)
    assert batch_status(sandbox, "auto") == "Completed"
    assert user_status(sandbox, MOVERS[0][1])["Status"] == "Completed"


def test_created_batch_waits_for_start_and_stop_works(orgs: SandboxHandle) -> None:
    sandbox = orgs
    prepare_user(sandbox, *MOVERS[0])
    assert new_batch(sandbox, "manual", MOVERS[0][1])["Status"] == "Created"
    _steps(sandbox, 5)
    assert batch_status(sandbox, "manual") == "Created"
    r = sandbox.invoke(
        "fabrikam", "Complete-MigrationBatch", {"Identity": "manual", "Confirm": False}
    )
    assert r.status_code == 400
    assert error_detail(r)[1].endswith("MigrationPermanentException")
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "manual"})
    _steps(sandbox, 1)
    assert batch_status(sandbox, "manual") == "Syncing"
    ok(sandbox, "fabrikam", "Stop-MigrationBatch", {"Identity": "manual", "Confirm": False})
    assert batch_status(sandbox, "manual") == "Stopping"
    _steps(sandbox, 1)
    assert batch_status(sandbox, "manual") == "Stopped"
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "manual"})
    _steps(sandbox, 2)
    assert batch_status(sandbox, "manual") == "Synced"
    ok(sandbox, "fabrikam", "Remove-MigrationBatch", {"Identity": "manual", "Confirm": False})
    _steps(sandbox, 1)
    assert ok(sandbox, "fabrikam", "Get-MigrationBatch") == []


def test_pace_zero_runs_at_once(orgs: SandboxHandle) -> None:
    sandbox = orgs
    set_pace(sandbox, 0)
    prepare_user(sandbox, *MOVERS[0])
    new_batch(sandbox, "now", MOVERS[0][1], AutoStart=True, AutoComplete=True)
    assert batch_status(sandbox, "now") == "Completed"


# ------------------------------------------------------------------ failures (§9)

Arrange = Callable[[SandboxHandle], str]
"""Sets up one wrong prerequisite; returns the CSV address of the failing user."""


def _good(sandbox: SandboxHandle, **kw: Any) -> str:
    prepare_user(sandbox, "debra@contoso.com", "debra.berger@fabrikam.com", **kw)
    return "debra.berger@fabrikam.com"


def _recipient_missing(sandbox: SandboxHandle) -> str:
    return "nobody@fabrikam.com"


def _source_address_in_csv(sandbox: SandboxHandle) -> str:
    _good(sandbox)
    return "debra@contoso.com"  # the SOURCE address: Microsoft wants target addresses (§6)


def _target_relationship_wrong_id(sandbox: SandboxHandle) -> str:
    ok(
        sandbox,
        "fabrikam",
        "Set-OrganizationRelationship",
        {"Identity": "contoso", "DomainNames": ["11111111-2222-3333-4444-555555555555"]},
    )
    return _good(sandbox)


def _not_in_scope(sandbox: SandboxHandle) -> str:
    return _good(sandbox, in_scope=False)


def _no_exchange_guid(sandbox: SandboxHandle) -> str:
    return _good(sandbox, stamp_guid=False)


def _not_accepted_domain(sandbox: SandboxHandle) -> str:
    """Seed comment 12: a target proxy in a domain Fabrikam never accepted (as directory
    sync from on-premises brings; Set-MailUser itself refuses it), arranged after licensing
    (which would scrub it) through the sandbox's recipient endpoint."""
    address = _good(sandbox)
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": address})
    proxies = [*mu["EmailAddresses"], "smtp:debra@fabrikam.local"]
    patch_recipient(sandbox, "fabrikam", address, email_addresses=proxies)
    return address


def _no_license(sandbox: SandboxHandle) -> str:
    return _good(sandbox, licensed=False)


def _duplicate(sandbox: SandboxHandle) -> str:
    address = _good(sandbox)
    new_batch(sandbox, "first", address)
    return address


def _target_has_mailbox(sandbox: SandboxHandle) -> str:
    ok(
        sandbox,
        "contoso",
        "Add-DistributionGroupMember",
        {
            "Identity": "t2tmigrationscope",
            "Member": "debra@contoso.com",
            "BypassSecurityGroupManagerCheck": True,
        },
    )
    return "miriam@fabrikam.com"  # seeded as a licensed UserMailbox in the target


def _no_tdd_proxy(sandbox: SandboxHandle) -> str:
    return _good(sandbox, tdd_proxy=False)


def _on_hold(sandbox: SandboxHandle) -> str:
    address = _good(sandbox)
    patch_recipient(sandbox, "contoso", "debra@contoso.com", litigation_hold_enabled=True)
    return address


def _too_many_aux_archives(sandbox: SandboxHandle) -> str:
    address = _good(sandbox)
    patch_recipient(sandbox, "contoso", "debra@contoso.com", auxiliary_archives=13)
    return address


def _recoverable_items_over_quota(sandbox: SandboxHandle) -> str:
    address = _good(sandbox)
    patch_recipient(sandbox, "contoso", "debra@contoso.com", total_deleted_item_size=31 * 1024**3)
    return address


def _demoted_archive(sandbox: SandboxHandle) -> str:
    address = _good(sandbox)
    patch_recipient(
        sandbox,
        "contoso",
        "debra@contoso.com",
        archive_guid="0f0f0f0f-0000-4000-8000-000000000001",
        archive_disabled=True,
    )
    return address


def _archive_guid_missing(sandbox: SandboxHandle) -> str:
    prepare_user(sandbox, "megan@contoso.com", "megan.bowen@fabrikam.com")
    ok(
        sandbox,
        "fabrikam",
        "Set-MailUser",
        {
            "Identity": "megan.bowen@fabrikam.com",
            "ArchiveGuid": "00000000-0000-0000-0000-000000000000",
        },
    )
    return "megan.bowen@fabrikam.com"


def _source_relationship_without_app(sandbox: SandboxHandle) -> str:
    ok(
        sandbox,
        "contoso",
        "Set-OrganizationRelationship",
        {"Identity": "fabrikam", "OAuthApplicationId": None},
    )
    return _good(sandbox)


FAILURES: list[tuple[str, Arrange, dict[str, str]]] = [
    ("MigrationRecipientNotFoundException", _recipient_missing, {"user": "nobody@fabrikam.com"}),
    ("MigrationRecipientNotFoundException", _source_address_in_csv, {"user": "debra@contoso.com"}),
    ("InboundMailboxMoveCapabilityMissingException", _target_relationship_wrong_id, {}),
    (
        "MailboxNotInCrossTenantMigrationScopeException",
        _not_in_scope,
        {"user": "debra@contoso.com"},
    ),
    ("MissingExchangeGuidException", _no_exchange_guid, {"user": "debra.berger@fabrikam.com"}),
    ("NotAcceptedDomainException", _not_accepted_domain, {"domain": "fabrikam.local"}),
    ("CrossTenantMigrationWithoutLicensePermanentException", _no_license, {}),
    (
        "UserDuplicateInOtherBatchException",
        _duplicate,
        {"user": "debra.berger@fabrikam.com", "batch": "first"},
    ),
    ("TargetUserAlreadyHasPrimaryMailbox", _target_has_mailbox, {"user": "miriam@fabrikam.com"}),
    ("NoProxyInTargetDeliveryDomain", _no_tdd_proxy, {"domain": TDD}),
    ("SourceMailboxOnHold", _on_hold, {"user": "debra@contoso.com", "holds": "LitigationHold"}),
    ("TooManyAuxArchives", _too_many_aux_archives, {"user": "debra@contoso.com", "count": "13"}),
    (
        "RecoverableItemsOverTargetQuota",
        _recoverable_items_over_quota,
        {
            "user": "debra@contoso.com",
            "size": "31 GB (33,285,996,544 bytes)",
            "quota": "30 GB (32,212,254,720 bytes)",
        },
    ),
    ("UserAlreadyHasDemotedArchiveException", _demoted_archive, {"user": "debra@contoso.com"}),
    ("ArchiveGuidMismatch", _archive_guid_missing, {}),
    ("MigrationServerConnectionFailedException", _source_relationship_without_app, {}),
]


@pytest.mark.parametrize(
    ("name", "arrange", "fields"), FAILURES, ids=[f"{n}-{a.__name__}" for n, a, _ in FAILURES]
)
def test_failure_reproduced(
    orgs: SandboxHandle, name: str, arrange: Arrange, fields: dict[str, str]
) -> None:
    sandbox = orgs
    address = arrange(sandbox)
    new_batch(sandbox, "wave", address, AutoStart=True)
    _steps(sandbox, 3)
    [u] = ok(sandbox, "fabrikam", "Get-MigrationUser", {"BatchId": "wave"})
    assert u["Identity"] == address
    assert u["Status"] == "Failed", u
    assert u["StatusSummary"] == "Failed"
    s = spec(name)
    if name == "MissingExchangeGuidException":  # names the source mailbox's ExchangeGuid
        [mbx] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": "debra@contoso.com"})
        fields = {**fields, "guid": mbx["ExchangeGuid"]}
    short = s.full_type.rsplit(".", 1)[1]
    exc, _, message = u["ErrorSummary"].partition(": ")
    assert exc == short
    if "{" not in s.template or fields or name in ("ArchiveGuidMismatch",):
        if name == "ArchiveGuidMismatch":
            assert message.startswith(
                "The target mail user 'megan.bowen@fabrikam.com' has ArchiveGuid"
            )
        elif name == "MigrationServerConnectionFailedException":
            assert message.startswith("The connection to the server 'outlook.office365.com'")
        else:
            assert message == s.render(**fields)
    if name != "UserDuplicateInOtherBatchException":  # its identity names the first batch's
        [st] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": address})
        assert st["Error"] == u["ErrorSummary"]
    assert batch_status(sandbox, "wave") in ("Failed", "SyncedWithErrors")


def test_license_failure_names_both_objects(orgs: SandboxHandle) -> None:
    sandbox = orgs
    address = _no_license(sandbox)
    new_batch(sandbox, "wave", address, AutoStart=True)
    _steps(sandbox, 2)
    message = user_status(sandbox, address)["ErrorSummary"]
    [src] = ok(sandbox, "contoso", "Get-User", {"Identity": "debra@contoso.com"})
    [dst] = ok(sandbox, "fabrikam", "Get-User", {"Identity": address})
    assert message == (
        "CrossTenantMigrationWithoutLicensePermanentException: "
        + spec("CrossTenantMigrationWithoutLicensePermanentException").render(
            source_guid=src["ExternalDirectoryObjectId"],
            target_guid=dst["ExternalDirectoryObjectId"],
        )
    )


def test_inbound_refusal_text_is_microsofts(orgs: SandboxHandle) -> None:
    s = spec("InboundMailboxMoveCapabilityMissingException")
    assert s.template == (
        "Your organization does not authorize 'pull' or Inbound moves from the remote "
        "organization. Contact your administrator to confirm organization relationships are "
        "configured correctly."
    )
    assert s.verbatim


def test_fixing_the_prerequisite_and_restarting_succeeds(orgs: SandboxHandle) -> None:
    sandbox = orgs
    address = _not_in_scope(sandbox)
    new_batch(sandbox, "retry", address, AutoStart=True, AutoComplete=True)
    _steps(sandbox, 2)
    assert batch_status(sandbox, "retry") == "Failed"
    ok(
        sandbox,
        "contoso",
        "Add-DistributionGroupMember",
        {
            "Identity": "t2tmigrationscope",
            "Member": "debra@contoso.com",
            "BypassSecurityGroupManagerCheck": True,
        },
    )
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "retry"})
    advance_clock(sandbox, 3600)
    assert batch_status(sandbox, "retry") == "Completed"


def test_every_move_failure_in_the_catalogue_is_reproduced() -> None:
    reproduced = {n for n, _, _ in FAILURES}
    move_failures = {n for n, s in CATALOGUE.items() if s.where == "move"}
    not_reproduced_here = {
        "AuxArchiveNotFoundInTargetRecipientException",  # test below
        # the endpoint's credential at each step: test_move_credentials.py
        "EndpointCredentialRefused",
        "EndpointWithoutCredential",
        "SourceAccessDenied",
        # an AppSecretKeyVaultUrl endpoint's broken link: test_azure_endpoint.py
        "EndpointCertificateUnreadable",
        # documented failures of issue 10: test_move_documented_failures.py
        "MailboxIsNotInExpectedDBException",
        "SourceMailboxAlreadyBeingMovedPermanentException",
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException",
        "ArchiveSubstrateHoldsNotEmpty",
        "SourceMailboxOverQuota",
        "TargetHasPreviousMailboxInfo",
        "PartnerRelationshipWithoutMailMove",
    }
    assert move_failures - reproduced == not_reproduced_here


def test_aux_archive_user_added_to_scope_after_start(orgs: SandboxHandle) -> None:
    sandbox = orgs
    address = _good(sandbox, in_scope=False)
    patch_recipient(sandbox, "contoso", "debra@contoso.com", auxiliary_archives=2)
    set_pace(sandbox, STEP)
    new_batch(sandbox, "aux", address, AutoStart=True)
    advance_clock(sandbox, 5)
    ok(
        sandbox,
        "contoso",
        "Add-DistributionGroupMember",
        {
            "Identity": "t2tmigrationscope",
            "Member": "debra@contoso.com",
            "BypassSecurityGroupManagerCheck": True,
        },
    )
    _steps(sandbox, 2)
    exc = user_status(sandbox, address)["ErrorSummary"].split(":")[0]
    assert exc == "AuxArchiveNotFoundInTargetRecipientException"


def test_ids_used_by_tests_are_the_seeds() -> None:
    assert CONTOSO_ID != FABRIKAM_ID
