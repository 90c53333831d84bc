"""`mailuser.create` run for several mailboxes at once against the sandbox over HTTPS: their
re-reads before writing leave together (one Get-MailUser -Filter, one Get-Mailbox -Filter for
the names not found, t2t/apply/recipient_reads.py), and each still sees the target as it is at
apply time — a MailUser someone else created after the plan is left alone (noop), a mailbox
that holds the address blocks (T2T-E310), an absent one is created and verified."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from t2t.apply import ApplyContext
from t2t.apply.executors.mailuser import run_mailuser_create
from t2t.apply.result import ActionResult
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.planner import Action
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.planner.mailboxes.identity import plan_identity
from tests.conftest import SandboxHandle
from tests.real_clients import admin_identity
from tests.sandbox.exchange_setup import ok
from tests.sandbox.module_forms import secure


def _desire(local: str) -> MailboxDesire:
    return MailboxDesire(
        source=f"{local}@contoso.com",
        target=f"{local}@fabrikam.com",
        upn=f"{local}@fabrikam.onmicrosoft.com",
        name=local,
        display_name=local.title(),
        target_delivery_domain=None,
        exchange_guid="3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        archive_guid=None,
        x500s=(),
        source_addresses=(f"{local}@contoso.com",),
        external_email_address=f"{local}@contoso.com",
        usage_location=None,
        license_sku_ids=(),
    )


def _create(d: MailboxDesire) -> Action:
    """The action a plan that saw the target absent holds."""
    plan = plan_identity(d, None, None)
    assert plan.create is not None
    return Action(
        id=f"target:mailuser.create:{d.key}",
        tenant="target",
        kind="mailuser.create",
        key=d.key,
        operation="create",
        cmdlet="New-MailUser",
        parameters=plan.create,
        desired=d.to_dict(),
        observed=None,
        fingerprint="x",
    )


def _run_all(
    sandbox: SandboxHandle,
    actions: list[Action],
    executor: Callable[[Action, ApplyContext], Awaitable[ActionResult]] = run_mailuser_create,
) -> list[ActionResult]:
    """Run `executor` on every action at once, as the runner would, against the target."""
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, "fabrikam")

    async def go() -> list[ActionResult]:
        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            tgt = connect(http, hosts, ident)
            try:
                ctx = ApplyContext(
                    exchange={"target": tgt.exchange},
                    verify_delays=(0.0, 0.2, 0.5, 1.0),
                    hosts=hosts,
                    tenant_ids={"target": ident.tenant_id},
                    deadline_seconds=60.0,
                )
                return list(await asyncio.gather(*(executor(a, ctx) for a in actions)))
            finally:
                tgt.tokens.close()

    return asyncio.run(go())


def _sent(sandbox: SandboxHandle) -> list[tuple[str, set[str] | None]]:
    """Every InvokeCommand call: its cmdlet and, for a read, the names its filter holds
    (None: no filter)."""
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests")
    r.raise_for_status()
    out: list[tuple[str, set[str] | None]] = []
    for q in r.json()["requests"]:
        text = q["cmdletInput"]["Parameters"].get("Filter")
        out.append((q["cmdlet"], None if text is None else set(re.findall(r"-eq '([^']*)'", text))))
    return out


def test_concurrent_creates_reread_together_and_see_the_target_as_it_is_now(
    sandbox: SandboxHandle,
) -> None:
    fresh, late, taken = _desire("nora"), _desire("oscar"), _desire("miriam")
    actions = [_create(d) for d in (fresh, late, taken)]  # planned: all three absent
    # after the plan, someone else creates oscar's MailUser; miriam@fabrikam.com is a mailbox
    ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": "oscar-by-hand",
            "MicrosoftOnlineServicesID": "oscar.hand@fabrikam.com",
            "Password": secure(sandbox, "Pa55word!x"),
            "PrimarySmtpAddress": late.target,
            "ExternalEmailAddress": late.external_email_address,
        },
    )
    sandbox.http.delete(f"{sandbox.base_url}/_sandbox/exchange/requests").raise_for_status()

    results = _run_all(sandbox, actions)
    sent = _sent(sandbox)

    by_key = {r.id.rsplit(":", 1)[1]: r for r in results}
    assert by_key[fresh.key].status == "done", by_key[fresh.key]
    assert by_key[fresh.key].message == "New-MailUser verified"
    assert (by_key[late.key].status, by_key[late.key].message) == ("noop", "already as desired")
    assert by_key[taken.key].status == "failed"
    assert "T2T-E310" in by_key[taken.key].message
    [nora] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": fresh.target})
    assert nora["UserPrincipalName"] == fresh.upn
    everyone = {n for d in (fresh, late, taken) for n in (d.target, d.upn)}
    assert sent == [
        ("Get-MailUser", everyone),  # the three re-reads before writing, in one read
        ("Get-Mailbox", everyone - {late.target}),  # the names no mail user holds
        ("New-MailUser", None),  # nora's only
        ("Get-MailUser", {fresh.target, fresh.upn}),  # its verify, a read after the write
    ]
