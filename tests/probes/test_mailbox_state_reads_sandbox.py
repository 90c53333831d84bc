"""The reads behind T2T-E322, T2T-E323/W324 and T2T-W325 against the sandbox over HTTPS: the
target's mail users that were mailboxes (one bulk Get-User), the source mailboxes' quota and
auto-expanding switch (Get-Mailbox), the organization's switch (Get-OrganizationConfig), and
Get-MailboxStatistics -Archive only for a declared mailbox whose archive may expand; the
organization-wide retention policies (T2T-E304) and the archives' SubstrateHolds (T2T-E326)."""

from __future__ import annotations

from typing import Any

from t2t.state.exchange import SubstrateHolds
from tests.conftest import SandboxHandle
from tests.probes.test_snapshot_sandbox import _request, snapshot
from tests.sandbox.exchange_setup import ok, patch_recipient, set_organization_holds

GB = 1024**3
DECLARED = ("debra@contoso.com", "megan@contoso.com", "adele@contoso.com")


def _archive_reads(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests",
        params={"cmdlet": "Get-MailboxStatistics"},
    )
    r.raise_for_status()
    return [
        q["cmdletInput"]["Parameters"]
        for q in r.json()["requests"]
        if q["cmdletInput"]["Parameters"].get("Archive")
    ]


def test_mailbox_state_is_read_in_bulk_and_archives_only_where_they_may_expand(
    sandbox: SandboxHandle,
) -> None:
    # megan and adele have archives (seed); megan's may auto-expand, and holds 85 GB.
    ok(
        sandbox,
        "contoso",
        "Enable-Mailbox",
        {"Identity": "megan@contoso.com", "AutoExpandingArchive": True},
    )
    patch_recipient(sandbox, "contoso", "megan@contoso.com", archive_total_item_size=85 * GB)
    patch_recipient(
        sandbox, "fabrikam", "kai@fabrikam.com", previous_recipient_type_details="UserMailbox"
    )
    snap = snapshot(sandbox, _request(source_mailboxes=DECLARED))
    assert snap.unknowns() == []
    boxes = {r.primary_smtp_address: r for r in snap.source.recipients.get()}  # type: ignore[union-attr]
    megan = boxes["megan@contoso.com"]
    assert megan.auto_expanding_archive and megan.prohibit_send_receive_quota_bytes == 100 * GB
    stats = snap.source.statistics.get()  # type: ignore[union-attr]
    archives = [s for s in stats if s.is_archive]
    assert [(s.identity, s.total_item_size_bytes) for s in archives] == [
        (megan.archive_guid, 85 * GB)
    ]  # adele's archive may not expand: not read
    assert [p["Identity"] for p in _archive_reads(sandbox)] == ["megan@contoso.com"]
    [kai] = snap.target.previous_mailboxes.get()  # type: ignore[union-attr]
    assert (kai.user_principal_name, kai.previous_recipient_type_details) == (
        "kai@fabrikam.com",
        "UserMailbox",
    )
    # The server keeps the directory's other mail users: one filtered read (Learn's
    # filter-properties example), not every MailUser page by page.
    assert [_strip_select(p) for p in _requests(sandbox, "Get-User")] == [
        {
            "RecipientTypeDetails": ["MailUser"],
            "Filter": "PreviousRecipientTypeDetails -ne $null",
            "ResultSize": "Unlimited",
        }
    ]
    assert snap.source.organization.get().auto_expanding_archive is False

    ok(sandbox, "contoso", "Set-OrganizationConfig", {"AutoExpandingArchive": True})
    again = snapshot(sandbox, _request(source_mailboxes=DECLARED))
    assert again.source.organization.get().auto_expanding_archive is True
    read = {s.identity for s in again.source.statistics.get() if s.is_archive}  # type: ignore[union-attr]
    assert read == {megan.archive_guid, boxes["adele@contoso.com"].archive_guid}


def test_no_declared_mailbox_reads_no_user(sandbox: SandboxHandle) -> None:
    snap = snapshot(sandbox, _request())
    assert snap.target.previous_mailboxes is not None
    assert snap.target.previous_mailboxes.get() == ()
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests", params={"cmdlet": "Get-User"}
    )
    assert r.json()["requests"] == []


def _strip_select(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "Select"}


def _requests(sandbox: SandboxHandle, cmdlet: str) -> list[dict[str, Any]]:
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests", params={"cmdlet": cmdlet}
    )
    r.raise_for_status()
    return [q["cmdletInput"]["Parameters"] for q in r.json()["requests"]]


def test_organization_holds_in_bulk_and_substrate_holds_only_for_due_archives(
    sandbox: SandboxHandle,
) -> None:
    """T2T-E304's organization-wide policies come with the organization part (one
    Get-OrganizationConfig per tenant); T2T-E326's folder read is one
    Get-MailboxFolderStatistics per archive of a due mailbox (mailbox_sizes.due_guids), with the
    validation script's parameters."""
    policy = "mbx7cfb30345d454ac0a989ab3041051209"
    set_organization_holds(
        sandbox, "contoso", f"{policy}:2", "grp1a0a132ee8944501a4bb6a452ec31171:3"
    )
    patch_recipient(sandbox, "contoso", "megan@contoso.com", archive_substrate_holds_items=4)
    # megan (archive) is due; adele (archive) is declared in no due wave; debra has no archive.
    due = (("megan@contoso.com", "megan@fabrikam.com"), ("debra@contoso.com", "debra@fabrikam.com"))
    snap = snapshot(sandbox, _request(source_mailboxes=DECLARED, due_mailboxes=due))
    assert snap.unknowns() == []
    assert snap.source.organization.get().in_place_holds == (
        f"{policy}:2",
        "grp1a0a132ee8944501a4bb6a452ec31171:3",
    )
    boxes = {r.primary_smtp_address: r for r in snap.source.recipients.get()}  # type: ignore[union-attr]
    archive = boxes["megan@contoso.com"].archive_guid
    assert snap.source.substrate_holds.get() == (  # type: ignore[union-attr]
        SubstrateHolds(archive_guid=archive, items=4, size_bytes=4 * 16 * 1024),
    )
    assert _requests(sandbox, "Get-MailboxFolderStatistics") == [
        {"Identity": archive, "FolderScope": "RecoverableItems"}
    ]
    assert len(_requests(sandbox, "Get-OrganizationConfig")) == 2  # one per tenant
