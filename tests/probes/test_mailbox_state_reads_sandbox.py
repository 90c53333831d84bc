"""The reads behind T2T-E322, T2T-E323/W324 and T2T-W325 against the sandbox over HTTPS: the
target's mail users that were mailboxes (one bulk Get-User), the source mailboxes' quota and
auto-expanding switch (Get-Mailbox), the organization's switch (Get-OrganizationConfig), and
Get-MailboxStatistics -Archive only for a declared mailbox whose archive may expand."""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.probes.test_snapshot_sandbox import _request, snapshot
from tests.sandbox.exchange_setup import ok, patch_recipient

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
