"""What the source mailbox checks (t2t/planner/mailboxes/source.py) say, and where their
limits fall. plan.json holds a finding's code and object; the detail it shows the
administrator, and the limits no case sits exactly on, are held here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from t2t.planner.domain import plan_domain
from t2t.planner.mailboxes.source import (
    NEAR_EXPANSION,
    SourceMailbox,
    archive_may_auto_expand,
    archive_substrate_holds,
    holds,
    near_quota,
    organization_holds,
    over_quota,
    recoverable_items_over_quota,
    too_many_aux_archives,
)
from t2t.state import Fact
from t2t.state.exchange import MailboxStatistics, RemovedMailbox, SubstrateHolds
from tests.planner.cases import BY_DOMAIN, Case, plan_json

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


ARCHIVE = "0000000a-0000-4000-8000-00000000000a"


def _archived(**recipient: object) -> SourceMailbox:
    m = _mailbox()
    return replace(m, recipient=replace(m.recipient, archive_guid=ARCHIVE, **recipient))


def test_archive_expansion_warns_from_exactly_80_gb_and_names_whose_setting_is_on() -> None:
    own = _archived(auto_expanding_archive=True)
    below = MailboxStatistics(ARCHIVE, NEAR_EXPANSION - 1, None, is_archive=True)
    assert archive_may_auto_expand(replace(own, archive_statistics=below)) is None
    at = MailboxStatistics(ARCHIVE, None, NEAR_EXPANSION, is_archive=True)
    assert archive_may_auto_expand(replace(own, archive_statistics=at)) == (
        "the main archive holds 80.00 GB (85,899,345,920 bytes) with its Recoverable Items, "
        "and auto-expanding archiving is on (the mailbox's AutoExpandingArchiveEnabled): "
        "Microsoft adds an auxiliary archive once it reaches 90 GB"
    )
    # 12 auxiliary archives are allowed (T2T-E303 blocks 13): the warning says one more is not
    twelve = _archived(aux_archive_count=12)
    assert archive_may_auto_expand(
        replace(twelve, archive_statistics=at, organization_auto_expanding=True)
    ) == (
        "the main archive holds 80.00 GB (85,899,345,920 bytes) with its Recoverable Items, "
        "and auto-expanding archiving is on (the organization's AutoExpandingArchiveEnabled): "
        "Microsoft adds an auxiliary archive once it reaches 90 GB; it already has 12 "
        "auxiliary archives, and one more is past the 12 a move supports (T2T-E303)"
    )


def test_substrate_holds_block_from_one_item_and_an_empty_folder_is_quiet() -> None:
    m = _archived()
    empty = replace(m, substrate_holds=SubstrateHolds(ARCHIVE, 0, 0))
    assert archive_substrate_holds(empty) is None
    one = replace(m, substrate_holds=SubstrateHolds(ARCHIVE, 1))  # no FolderSize given
    assert archive_substrate_holds(one) == (
        f"the archive {ARCHIVE} holds 1 item(s) in Recoverable Items\\SubstrateHolds"
    )


def test_near_quota_runs_from_90_percent_to_just_below_the_quota_where_over_quota_starts() -> None:
    m = _mailbox()
    quota = 100 * GIB
    limited = replace(m, recipient=replace(m.recipient, prohibit_send_receive_quota_bytes=quota))

    def sized(size: int) -> SourceMailbox:
        return replace(limited, statistics=MailboxStatistics("debra", size, 0))

    assert near_quota(sized(quota * 9 // 10 - 1)) is None
    assert near_quota(sized(quota // 2)) is None
    assert near_quota(sized(quota * 9 // 10)) == (
        "TotalItemSize 90.00 GB (96,636,764,160 bytes) is 90 % of ProhibitSendReceiveQuota "
        "100.00 GB (107,374,182,400 bytes)"
    )
    assert over_quota(sized(quota - 1)) is None
    assert near_quota(sized(quota)) is None
    assert over_quota(sized(quota)) == (
        "TotalItemSize 100.00 GB (107,374,182,400 bytes) ≥ ProhibitSendReceiveQuota "
        "100.00 GB (107,374,182,400 bytes)"
    )


def test_every_organization_mailbox_policy_holds_unless_the_mailbox_is_excluded() -> None:
    """Entries are read one by one: a Microsoft 365 Groups policy (grp) or an exclusion
    (-mbx<guid>, its GUID in any case, an action suffix ignored) skips only that entry; an
    entry without a known action suffix still holds, named without a kind."""
    a, b, c, d = (f"mbx{n * 32}" for n in "abcd")
    m = replace(_mailbox().recipient, in_place_holds=(f"-{b.upper()}", f"-{d}:3"))
    policies = (f"grp{'e' * 32}:1", f"{a}:2", f"{b}:1", f"{d}:3", c)
    assert organization_holds(policies, m) == [
        f"organization-wide retention policy {a}:2 (retain)",
        f"organization-wide retention policy {c}",
    ]


def test_a_removed_mailbox_holding_an_active_sources_address_does_not_hide_it() -> None:
    """A user deleted and made again keeps its address on the new mailbox while the old one is
    soft-deleted (Get-Mailbox -SoftDeletedMailbox): the active source is planned as ever."""
    case = Case(CASES / "fresh-target-plans-the-whole-chain")
    snapshot = case.snapshot()
    old = RemovedMailbox(
        "Soft Deleted Objects\\debra",
        "debra@contoso.com",
        ("SMTP:debra@contoso.com",),
        "00000009-0000-4000-8000-000000000009",
        inactive=False,
    )
    source = replace(snapshot.source, removed_mailboxes=Fact.present((old,)))
    snapshot = replace(snapshot, source=source)
    context = replace(case.context(), snapshot=snapshot)
    outcome = plan_domain(BY_DOMAIN["mailboxes"], context)
    assert plan_json(outcome, snapshot) == case.expected()


def test_only_a_get_mailboxstatistics_archive_record_sizes_the_archive() -> None:
    """A record not read with -Archive is not the archive's, whatever its identity."""
    case = Case(CASES / "archive-near-auto-expansion-warns")
    snapshot = case.snapshot()
    records = tuple(replace(s, is_archive=False) for s in snapshot.source.statistics.get())
    source = replace(snapshot.source, statistics=Fact.present(records))
    snapshot = replace(snapshot, source=source)
    context = replace(case.context(), snapshot=snapshot)
    got = plan_json(plan_domain(BY_DOMAIN["mailboxes"], context), snapshot)
    expected = case.expected()
    assert [f["code"] for f in expected["findings"]] == ["T2T-W325"]
    assert got == {**expected, "findings": []}
