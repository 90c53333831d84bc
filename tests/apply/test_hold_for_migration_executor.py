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

KAI = "kai@fabrikam.com"  # a MailUser of the default seed
HUNDRED_GB = "100 GB (107,374,182,400 bytes)"


def _action(sandbox: SandboxHandle) -> Any:
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": KAI})
    d = MailboxDesire(
        source="kai@contoso.com",
        target=KAI,
        upn=KAI,
        name="kai",
        display_name="Kai",
        target_delivery_domain=None,
        exchange_guid="00000000-0000-0000-0000-000000000000",
        archive_guid=None,
        x500s=(),
        source_addresses=(),
        external_email_address="kai@contoso.com",
        usage_location=None,
        license_sku_ids=(),
    )

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
