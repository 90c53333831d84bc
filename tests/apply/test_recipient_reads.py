"""The apply's coalesced re-reads of recipients by name (t2t/apply/recipient_reads.py) against
the sandbox over real HTTPS: reads that arrive together leave as one Get-MailUser -Filter and,
for the names no mail user holds, one Get-Mailbox -Filter; each caller gets what
`read_recipient` (-Identity) gives for its name; a read made while another is in flight is
sent in a request of its own, never answered by the one that left before it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from t2t.apply.recipient_reads import NAMES_PER_READ, RecipientReads
from t2t.clients import deadline
from t2t.clients.errors import DeadlineReached
from t2t.probes.targeted import read_recipient
from t2t.state.exchange import Recipient
from tests.conftest import SandboxHandle
from tests.real_clients import with_clients
from tests.sandbox.exchange_setup import ok
from tests.sandbox.module_forms import secure

HOLD_GET_MAILUSER = {
    "kind": "hold",
    "count": 1,
    "match": {"service": "exchange", "cmdlet": "Get-MailUser"},
}


def _reads(sandbox: SandboxHandle) -> dict[str, int]:
    by = sandbox.stats()["byCmdlet"]
    return {c: by.get(c, 0) for c in ("Get-MailUser", "Get-Mailbox")}


def _run(
    sandbox: SandboxHandle,
    tenant: str,
    use: Callable[[RecipientReads, Any], Awaitable[Any]],
    **kw: Any,
) -> Any:
    """`use(reads, exchange)` on the tenant's real Exchange client (token fetched first)."""
    return with_clients(
        sandbox,
        tenant,
        "exchange",
        lambda clients: use(RecipientReads(clients.exchange, **kw), clients.exchange),
    )


def _key(r: Recipient | None) -> tuple[str, str, bool] | None:
    return None if r is None else (r.identity, r.guid, r.is_mailbox)


def test_concurrent_reads_leave_as_one_filter_per_cmdlet_and_answer_as_identity_reads(
    sandbox: SandboxHandle,
) -> None:
    ok(
        sandbox,
        "contoso",
        "New-MailUser",
        {
            "Name": "Guest O'Hara",
            "MicrosoftOnlineServicesID": "o'hara@contoso.com",
            "Password": secure(sandbox, "Pa55word!x"),
            "PrimarySmtpAddress": "o'hara@contoso.com",
            "ExternalEmailAddress": "ohara@example.com",
        },
    )
    names = [
        "debra@contoso.com",  # a mailbox, by its primary address
        "ALEX@contoso.onmicrosoft.com",  # a mailbox, by a secondary address, any case
        "Megan Bowen",  # a mailbox, by its name
        "o'hara@contoso.com",  # a mail user whose address needs its quote doubled
        "Guest O'Hara",
        "nobody@contoso.com",  # absent
        "debra@contoso.com",  # the same name twice
    ]
    before = _reads(sandbox)

    async def use(reads: RecipientReads, exchange: Any) -> Any:
        bulk = await asyncio.gather(*(reads.read(n) for n in names))
        counted = await asyncio.to_thread(_reads, sandbox)
        alone = [await read_recipient(exchange.reader(), n) for n in names]
        return bulk, counted, alone

    bulk, counted, alone = _run(sandbox, "contoso", use)
    assert {c: counted[c] - before[c] for c in counted} == {"Get-MailUser": 1, "Get-Mailbox": 1}
    assert [_key(r) for r in bulk] == [_key(r) for r in alone]
    assert [_key(r) is not None for r in bulk] == [True, True, True, True, True, False, True]
    assert bulk[3] is not None and not bulk[3].is_mailbox and bulk[0] is not None


def test_more_names_than_one_filter_holds_leave_in_several(sandbox: SandboxHandle) -> None:
    mailboxes = [
        r["PrimarySmtpAddress"]
        for r in ok(sandbox, "contoso", "Get-Mailbox", {"ResultSize": "Unlimited"})
    ][: NAMES_PER_READ + 5]
    assert len(mailboxes) == NAMES_PER_READ + 5
    before = _reads(sandbox)

    async def use(reads: RecipientReads, exchange: Any) -> Any:
        return await asyncio.gather(*(reads.read(n) for n in mailboxes))

    found = _run(sandbox, "contoso", use)
    assert [r.primary_smtp_address if r else None for r in found] == mailboxes
    after = _reads(sandbox)
    # mail users first, then mailboxes, each in two filters (20 names, then 5)
    assert {c: after[c] - before[c] for c in after} == {"Get-MailUser": 2, "Get-Mailbox": 2}


def test_a_read_made_while_another_is_in_flight_is_sent_on_its_own(
    sandbox: SandboxHandle,
) -> None:
    """The first read's Get-MailUser is held (it left before the mail user existed); the mail
    user is created; a second read of the same name is answered by a request of its own,
    while the first is still held — what a verify after a write needs."""
    sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/faults", json=HOLD_GET_MAILUSER
    ).raise_for_status()
    seen: dict[str, Any] = {}

    def held() -> int:
        return len(sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()["held"])

    def create() -> None:
        ok(
            sandbox,
            "fabrikam",
            "New-MailUser",
            {
                "Name": "fresh",
                "MicrosoftOnlineServicesID": "fresh@fabrikam.com",
                "Password": secure(sandbox, "Pa55word!x"),
                "PrimarySmtpAddress": "fresh@fabrikam.com",
                "ExternalEmailAddress": "fresh@contoso.com",
            },
        )

    async def use(reads: RecipientReads, exchange: Any) -> None:
        first = asyncio.ensure_future(reads.read("fresh@fabrikam.com"))
        for _ in range(500):
            if await asyncio.to_thread(held):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the first Get-MailUser was not held")
        await asyncio.to_thread(create)
        second = await asyncio.wait_for(reads.read("fresh@fabrikam.com"), 30)
        seen["second"] = second.identity if second else None
        seen["first done"] = first.done()
        sandbox.http.delete(f"{sandbox.base_url}/_sandbox/faults").raise_for_status()
        await asyncio.wait_for(first, 30)

    _run(sandbox, "fabrikam", use, in_flight=1, max_wait=0.3)
    assert seen == {"second": "fresh", "first done": False}


def _last_get_mailuser_identity(sandbox: SandboxHandle) -> Any:
    """The -Identity of the last Get-MailUser the sandbox received (None without one)."""
    requests = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests", params={"cmdlet": "Get-MailUser"}
    ).json()["requests"]
    return requests[-1]["cmdletInput"]["Parameters"].get("Identity")


def test_a_name_no_filter_can_quote_is_read_alone_by_identity(sandbox: SandboxHandle) -> None:
    before = _reads(sandbox)

    async def use(reads: RecipientReads, exchange: Any) -> Any:
        return await reads.read("debra\u2019s@contoso.com")

    assert _run(sandbox, "contoso", use) is None
    after = _reads(sandbox)
    # -Identity: Get-MailUser, then Get-Mailbox, both not found
    assert {c: after[c] - before[c] for c in after} == {"Get-MailUser": 1, "Get-Mailbox": 1}
    assert _last_get_mailuser_identity(sandbox) == "debra\u2019s@contoso.com"


def test_read_either_answers_by_the_first_name_else_by_the_second(sandbox: SandboxHandle) -> None:
    """A target address no recipient holds yet falls back to the UPN's recipient (and the
    first name's recipient wins when both hold one), both names asked in one bulk read."""
    before = _reads(sandbox)

    async def use(reads: RecipientReads, exchange: Any) -> Any:
        got = await asyncio.gather(
            reads.read_either("nobody@contoso.com", "debra@contoso.com"),
            reads.read_either("Megan Bowen", "debra@contoso.com"),
            reads.read_either("nobody@contoso.com", "none@contoso.com"),
        )
        counted = await asyncio.to_thread(_reads, sandbox)
        megan = await read_recipient(exchange.reader(), "Megan Bowen")
        return got, counted, megan

    (fallback, first, neither), after, megan = _run(sandbox, "contoso", use)
    assert fallback is not None and fallback.primary_smtp_address == "debra@contoso.com"
    assert megan is not None and megan.primary_smtp_address != "debra@contoso.com"
    assert _key(first) == _key(megan)
    assert neither is None
    assert {c: after[c] - before[c] for c in after} == {"Get-MailUser": 1, "Get-Mailbox": 1}


def test_read_either_of_one_name_in_two_cases_reads_it_once(sandbox: SandboxHandle) -> None:
    """Names differing only in case are one name: a name read alone (-Identity) is read once,
    not once per spelling."""
    before = _reads(sandbox)

    async def use(reads: RecipientReads, exchange: Any) -> Any:
        return await reads.read_either("debra\u2019s@contoso.com", "DEBRA\u2019S@contoso.com")

    assert _run(sandbox, "contoso", use) is None
    after = _reads(sandbox)
    assert {c: after[c] - before[c] for c in after} == {"Get-MailUser": 1, "Get-Mailbox": 1}
    assert _last_get_mailuser_identity(sandbox) == "debra\u2019s@contoso.com"


def test_a_failing_bulk_read_fails_every_caller_by_their_deadline(sandbox: SandboxHandle) -> None:
    """Get-MailUser answers 503 until the fault is lifted: each caller of the bulk read gets
    the failure (unknown, never "absent") when its own deadline comes, not the default
    request bound of minutes."""
    sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={
            "kind": "error",
            "status": 503,
            "match": {"service": "exchange", "cmdlet": "Get-MailUser"},
        },
    ).raise_for_status()

    async def one(reads: RecipientReads, name: str) -> Any:
        with deadline.within(1.0):
            return await reads.read(name)

    async def use(reads: RecipientReads, exchange: Any) -> Any:
        return await asyncio.wait_for(
            asyncio.gather(
                one(reads, "debra@contoso.com"),
                one(reads, "Megan Bowen"),
                return_exceptions=True,
            ),
            10,
        )

    try:
        got = _run(sandbox, "contoso", use)
    finally:
        sandbox.http.delete(f"{sandbox.base_url}/_sandbox/faults").raise_for_status()
    assert [type(g) for g in got] == [DeadlineReached, DeadlineReached], got
    assert sandbox.stats()["byCmdlet"].get("Get-Mailbox", 0) == 0
