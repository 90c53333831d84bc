"""`mailuser.hold_for_migration` (T2T-E306's repair) against the sandbox over HTTPS: it sends
Set-MailUser -EnableLitigationHoldForMigration once, converges when Get-MailUser shows the
100 GB quota, is a noop the second time, and after a lost answer re-reads instead of sending
again."""

from __future__ import annotations

import asyncio
from typing import Any

from t2t.apply import ApplyContext
from t2t.apply.executors.mailuser import run_mailuser_hold_for_migration
from t2t.apply.result import ActionResult
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.planner.mailboxes.hold_for_migration import hold_action
from t2t.probes.targeted import read_recipient
from tests.conftest import SandboxHandle
from tests.real_clients import admin_identity
from tests.sandbox.exchange_setup import ok
from tests.sandbox.module_forms import secure

KAI = "kai@fabrikam.com"  # a MailUser of the default seed
HUNDRED_GB = "100 GB (107,374,182,400 bytes)"
MAILBOX = "admin@fabrikam.com"  # a UserMailbox of the default seed
NEW = "nils@fabrikam.com"  # a MailUser each test that needs it creates


def _desire(address: str) -> MailboxDesire:
    local = address.split("@", 1)[0]
    return MailboxDesire(
        source=f"{local}@contoso.com",
        target=address,
        upn=address,
        name=local,
        display_name=local.title(),
        target_delivery_domain=None,
        exchange_guid="00000000-0000-0000-0000-000000000000",
        archive_guid=None,
        x500s=(),
        source_addresses=(),
        external_email_address=f"{local}@contoso.com",
        usage_location=None,
        license_sku_ids=(),
    )


def _action(sandbox: SandboxHandle) -> Any:
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": KAI})
    d = _desire(KAI)

    async def current() -> Any:
        return await _with_target(sandbox, lambda ex: read_recipient(ex, KAI))

    recipient = asyncio.run(current())
    assert recipient is not None and recipient.guid == mu["Guid"].lower()
    return hold_action(d, recipient, (), ())


async def _with_target(sandbox: SandboxHandle, use: Any) -> Any:
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, "fabrikam")
    async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
        tgt = connect(http, hosts, ident)
        try:
            return await use(tgt.exchange)
        finally:
            tgt.tokens.close()


def _run(sandbox: SandboxHandle, action: Any) -> ActionResult:
    async def go(exchange: Any) -> ActionResult:
        ctx = ApplyContext(
            exchange={"target": exchange},
            graph={},
            verify_delays=(0.0, 0.2, 0.5),
            hosts=sandbox_hosts(sandbox.profile),
            tenant_ids={"target": sandbox.tenant("fabrikam")["tenantId"]},
        )
        return await run_mailuser_hold_for_migration(action, ctx)

    return asyncio.run(_with_target(sandbox, go))


def _sent(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests", params={"cmdlet": "Set-MailUser"}
    )
    r.raise_for_status()
    return [q["cmdletInput"]["Parameters"] for q in r.json()["requests"]]


def test_the_quota_is_raised_once_and_then_left_alone(sandbox: SandboxHandle) -> None:
    action = _action(sandbox)
    first = _run(sandbox, action)
    assert first.status == "done", first
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": KAI})
    assert (mu["RecoverableItemsQuota"], mu["LitigationHoldEnabled"]) == (HUNDRED_GB, True)
    assert _sent(sandbox) == [
        {"Identity": action.parameters["Identity"], "EnableLitigationHoldForMigration": True}
    ]
    again = _run(sandbox, action)
    assert again.status == "noop" and len(_sent(sandbox)) == 1


def test_a_lost_answer_is_re_read_not_sent_again(sandbox: SandboxHandle) -> None:
    action = _action(sandbox)
    rule = {"service": "exchange", "tenant": "fabrikam", "cmdlet": "Set-MailUser"}
    fault = {"kind": "drop", "count": 1, "afterHandling": True, "match": rule}
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=fault).raise_for_status()
    result = _run(sandbox, action)
    assert result.status in ("done", "noop"), result
    assert len(_sent(sandbox)) == 1
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": KAI})
    assert mu["RecoverableItemsQuota"] == HUNDRED_GB


def _hold(sandbox: SandboxHandle, address: str, *, seen: bool = True) -> Any:
    """The action the planner makes for ``address`` (``seen``: as read now; else planned while
    the MailUser did not exist yet, so this run creates it)."""

    async def current() -> Any:
        return await _with_target(sandbox, lambda ex: read_recipient(ex, address))

    return hold_action(_desire(address), asyncio.run(current()) if seen else None, (), ())


def _exchange_log(sandbox: SandboxHandle) -> list[tuple[str, int]]:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests")
    r.raise_for_status()
    return [(str(e["cmdlet"]), int(e["status"])) for e in r.json()["requests"]]


def _new_mail_user(sandbox: SandboxHandle, address: str) -> None:
    """A MailUser created now, whose first two Set-MailUser the replica refuses as not found
    (t2t/sandbox/replication.py)."""
    control = f"{sandbox.base_url}/_sandbox"
    sandbox.http.post(f"{control}/strictness", json={"replication": True}).raise_for_status()
    sandbox.http.post(f"{control}/replication", json={"refusals": 2}).raise_for_status()
    local = address.split("@", 1)[0]
    r = sandbox.invoke(
        "fabrikam",
        "New-MailUser",
        {
            "Name": local,
            "MicrosoftOnlineServicesID": address,
            "Password": secure(sandbox, "Pa55-word-never-logged"),
            "PrimarySmtpAddress": address,
            "ExternalEmailAddress": f"{local}@contoso.com",
        },
    )
    r.raise_for_status()


def test_the_write_is_named_in_the_result(sandbox: SandboxHandle) -> None:
    result = _run(sandbox, _action(sandbox))
    assert (result.status, result.message) == (
        "done",
        "Set-MailUser -EnableLitigationHoldForMigration verified",
    )


def test_a_target_that_does_not_exist_fails_naming_it(sandbox: SandboxHandle) -> None:
    result = _run(sandbox, _hold(sandbox, "nobody@fabrikam.com", seen=False))
    assert (result.status, result.message) == (
        "failed",
        "nobody@fabrikam.com does not exist in the target",
    )
    assert _sent(sandbox) == []


def test_a_target_that_is_a_mailbox_now_fails_saying_so(sandbox: SandboxHandle) -> None:
    [mbx] = ok(sandbox, "fabrikam", "Get-Mailbox", {"Identity": MAILBOX})
    result = _run(sandbox, _hold(sandbox, MAILBOX))
    assert (result.status, result.message) == (
        "failed",
        f"{MAILBOX} is a mailbox now: its quota is no longer a MailUser's",
    ), mbx["RecoverableItemsQuota"]
    assert _sent(sandbox) == []


def test_a_refusal_while_the_mailuser_replicates_is_sent_again_after_reading_it(
    sandbox: SandboxHandle,
) -> None:
    """The plan saw the new MailUser: each not-found is checked by reading it (by its address
    and UPN), and since the read shows it, Set-MailUser is sent again until accepted."""
    _new_mail_user(sandbox, NEW)
    action = _hold(sandbox, NEW)
    before = len(_exchange_log(sandbox))
    result = _run(sandbox, action)
    assert (result.status, result.message) == (
        "done",
        "Set-MailUser -EnableLitigationHoldForMigration verified",
    )
    log = _exchange_log(sandbox)[before:]
    sets = [i for i, (cmdlet, _) in enumerate(log) if cmdlet == "Set-MailUser"]
    assert [log[i][1] for i in sets] == [404, 404, 200], log
    assert log[sets[0] + 1][0] == "Get-MailUser", log


def test_a_refusal_on_a_mailuser_this_run_created_is_sent_again_without_reading_it(
    sandbox: SandboxHandle,
) -> None:
    _new_mail_user(sandbox, NEW)
    before = len(_exchange_log(sandbox))
    result = _run(sandbox, _hold(sandbox, NEW, seen=False))
    assert result.status == "done", result
    log = _exchange_log(sandbox)[before:]
    sets = [i for i, (cmdlet, _) in enumerate(log) if cmdlet == "Set-MailUser"]
    assert [log[i][1] for i in sets] == [404, 404, 200], log
    assert [c for c, _ in log[sets[0] : sets[-1]] if c != "Set-MailUser"] == [], log
