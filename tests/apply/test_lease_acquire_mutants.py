"""The apply lease's taking and keeping (t2t/apply/lease.py: Lease.acquire, renew, keep_renewed)
against the sandbox over HTTPS, in the corners tests/apply/test_lease.py leaves: a Ctrl-C while
the creation is answered leaves no lease, a lease not taken is neither held nor released, a
Name another recipient holds is given up after exactly three refusals, lost answers are given
up at the deadline, the refusal's text for a long foreign name and for a lease quiet for several
of its own (short) periods, the first renewal retried while the lease is not found, and the
log records an operator's support case reads. Timing constants (the lag delays, the deadline)
are shortened so nothing waits for real."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import structlog

import t2t.apply.lease as lease_module
from t2t.apply.lease import Holder, Lease, LeaseError, LeaseHeld, hold_lease
from t2t.clients import ExchangeClient
from tests.apply.test_lease import (
    NAME,
    SPEC,
    WHERE,
    _contacts,
    _fault,
    _plant,
    _requests,
    _run,
    _utc,
)
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import advance_clock


@pytest.fixture
def one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """No lag delays: a lease not found is read once."""
    monkeypatch.setattr(lease_module, "LAG_DELAYS", (0.0,))


@pytest.fixture
def quick(one_read: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """One read, a deadline of 2 s: the give-up paths in a second or two."""
    monkeypatch.setattr(lease_module, "DEFAULT_DEADLINE_SECONDS", 2.0)


def _held(sandbox: SandboxHandle) -> int:
    return len(sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()["held"])


async def _until(check: Any, what: str, tries: int = 500) -> None:
    for _ in range(tries):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never: {what}")


def _refuse_once(sandbox: SandboxHandle, cmdlet: str) -> None:
    """Exchange refuses the cmdlet's next call with a 400 (ExchangeError), once."""
    _fault(
        sandbox,
        {
            "kind": "error",
            "status": 400,
            "count": 1,
            "match": {"service": "exchange", "cmdlet": cmdlet},
        },
    )


def test_a_lease_not_taken_is_neither_held_nor_released(sandbox: SandboxHandle) -> None:
    """`held` says whether this run may have created the lease, and release() acts on it: a
    lease never taken, or refused, is False and its release touches nothing — neither the
    other run's lease nor a request to the tenant."""
    since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    _plant(sandbox, Holder("0123456789ab", "alice", "ci-runner-4", since).label())

    async def refused(clients: list[ExchangeClient]) -> list[object]:
        lease = Lease(clients[0], SPEC)
        seen: list[object] = [lease.held]
        await lease.release()  # never taken
        seen.append(len(_requests(sandbox, "Get-MailContact")))
        with pytest.raises(LeaseHeld):
            await lease.acquire()
        seen.append(lease.held)
        await lease.release()  # refused
        return seen

    assert _run(sandbox, refused) == [False, 0, False]
    assert len(_requests(sandbox, "Get-MailContact")) == 1  # acquire's own read, no release's
    assert _requests(sandbox, "Remove-MailContact") == []
    assert "0123456789ab" in _contacts(sandbox)[0]["DisplayName"]

    _refuse_once(sandbox, "New-MailContact")

    async def failed(clients: list[ExchangeClient]) -> object:
        lease = Lease(clients[0], SPEC)
        with pytest.raises(LeaseError):
            await lease.acquire()
        return lease.held

    assert _run(sandbox, failed) is False  # Exchange answered: not created


def test_ctrl_c_while_the_creation_is_answered_leaves_no_lease(sandbox: SandboxHandle) -> None:
    """Exchange created the lease but its answer had not come when Ctrl-C struck: the run
    cannot know it holds the lease, so it must count itself as holding it and remove it."""
    _fault(
        sandbox,
        {
            "kind": "hold",
            "afterHandling": True,
            "count": 1,
            "match": {"service": "exchange", "cmdlet": "New-MailContact"},
        },
    )

    async def interrupt(clients: list[ExchangeClient]) -> None:
        async def apply() -> None:
            async with hold_lease(clients[0], SPEC):
                raise AssertionError("the block must not start")

        task = asyncio.ensure_future(apply())
        await _until(lambda: _held(sandbox) == 1, "New-MailContact held")
        assert len(_contacts(sandbox)) == 1  # created, answer withheld
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    _run(sandbox, interrupt)
    assert _contacts(sandbox) == []
    assert [r["status"] for r in _requests(sandbox, "Remove-MailContact")] == [200]


def test_ctrl_c_while_the_new_lease_still_lags_removes_it_once_found(
    sandbox: SandboxHandle,
) -> None:
    """As above, and the replica serving the next calls does not hold the contact yet
    (README, C3): Remove-MailContact's not-found is asked again through the lag, never taken
    for a lease already gone — that would leave it behind, refusing every later apply."""
    for rule in (
        {"kind": "hold", "afterHandling": True, "count": 1},
        {"kind": "lag", "seconds": 1.5},
    ):
        _fault(sandbox, rule | {"match": {"service": "exchange", "cmdlet": "New-MailContact"}})

    async def interrupt(clients: list[ExchangeClient]) -> None:
        async def apply() -> None:
            async with hold_lease(clients[0], SPEC):
                raise AssertionError("the block must not start")

        task = asyncio.ensure_future(apply())
        await _until(lambda: _held(sandbox) == 1, "New-MailContact held")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    _run(sandbox, interrupt)
    advance_clock(sandbox, 10)  # past the lag: a lease left behind would show now
    assert _contacts(sandbox) == []
    removes = [r["status"] for r in _requests(sandbox, "Remove-MailContact")]
    assert removes[0] == 404 and removes[-1] == 200, removes  # hidden at first, then removed


@pytest.mark.usefixtures("one_read")  # the real deadline: three refusals end it, not time
def test_a_name_another_recipient_holds_is_given_up_after_three_refusals(
    sandbox: SandboxHandle,
) -> None:
    """A distribution group named like the lease: every creation is refused and no mail
    contact of that Name can be read. Three refusals, then the operator is told why."""
    r = sandbox.invoke("fabrikam", "New-DistributionGroup", {"Name": NAME})
    assert r.status_code == 200, r.text

    async def attempt(clients: list[ExchangeClient]) -> tuple[str, bool]:
        lease = Lease(clients[0], SPEC)
        with pytest.raises(LeaseError) as refused:
            await asyncio.wait_for(lease.acquire(), 20)
        return str(refused.value), lease.held

    message, held = _run(sandbox, attempt)
    assert message == (
        f"could not take {WHERE}: its Name is in use but no mail contact of that name can be "
        "read; another recipient may hold the Name"
    )
    assert held is False
    assert [r["status"] for r in _requests(sandbox, "New-MailContact")] == [400, 400, 400]
    assert _contacts(sandbox) == []


@pytest.mark.usefixtures("quick")
def test_answers_lost_until_the_deadline_are_given_up_with_a_clear_error(
    sandbox: SandboxHandle,
) -> None:
    """Every New-MailContact dropped before Exchange sees it: asked again (each time after
    reading that no lease exists) until the deadline, then the operator is told so."""
    _fault(sandbox, {"kind": "drop", "match": {"service": "exchange", "cmdlet": "New-MailContact"}})

    async def attempt(clients: list[ExchangeClient]) -> str:
        with pytest.raises(LeaseError) as refused:
            await asyncio.wait_for(Lease(clients[0], SPEC).acquire(), 20)
        return str(refused.value)

    assert _run(sandbox, attempt) == (
        f"could not take {WHERE}: every answer to its creation was lost for 2 s"
    )
    assert _contacts(sandbox) == []
    assert len(_requests(sandbox, "Get-MailContact")) >= 2  # asked again, not given up at once


def test_a_refusal_cuts_a_foreign_name_and_judges_staleness_by_this_runs_period(
    sandbox: SandboxHandle,
) -> None:
    """A foreign contact's DisplayName is shown to 100 characters; a lease not renewed for
    three of the renewal periods this run was given is called probably gone."""
    foreign = "Shared mailbox contact for the Fabrikam migration team, do not delete " * 3
    _plant(sandbox, foreign)

    async def attempt(clients: list[ExchangeClient], every: float) -> str:
        with pytest.raises(LeaseHeld) as refused:
            await Lease(clients[0], SPEC, renew_every=every).acquire()
        return str(refused.value)

    message = _run(sandbox, lambda c: attempt(c, 60.0))
    assert message.startswith(
        f"another apply holds {WHERE}: a mail contact t2t did not write ({foreign[:100]!r}). "
        "Wait for it to finish"
    )

    r = sandbox.invoke("fabrikam", "Remove-MailContact", {"Identity": NAME, "Confirm": False})
    assert r.status_code == 200, r.text
    since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    renewed = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=150)
    _plant(sandbox, Holder("0123456789ab", "alice", "ci-runner-4", since).label(), "")
    r = sandbox.invoke(
        "fabrikam",
        "Set-MailContact",
        {"Identity": NAME, "CustomAttribute1": f"renewed {_utc(renewed)}"},
    )
    assert r.status_code == 200, r.text
    message = _run(sandbox, lambda c: attempt(c, 20.0))
    assert (
        "last renewed 2 min ago — it renews every 20 s while it runs, so that run is probably "
        "gone. Wait for it to finish"
    ) in message


def test_the_first_renewal_waits_for_a_lease_not_found_yet(sandbox: SandboxHandle) -> None:
    """The first Set-MailContact comes moments after New-MailContact, and the replica that
    serves it may not hold the lease yet (wire-protocols.md §1.5): not found is asked again
    through the lag delays, not taken for a lease removed. Here the first Set-MailContact is
    held, the lease removed and, once that Set-MailContact was answered not found, made again
    with this run's label — what such a replica shows."""
    _fault(
        sandbox,
        {"kind": "hold", "count": 1, "match": {"service": "exchange", "cmdlet": "Set-MailContact"}},
    )
    notes: list[str] = []

    def statuses() -> list[int]:
        return [r["status"] for r in _requests(sandbox, "Set-MailContact")]

    async def hold(clients: list[ExchangeClient]) -> str | None:
        taken: list[Lease] = []
        done = asyncio.Event()

        async def apply() -> str | None:
            async with hold_lease(clients[0], SPEC, renew_every=30, notify=notes.append) as lease:
                taken.append(lease)
                await done.wait()
            return lease.lost

        task = asyncio.ensure_future(apply())
        await _until(lambda: _held(sandbox) == 1, "first Set-MailContact held")
        r = await asyncio.to_thread(
            sandbox.invoke, "fabrikam", "Remove-MailContact", {"Identity": NAME, "Confirm": False}
        )
        assert r.status_code == 200, r.text
        await asyncio.to_thread(sandbox.http.delete, f"{sandbox.base_url}/_sandbox/faults")
        await _until(lambda: 404 in statuses(), "Set-MailContact answered not found")
        r = await asyncio.to_thread(
            sandbox.invoke,
            "fabrikam",
            "New-MailContact",
            {
                "Name": NAME,
                "DisplayName": taken[0].holder.label(),
                "ExternalEmailAddress": f"{NAME}@t2t-lease.invalid",
            },
        )
        assert r.status_code == 200, r.text
        await _until(lambda: 200 in statuses() or task.done(), "Set-MailContact again")
        done.set()
        return await task

    assert _run(sandbox, hold) is None
    assert not any(n.startswith("error:") for n in notes), notes
    sets = _requests(sandbox, "Set-MailContact")
    assert sets[0]["status"] == 404 and sets[-1]["status"] == 200
    assert sets[-1]["cmdletInput"]["Parameters"]["HiddenFromAddressListsEnabled"] is True
    assert _contacts(sandbox) == []  # released after the block


@pytest.mark.usefixtures("one_read")
def test_a_lease_lagging_longer_than_the_delays_is_stamped_later_not_lost(
    sandbox: SandboxHandle,
) -> None:
    """The replica behind for longer than the lag delays (here: one read) when the first
    stamp comes: not found then is not a lease removed — the apply goes on and the stamp,
    hiding the contact from address lists, is written a period later once the lease shows."""
    _fault(
        sandbox,
        {
            "kind": "lag",
            "seconds": 30,
            "match": {"service": "exchange", "cmdlet": "New-MailContact"},
        },
    )
    notes: list[str] = []

    def statuses() -> list[int]:
        return [r["status"] for r in _requests(sandbox, "Set-MailContact")]

    async def hold(clients: list[ExchangeClient]) -> str | None:
        async with hold_lease(clients[0], SPEC, renew_every=0.2, notify=notes.append) as lease:
            await _until(lambda: statuses()[:2] == [404, 404], "two stamps not found")
            await asyncio.to_thread(advance_clock, sandbox, 31)
            await _until(lambda: 200 in statuses(), "the lease stamped once it shows")
        return lease.lost

    assert _run(sandbox, hold) is None
    assert not any(n.startswith("error:") for n in notes), notes
    sets = [r for r in _requests(sandbox, "Set-MailContact") if r["status"] == 200]
    assert sets[0]["cmdletInput"]["Parameters"]["HiddenFromAddressListsEnabled"] is True
    assert _contacts(sandbox) == []  # released after the block


def test_taking_the_lease_and_a_failed_renewal_are_logged(sandbox: SandboxHandle) -> None:
    """The log a support case reads: which lease was taken by which run, and a renewal that
    failed (and was tried again a period later), with Exchange's error."""
    _refuse_once(sandbox, "Set-MailContact")

    async def hold(clients: list[ExchangeClient]) -> Lease:
        async with hold_lease(clients[0], SPEC, renew_every=0.2) as lease:
            await _until(
                lambda: 200 in [r["status"] for r in _requests(sandbox, "Set-MailContact")],
                "a renewal after the failed one",
            )
        return lease

    with structlog.testing.capture_logs() as logs:
        lease = _run(sandbox, hold)
    assert lease.lost is None
    taken = [e for e in logs if e["event"] == "lease.taken"]
    assert taken == [
        {"event": "lease.taken", "lease": NAME, "run": lease.holder.run_id, "log_level": "info"}
    ]
    failed = [e for e in logs if e["event"] == "lease.renew_failed"]
    assert len(failed) == 1, logs
    assert set(failed[0]) == {"event", "lease", "error", "log_level"}
    assert failed[0]["lease"] == NAME and failed[0]["log_level"] == "warning"
    assert "Injected fault" in failed[0]["error"], failed[0]["error"]
