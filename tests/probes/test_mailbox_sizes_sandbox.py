"""The source mailboxes' sizes against the sandbox over HTTPS (t2t/probes/mailbox_sizes.py):
Graph's mailbox usage report for mailboxes whose batch is not about to be created,
Get-MailboxStatistics for due ones, the ones the report flags near a threshold, the ones it has
no row for (a shared mailbox), and for every mailbox when the report conceals names."""

from __future__ import annotations

from tests.conftest import SandboxHandle
from tests.probes.test_snapshot_sandbox import _request, snapshot
from tests.sandbox.exchange_setup import patch_recipient
from tests.sandbox.graph_helpers import graph

GB = 1024**3
DECLARED = (
    "debra@contoso.com",
    "megan@contoso.com",
    "zoe@contoso.com",
    "shaun.o'neil@contoso.com",
    "sales@contoso.com",
)
#: Only debra's wave is due (phase sync, no migration user yet).
DUE = (("debra@contoso.com", "debra@fabrikam.com"),)


def _statistics_calls(sandbox: SandboxHandle) -> list[str]:
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests",
        params={"cmdlet": "Get-MailboxStatistics"},
    )
    r.raise_for_status()
    return sorted(q["cmdletInput"]["Parameters"]["Identity"] for q in r.json()["requests"])


REPORT = "GET /reports/getMailboxUsageDetail(period={period})"


def _operations(sandbox: SandboxHandle) -> dict[str, int]:
    stats: dict[str, int] = sandbox.http.get(f"{sandbox.base_url}/_sandbox/stats").json()[
        "byOperation"
    ]
    return stats


def test_the_report_spares_the_calls_a_decision_does_not_need(sandbox: SandboxHandle) -> None:
    # zoe's Recoverable Items are near the target's 30 GB default: the report flags her.
    patch_recipient(sandbox, "contoso", "zoe@contoso.com", total_deleted_item_size=26 * GB)
    patch_recipient(sandbox, "contoso", "megan@contoso.com", total_item_size=7 * GB)
    snap = snapshot(sandbox, _request(source_mailboxes=DECLARED, due_mailboxes=DUE))
    assert snap.unknowns() == []
    # due (debra), flagged (zoe), not in the report (sales: a shared mailbox)
    assert _statistics_calls(sandbox) == [
        "debra@contoso.com",
        "sales@contoso.com",
        "zoe@contoso.com",
    ]
    boxes = {r.primary_smtp_address: r for r in snap.source.recipients.get()}  # type: ignore[union-attr]
    stats = {s.identity: s for s in snap.source.statistics.get()}  # type: ignore[union-attr]
    megan = stats[boxes["megan@contoso.com"].exchange_guid]
    assert (megan.total_item_size_bytes, megan.reported_on is not None) == (7 * GB, True)
    zoe = stats[boxes["zoe@contoso.com"].exchange_guid]
    assert (zoe.total_deleted_item_size_bytes, zoe.reported_on) == (26 * GB, None)
    assert stats[boxes["debra@contoso.com"].exchange_guid].reported_on is None
    assert len(stats) == len(DECLARED)
    ops = _operations(sandbox)
    assert (ops[REPORT], ops["GET /data/download/{token}"]) == (1, 1)


def test_concealed_names_fall_back_to_one_call_per_mailbox(sandbox: SandboxHandle) -> None:
    r = graph(
        sandbox, "contoso", "PATCH", "/admin/reportSettings", json={"displayConcealedNames": True}
    )
    assert r.status_code == 204
    snap = snapshot(sandbox, _request(source_mailboxes=DECLARED, due_mailboxes=DUE))
    assert snap.unknowns() == []
    assert _statistics_calls(sandbox) == sorted(DECLARED)
    assert all(s.reported_on is None for s in snap.source.statistics.get())  # type: ignore[union-attr]


def test_without_due_mailboxes_every_declared_mailbox_is_read(sandbox: SandboxHandle) -> None:
    """A caller that does not know the spec's waves (due_mailboxes None) reads each one, and
    never asks for the report."""
    snap = snapshot(sandbox, _request(source_mailboxes=DECLARED))
    assert snap.unknowns() == []
    assert _statistics_calls(sandbox) == sorted(DECLARED)
    assert REPORT not in _operations(sandbox)
