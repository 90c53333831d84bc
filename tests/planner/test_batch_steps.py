"""The one step that moves a batch towards the spec (t2t/planner/batches/desire.py), on the
statuses no case folder holds: which batch Start-MigrationBatch helps, which batch t2t leaves
alone, CompleteAfter compared to the second, and what a batch action records for apply."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from t2t.planner import kinds as K
from t2t.planner.batches.desire import (
    BatchDesire,
    needs_readd,
    needs_retry,
    next_step,
    same_time,
    utc_text,
)
from t2t.state.exchange import MigrationBatch, MigrationUser
from tests.planner.cases import Case

CASES = Path(__file__).parent / "cases" / "batches"
LATER = "2026-12-24T22:00:00Z"
DESIRE = BatchDesire(
    name="wave-1",
    wave="wave-1",
    endpoint="contoso-t2t",
    target_delivery_domain="fabrikam.mail.onmicrosoft.com",
    phase="complete",
    complete_after=LATER,
)


def batch(
    status: str, complete_after: str | None = "2026-12-04T22:00:00.0000000Z"
) -> MigrationBatch:
    return MigrationBatch(
        "wave-1", status, "ExchangeRemoteMove", "contoso-t2t", "x", 1, complete_after
    )


def user(status: str, error: str | None = None) -> MigrationUser:
    return MigrationUser("debra@fabrikam.com", "wave-1", status, error)


def test_start_retries_a_stopped_batch_a_stopped_user_or_a_failed_batch_without_users() -> None:
    assert needs_retry(batch("Stopped"), (user("Synced"),))
    assert needs_retry(batch("SyncedWithErrors"), (user("Stopped"),))
    assert needs_retry(batch("Failed"), ())


def test_start_is_not_sent_when_no_user_it_would_help() -> None:
    assert not needs_retry(batch("Failed"), (user("Synced"),))
    assert not needs_retry(batch("SyncedWithErrors"), ())


def test_a_failure_is_named_by_its_exception_before_the_first_colon() -> None:
    readd = "MailboxIsNotInExpectedDBException: the mailbox moved: try again"
    assert needs_readd(user("Failed", readd))
    assert not needs_retry(batch("SyncedWithErrors"), (user("Failed", readd),))


@pytest.mark.parametrize("status", ["Completing", "Stopping", "Removing", "Whatever"])
def test_a_settling_or_unknown_batch_gets_no_step(status: str) -> None:
    assert next_step(DESIRE, batch(status), (user("Failed"),)) is None


def test_a_completed_batch_with_a_retryable_user_is_started() -> None:
    assert next_step(DESIRE, batch("CompletedWithErrors"), (user("Failed"),)) == K.BATCH_START.name
    assert next_step(DESIRE, batch("Completed"), (user("Completed"),)) is None


def test_complete_after_is_compared_to_the_second_and_empty_is_unset() -> None:
    assert same_time("2026-12-24T22:00:00.0000000Z", LATER)
    assert not same_time("2026-12-24T22:00:01.0000000Z", LATER)
    assert same_time("", None)
    assert same_time(None, "")
    assert not same_time(None, LATER)
    assert not same_time(LATER, "")


def test_utc_text_is_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        when = dt.datetime(2026, 12, 24, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        assert utc_text(when) == "2026-12-24T22:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_batch_actions_carry_their_desire_and_the_batch_they_saw() -> None:
    (start,) = Case(CASES / "stopped-batch-is-started").outcome().actions
    (create,) = Case(CASES / "sync-fresh-creates-and-starts-the-batch").outcome().actions
    for action in (start, create):
        assert BatchDesire.from_dict(action.desired).to_dict() == action.desired
    assert BatchDesire.from_dict(create.desired).mailboxes
    assert create.observed is None
    (seen,) = Case(CASES / "stopped-batch-is-started").snapshot().target.batches.get()
    assert start.observed == {
        "Identity": seen.identity,
        "Status": seen.status,
        "SourceEndpoint": seen.source_endpoint,
        "TargetDeliveryDomain": seen.target_delivery_domain,
        "TotalCount": seen.total_count,
        "CompleteAfter": seen.complete_after,
    }
