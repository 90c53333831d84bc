"""Set-Mailbox's quotas, Enable-Mailbox -Archive/-AutoExpandingArchive and
Set-OrganizationConfig -AutoExpandingArchive over HTTPS, as the references state them
(t2t/sandbox/exchange/cmdlets/storage.py); and a mailbox that has just reached its quota fails
its move ("reaches or exceeds", Set-Mailbox reference)."""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    advance_clock,
    new_batch,
    ok,
    patch_recipient,
    prepare_user,
    set_pace,
    setup_organizations,
    user_status,
)

GB = 1024**3
DEBRA, DEBRA_T = "debra@contoso.com", "debra.berger@fabrikam.com"


def _refused(sandbox: SandboxHandle, tenant: str, cmdlet: str, params: dict[str, Any]) -> str:
    r = sandbox.invoke(tenant, cmdlet, params)
    assert r.status_code == 400, r.text
    return str(r.json()["error"]["details"][0]["message"])


def _mailbox(sandbox: SandboxHandle, identity: str) -> dict[str, Any]:
    [mbx] = ok(sandbox, "contoso", "Get-Mailbox", {"Identity": identity})
    return dict(mbx)


def test_quotas_are_set_in_order_within_the_plan(sandbox: SandboxHandle) -> None:
    lower = {"ProhibitSendReceiveQuota": "1GB"}  # below the other two (99 GB, 98 GB)
    assert "must be in order" in _refused(
        sandbox, "contoso", "Set-Mailbox", {"Identity": DEBRA, **lower}
    )
    assert "exceeds the maximum" in _refused(
        sandbox, "contoso", "Set-Mailbox", {"Identity": DEBRA, "ProhibitSendReceiveQuota": "101GB"}
    )
    assert "can't be unlimited" in _refused(
        sandbox, "contoso", "Set-Mailbox", {"Identity": DEBRA, "ProhibitSendQuota": "Unlimited"}
    )
    assert "Cannot bind parameter" in _refused(
        sandbox, "contoso", "Set-Mailbox", {"Identity": DEBRA, "IssueWarningQuota": "lots"}
    )
    quotas = {
        "IssueWarningQuota": "0.9 GB",
        "ProhibitSendQuota": "972MB",
        "ProhibitSendReceiveQuota": "1GB",
    }
    ok(sandbox, "contoso", "Set-Mailbox", {"Identity": DEBRA, **quotas})
    mbx = _mailbox(sandbox, DEBRA)
    assert mbx["ProhibitSendReceiveQuota"] == "1 GB (1,073,741,824 bytes)"
    assert mbx["ProhibitSendQuota"] == "972 MB (1,019,215,872 bytes)"
    assert mbx["IssueWarningQuota"] == "921.6 MB (966,367,641 bytes)"


def test_auto_expanding_archiving_needs_an_archive_and_stays_on(sandbox: SandboxHandle) -> None:
    auto = {"Identity": DEBRA, "AutoExpandingArchive": True}
    assert "isn't enabled" in _refused(sandbox, "contoso", "Enable-Mailbox", auto)
    ok(sandbox, "contoso", "Enable-Mailbox", {"Identity": DEBRA, "Archive": True})
    archived = _mailbox(sandbox, DEBRA)
    assert archived["ArchiveStatus"] == "Active"
    assert archived["ArchiveGuid"] != "00000000-0000-0000-0000-000000000000"
    assert archived["AutoExpandingArchiveEnabled"] is False
    assert "already has an archive" in _refused(
        sandbox, "contoso", "Enable-Mailbox", {"Identity": DEBRA, "Archive": True}
    )
    ok(sandbox, "contoso", "Enable-Mailbox", auto)
    assert _mailbox(sandbox, DEBRA)["AutoExpandingArchiveEnabled"] is True
    assert "already been enabled" in _refused(sandbox, "contoso", "Enable-Mailbox", auto)


def test_the_organization_switch_leaves_the_mailboxes_property(sandbox: SandboxHandle) -> None:
    [before] = ok(sandbox, "contoso", "Get-OrganizationConfig", {})
    assert before["AutoExpandingArchiveEnabled"] is False
    ok(sandbox, "contoso", "Set-OrganizationConfig", {"AutoExpandingArchive": True})
    [after] = ok(sandbox, "contoso", "Get-OrganizationConfig", {})
    assert after["AutoExpandingArchiveEnabled"] is True
    assert _mailbox(sandbox, "megan@contoso.com")["AutoExpandingArchiveEnabled"] is False


def test_a_mailbox_at_its_quota_fails_its_move(sandbox: SandboxHandle) -> None:
    set_pace(sandbox, 60)
    setup_organizations(sandbox)
    prepare_user(sandbox, DEBRA, DEBRA_T)
    patch_recipient(sandbox, "contoso", DEBRA, total_item_size=GB)
    quotas = {"IssueWarningQuota": "0.9GB", "ProhibitSendQuota": "0.95GB"}
    ok(
        sandbox,
        "contoso",
        "Set-Mailbox",
        {"Identity": DEBRA, **quotas, "ProhibitSendReceiveQuota": "1GB"},
    )
    new_batch(sandbox, "wave", DEBRA_T, AutoStart=True)
    advance_clock(sandbox, 180)
    u = user_status(sandbox, DEBRA_T)
    assert u["Status"] == "Failed", u
    assert "is over its quota" in u["ErrorSummary"], u


MEGAN, MEGAN_T = "megan@contoso.com", "megan.bowen@fabrikam.com"  # has an archive


def _megan_moving_just_below_90_gb(sandbox: SandboxHandle) -> None:
    """Megan's archive one byte below 90 GB, the organization's auto-expanding switch on, and
    her batch started."""
    set_pace(sandbox, 60)
    setup_organizations(sandbox)
    prepare_user(sandbox, MEGAN, MEGAN_T)
    patch_recipient(sandbox, "contoso", MEGAN, archive_total_item_size=90 * GB - 1)
    ok(sandbox, "contoso", "Set-OrganizationConfig", {"AutoExpandingArchive": True})
    new_batch(sandbox, "wave", MEGAN_T, AutoStart=True)


def test_the_organization_switch_expands_an_archive_at_90_gb_during_its_move(
    sandbox: SandboxHandle,
) -> None:
    """Purview: the archive "(including the Recoverable Items folder) reaches 90 GB, it's
    converted to an auto-expanding archive" — for every archive once the organization's switch
    is on; an expansion during a cross-tenant move fails it (Learn FAQ)."""
    _megan_moving_just_below_90_gb(sandbox)
    advance_clock(sandbox, 60)
    assert user_status(sandbox, MEGAN_T)["Status"] == "Syncing"
    patch_recipient(sandbox, "contoso", MEGAN, archive_total_item_size=90 * GB)
    advance_clock(sandbox, 60)
    u = user_status(sandbox, MEGAN_T)
    assert u["Status"] == "Failed", u
    assert (
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException" in u["ErrorSummary"]
    )


def test_an_archive_below_90_gb_does_not_expand(sandbox: SandboxHandle) -> None:
    _megan_moving_just_below_90_gb(sandbox)
    advance_clock(sandbox, 180)
    assert user_status(sandbox, MEGAN_T)["Status"] == "Synced"
