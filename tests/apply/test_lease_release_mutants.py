"""The apply lease's release side and its holder record (t2t/apply/lease.py), pinned where
mutation testing (issue 11) found them loose: a release never touches a lease that is no
longer this run's — taken over meanwhile, lost, or never held — and says what to do when its
own cannot be removed; the lease's Name is exact at its cut and its fallback; a holder is
read back only from a label t2t wrote, names this machine's account and host cleaned and cut
to 64 characters, and writes its times in UTC whatever the machine's zone."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from structlog.testing import capture_logs

from t2t.apply.lease import Holder, Lease, LeaseHeld, hold_lease, lease_name
from t2t.clients import ExchangeClient
from tests.apply.test_lease import NAME, SPEC, WHERE, _contacts, _fault, _requests, _run
from tests.conftest import SandboxHandle

SINCE = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def _digest(spec_name: str) -> str:
    return hashlib.sha256(spec_name.encode("utf-8")).hexdigest()[:8]


def test_the_name_is_cut_at_36_characters_and_falls_back_to_spec() -> None:
    """The slug is cut to 36 characters after its edges lose their dashes, and loses the
    dash a cut leaves; a spec name with no letter or digit still gets a readable Name."""
    ragged = " " + "a" * 40
    assert lease_name(ragged) == f"t2t-lease-{'a' * 36}-{_digest(ragged)}"
    cut_at_dash = "a" * 35 + " bc"
    assert lease_name(cut_at_dash) == f"t2t-lease-{'a' * 35}-{_digest(cut_at_dash)}"
    assert lease_name("日本") == f"t2t-lease-spec-{_digest('日本')}"


def test_a_holder_is_read_only_from_a_label_with_a_time() -> None:
    """A label of t2t's shape whose `since` is no UTC time is nobody's lease: t2t did not
    write it, and its age could not be told."""
    label = "t2t apply lease: run 0123ab, alice on ci, since 3pm"
    assert Holder.read({"DisplayName": label}) is None


def test_a_holder_is_described_exactly_and_stale_only_past_three_periods() -> None:
    holder = Holder("3f2a1b9c0d4e", "alice", "laptop-7", SINCE)
    assert holder.describe(SINCE + dt.timedelta(seconds=30)) == (
        "run 3f2a1b9c0d4e by alice on laptop-7, started 30 s ago (2026-12-07T10:00:00Z), "
        "not renewed yet"
    )
    renewed = Holder("3f2a1b9c0d4e", "alice", "laptop-7", SINCE, SINCE + dt.timedelta(minutes=1))
    three_periods = SINCE + dt.timedelta(minutes=1, seconds=3 * 10)
    assert renewed.describe(three_periods, renew_every=10).endswith("last renewed 30 s ago")
    assert renewed.describe(three_periods + dt.timedelta(seconds=1), renew_every=10).endswith(
        "last renewed 31 s ago — it renews every 10 s while it runs, so that run is probably gone"
    )


@contextmanager
def _zone(name: str) -> Iterator[None]:
    """This process's local time zone set to `name` for the block (POSIX tzset)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_the_label_is_written_in_utc_whatever_the_machine_zone() -> None:
    """Another machine reads the lease's age from it: a local time marked Z would show an
    apply that started a moment ago as hours old (or not started yet)."""
    with _zone("Asia/Kolkata"):
        label = Holder("3f2a1b9c0d4e", "alice", "laptop-7", SINCE).label()
    assert (
        label == "t2t apply lease: run 3f2a1b9c0d4e, alice on laptop-7, since 2026-12-07T10:00:00Z"
    )


def test_this_run_names_the_account_and_host_cleaned_and_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The OS account and host name go into a DisplayName a regex reads back: control
    characters become ?, a host's spaces dashes (the label's host has none), each at most 64
    characters; `since` is whole seconds, as the label keeps it, so the holder reads back equal."""
    monkeypatch.setenv("LOGNAME", "ad\x07min " + "x" * 70)  # getpass.getuser's first choice
    monkeypatch.setattr(socket, "gethostname", lambda: "my laptop\x1b" + "h" * 70)
    now = dt.datetime(2026, 12, 7, 10, 0, 5, 123456, tzinfo=dt.UTC)
    holder = Holder.this_run(now)
    assert re.fullmatch(r"[0-9a-f]{12}", holder.run_id), holder.run_id
    assert holder.operator == ("ad?min " + "x" * 70)[:64]
    assert holder.host == ("my-laptop?" + "h" * 70)[:64]
    assert holder.since == dt.datetime(2026, 12, 7, 10, 0, 5, tzinfo=dt.UTC)
    assert Holder.read({"DisplayName": holder.label()}) == holder


def test_this_run_names_an_unknown_operator_when_there_is_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGNAME", "   ")  # blank once stripped
    assert Holder.this_run(SINCE).operator == "unknown"

    def no_login() -> str:
        raise OSError("No username set in the environment")  # a bare container

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert Holder.this_run(SINCE).operator == "unknown"


def _sent(sandbox: SandboxHandle) -> int:
    return len(_requests(sandbox, "Get-MailContact")) + len(
        _requests(sandbox, "Remove-MailContact")
    )


def test_a_release_leaves_a_lease_taken_meanwhile_to_its_new_holder(
    sandbox: SandboxHandle,
) -> None:
    """--force-unlock from another machine took the lease before this run's renewer noticed:
    the release reads the lease first and leaves the new holder's alone."""

    async def race(clients: list[ExchangeClient]) -> Lease:
        first, other = Lease(clients[0], SPEC), Lease(clients[1], SPEC)
        await first.acquire()
        await other.acquire(force_unlock=True)
        assert first.lost is None and first.held  # not renewed since: it does not know yet
        await first.release()
        return other

    other = _run(sandbox, race, n=2)
    [contact] = _contacts(sandbox)
    assert contact["DisplayName"] == other.holder.label()
    assert len(_requests(sandbox, "Remove-MailContact")) == 1  # --force-unlock's, no other


def test_a_release_by_a_run_that_lost_or_never_held_the_lease_sends_nothing(
    sandbox: SandboxHandle,
) -> None:
    """A run whose renewal found its lease taken, or that was refused it, has nothing to
    release: it neither reads nor removes the lease, which is someone else's."""

    async def race(clients: list[ExchangeClient]) -> tuple[int, int, Lease]:
        first, other = Lease(clients[0], SPEC), Lease(clients[1], SPEC)
        await first.acquire()
        await other.acquire(force_unlock=True)
        await first.renew()
        assert first.lost is not None and first.held
        before = await asyncio.to_thread(_sent, sandbox)
        await first.release()
        after_lost = await asyncio.to_thread(_sent, sandbox)
        refused = Lease(clients[0], SPEC)
        with pytest.raises(LeaseHeld):
            await refused.acquire()
        before_refused = await asyncio.to_thread(_sent, sandbox)
        await refused.release()
        after_refused = await asyncio.to_thread(_sent, sandbox)
        return after_lost - before, after_refused - before_refused, other

    lost_sent, refused_sent, other = _run(sandbox, race, n=2)
    assert (lost_sent, refused_sent) == (0, 0)
    [contact] = _contacts(sandbox)
    assert contact["DisplayName"] == other.holder.label()


def test_a_release_is_logged_with_the_lease_and_the_run(sandbox: SandboxHandle) -> None:
    async def hold(clients: list[ExchangeClient]) -> str:
        async with hold_lease(clients[0], SPEC) as lease:
            pass
        return lease.holder.run_id

    with capture_logs() as logs:
        run = _run(sandbox, hold)
    assert [e for e in logs if e["event"] == "lease.released"] == [
        {"event": "lease.released", "lease": NAME, "run": run, "log_level": "info"}
    ]
    assert _contacts(sandbox) == []


def test_a_lease_that_cannot_be_removed_is_named_with_the_way_out(sandbox: SandboxHandle) -> None:
    _fault(
        sandbox,
        {
            "kind": "error",
            "status": 403,
            "count": 1,
            "match": {"service": "exchange", "cmdlet": "Remove-MailContact"},
        },
    )
    notes: list[str] = []

    async def hold(clients: list[ExchangeClient]) -> str:
        async with hold_lease(clients[0], SPEC, notify=notes.append) as lease:
            pass
        return lease.holder.label()

    label = _run(sandbox, hold)
    assert notes[-1].startswith(f"warning: could not remove {WHERE} ("), notes
    assert notes[-1].endswith(
        "); the next apply will be refused until it is run with --force-unlock"
    ), notes
    assert [c["DisplayName"] for c in _contacts(sandbox)] == [label]
