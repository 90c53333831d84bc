"""What the source mailbox checks (t2t/planner/mailboxes/source.py) say, and where their
limits fall. plan.json holds a finding's code and object; the detail it shows the
administrator, and the limits no case sits exactly on, are held here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from t2t.planner.mailboxes.source import (
    SourceMailbox,
    holds,
    recoverable_items_over_quota,
    too_many_aux_archives,
)
from t2t.state.exchange import MailboxStatistics
from tests.planner.cases import Case

CASES = Path(__file__).parent / "cases" / "mailboxes"
GIB = 1024**3

DETAILS = {
    "litigation-hold-blocks-the-mailbox": [("T2T-E304", "on hold: LitigationHoldEnabled")],
    "delay-hold-blocks": [
        ("T2T-E304", "on hold: DelayHoldApplied, ComplianceTagHoldApplied"),
    ],
    "no-t2t-licence-anywhere-blocks": [
        (
            "T2T-E307",
            "ExchangeT2TMbxMove is in neither PersistedCapabilities, and the spec's licences "
            "hold no Cross_tenant_user_data_migration",
        )
    ],
    "statistics-missing-warns": [
        ("T2T-W319", "Get-MailboxStatistics returned nothing for this mailbox"),
    ],
    "recoverable-items-over-100-gb-blocks": [
        ("T2T-E306", "TotalDeletedItemSize 101.0 GB > target RecoverableItemsQuota 30.0 GB"),
    ],
    "more-than-12-aux-archives-block": [("T2T-E303", "13 auxiliary archives (at most 12)")],
}


def test_source_checks_say_what_they_found() -> None:
    for case, expected in DETAILS.items():
        findings = Case(CASES / case).outcome().findings
        got = [(f.code, f.message) for f in findings if f.code[5] == "3"]
        assert got == expected, case


def _mailbox() -> SourceMailbox:
    snapshot = Case(CASES / "litigation-hold-blocks-the-mailbox").snapshot()
    (recipient,) = snapshot.source.recipients.get()  # type: ignore[union-attr]
    return SourceMailbox("debra@contoso.com", recipient, None, 30 * GIB, True)


def test_every_hold_is_named_as_get_mailbox_names_it() -> None:
    m = _mailbox()
    every = replace(
        m.recipient,
        litigation_hold=True,
        delay_hold=True,
        delay_release_hold=True,
        compliance_tag_hold=True,
        in_place_holds=(),
    )
    assert holds(every) == [
        "LitigationHoldEnabled",
        "DelayHoldApplied",
        "DelayReleaseHoldApplied",
        "ComplianceTagHoldApplied",
    ]


def test_twelve_aux_archives_and_a_full_quota_are_still_allowed() -> None:
    m = _mailbox()
    twelve = replace(m, recipient=replace(m.recipient, aux_archive_count=12))
    assert too_many_aux_archives(twelve) is None
    full = replace(m, statistics=MailboxStatistics("debra", 0, 30 * GIB))
    assert recoverable_items_over_quota(full) is None
    over = replace(m, statistics=MailboxStatistics("debra", 0, 30 * GIB + 1))
    assert recoverable_items_over_quota(over) == (
        "TotalDeletedItemSize 30.0 GB > target RecoverableItemsQuota 30.0 GB"
    )
