"""The wave mailboxes' permissions against the sandbox over HTTPS (t2t/probes/delegations.py):
one Get-MailboxPermission (and, with delegates.calendars, one Get-MailboxFolderPermission) per
wave mailbox whose batch this run may create — the due ones, as for the fresh size reads — and
per wave mailbox only when asked (`every_wave_mailbox`: plan --report, delegates.keepTogether)."""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.probes.test_snapshot_sandbox import _request, snapshot

WAVES = ("debra@contoso.com", "megan@contoso.com", "alex@contoso.com")
#: Only debra's wave is due (phase sync, no migration user yet); megan's and alex's are later.
DUE = (("debra@contoso.com", "debra@fabrikam.com"),)


def _sent(sandbox: SandboxHandle, cmdlet: str) -> list[dict[str, Any]]:
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests", params={"cmdlet": cmdlet}
    )
    r.raise_for_status()
    return [q["cmdletInput"]["Parameters"] for q in r.json()["requests"]]


def _identities(sandbox: SandboxHandle, cmdlet: str) -> list[str]:
    return sorted(p["Identity"] for p in _sent(sandbox, cmdlet))


def _read(sandbox: SandboxHandle, **request: Any) -> tuple[list[str], list[str]]:
    """The mailboxes with a record in each per-mailbox part, after one snapshot."""
    base = {"source_mailboxes": WAVES, "wave_mailboxes": WAVES, "calendars": True}
    snap = snapshot(sandbox, _request(**{**base, **request}))
    assert snap.unknowns() == []
    return (
        sorted(m.mailbox for m in snap.source.mailbox_permissions.get()),  # type: ignore[union-attr]
        sorted(m.mailbox for m in snap.source.calendar_permissions.get()),  # type: ignore[union-attr]
    )


def test_only_the_due_wave_mailboxes_are_read_one_by_one(sandbox: SandboxHandle) -> None:
    read = _read(sandbox, due_mailboxes=DUE)
    assert read == (["debra@contoso.com"], ["debra@contoso.com"])
    assert _identities(sandbox, "Get-MailboxPermission") == ["debra@contoso.com"]
    assert _identities(sandbox, "Get-MailboxFolderPermission") == ["debra@contoso.com:\\Calendar"]


def test_every_wave_mailbox_is_read_when_asked(sandbox: SandboxHandle) -> None:
    read = _read(sandbox, due_mailboxes=DUE, every_wave_mailbox=True)
    assert read == (sorted(WAVES), sorted(WAVES))
    assert _identities(sandbox, "Get-MailboxPermission") == sorted(WAVES)
    assert _identities(sandbox, "Get-MailboxFolderPermission") == sorted(
        f"{a}:\\Calendar" for a in WAVES
    )


def test_no_due_wave_reads_no_permission(sandbox: SandboxHandle) -> None:
    """Every wave in phase prepare: no batch is created, nothing is read one by one (the bulk
    reads — SendAs, memberships — still are)."""
    assert _read(sandbox, due_mailboxes=()) == ([], [])
    assert _identities(sandbox, "Get-MailboxPermission") == []
    assert _identities(sandbox, "Get-MailboxFolderPermission") == []
    assert _sent(sandbox, "Get-RecipientPermission") == [
        {"AccessRights": ["SendAs"], "ResultSize": "Unlimited"}
    ]
