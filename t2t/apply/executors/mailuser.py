"""Executors for `mailuser.create`, `mailuser.set_identity` and `mailuser.hold_for_migration`:
re-read the one target object (by its address or UPN, in the tenant's bulk re-read:
t2t/apply/recipient_reads.py), plan it again, write, verify.

The password New-MailUser requires is generated here, registered with the log scrubber before
anything is sent, and exists nowhere else: not in the plan, a saved plan, a log line or the
output. Nobody signs in with it (the user gets its credentials in the target by the usual
route after the move).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Awaitable, Callable

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Replan, Write, converge
from t2t.apply.executors.registry import executes
from t2t.apply.executors.replication import (
    exchange_not_replicated,
    planned_absent,
    send_replicated,
)
from t2t.apply.recipient_reads import RecipientReads
from t2t.apply.result import ActionResult
from t2t.clients import CmdletResult
from t2t.clients.wire import add_remove, secure_string
from t2t.logs import register_secret
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.actions import Role
from t2t.planner.mailboxes import IdentityPlan, MailboxDesire, plan_identity
from t2t.planner.mailboxes.hold_for_migration import HoldDesire


def generate_password() -> str:
    """24 random characters with every class Entra's complexity rule asks for."""
    alphabet = string.ascii_letters + string.digits + "!#%+-.=?_"
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(24))
        if (
            any(c.islower() for c in value)
            and any(c.isupper() for c in value)
            and any(c.isdigit() for c in value)
            and any(not c.isalnum() for c in value)
        ):
            return value


async def _replan(reads: RecipientReads, d: MailboxDesire) -> IdentityPlan:
    return plan_identity(d, await reads.read_either(d.target, d.upn), None)


def _refuse(plan: IdentityPlan) -> None:
    if plan.blocked:
        raise ExecutionFailed(f"blocked by {', '.join(plan.blocked)} (re-read just now)")


@executes(K.MAILUSER_CREATE)
async def run_mailuser_create(action: Action, ctx: ApplyContext) -> ActionResult:
    d = MailboxDesire.from_dict(action.desired)
    exchange = ctx.exchange[action.tenant]
    reads = ctx.recipient_reads(action.tenant)

    async def replan() -> Write | None:
        plan = await _replan(reads, d)
        if plan.state != "absent":
            if plan.state in ("foreign-mailbox", "dir-synced"):
                _refuse(plan)
            return None
        assert plan.create is not None
        create = plan.create

        async def send() -> CmdletResult:
            password = generate_password()
            register_secret(password)  # masked in every log line from here on
            # A SecureString: encrypted under the tenant's module key by the client (wire.py).
            return await exchange.invoke(
                "New-MailUser", {**create, "Password": secure_string(password)}
            )

        return Write("New-MailUser", send)

    return await converge(action, ctx, replan)


def wire_parameters(params: dict[str, object]) -> dict[str, object]:
    """Set-MailUser parameters as sent: EmailAddresses as Exchange's add/remove hashtable."""
    out = dict(params)
    addresses = out.get("EmailAddresses")
    if isinstance(addresses, dict):
        out["EmailAddresses"] = add_remove(add=list(addresses.get("add") or ()))
    return out


def _set_mail_user(
    ctx: ApplyContext,
    role: Role,
    what: str,
    params: dict[str, object],
    *,
    fresh: bool,
    present: Callable[[], Awaitable[bool]],
) -> Write:
    """Set-MailUser, sent again while a MailUser this run created still replicates
    (replication.py): `present` tells a lost answer from a not-yet-visible object."""
    exchange = ctx.exchange[role]
    return Write(
        what,
        lambda: send_replicated(
            ctx,
            lambda: exchange.invoke("Set-MailUser", params),
            not_replicated=exchange_not_replicated,
            fresh=fresh,
            present=present,
        ),
    )


async def _exists(reads: RecipientReads, d: MailboxDesire) -> bool:
    return (await _replan(reads, d)).create is None


def identity_replan(
    ctx: ApplyContext, role: Role, d: MailboxDesire, *, fresh: bool = False
) -> Replan:
    """Re-plan the identity and send only what is still missing. Shared with the licence
    executor, which re-stamps proxies that licensing scrubbed.

    ``fresh``: this run created the MailUser, so Set-MailUser may answer not-found while it
    replicates (replication.py) and is sent again; a lost answer is re-read, never re-sent."""

    reads = ctx.recipient_reads(role)

    async def replan() -> Write | None:
        plan = await _replan(reads, d)
        if plan.create is not None:
            raise ExecutionFailed(f"{d.target} does not exist in the target")
        _refuse(plan)
        if plan.set_params is None:
            return None
        params = wire_parameters(plan.set_params)
        return _set_mail_user(
            ctx, role, "Set-MailUser", params, fresh=fresh, present=lambda: _exists(reads, d)
        )

    return replan


@executes(K.MAILUSER_SET_IDENTITY)
async def run_mailuser_identity(action: Action, ctx: ApplyContext) -> ActionResult:
    d = MailboxDesire.from_dict(action.desired)
    return await converge(
        action, ctx, identity_replan(ctx, action.tenant, d, fresh=planned_absent(action))
    )


@executes(K.MAILUSER_HOLD_FOR_MIGRATION)
async def run_mailuser_hold_for_migration(action: Action, ctx: ApplyContext) -> ActionResult:
    """Set-MailUser -EnableLitigationHoldForMigration until Get-MailUser shows the quota the
    action wants (100 GB: the Set-MailUser reference; T2T-E306's repair)."""
    desire = HoldDesire.from_dict(action.desired)
    target, upn, wanted = desire.target, desire.upn, desire.recoverable_items_quota
    reads = ctx.recipient_reads(action.tenant)

    async def replan() -> Write | None:
        current = await reads.read_either(target, upn)
        if current is None:
            raise ExecutionFailed(f"{target} does not exist in the target")
        if (current.recoverable_items_quota_bytes or 0) >= wanted:
            return None
        if current.is_mailbox:
            raise ExecutionFailed(f"{target} is a mailbox now: its quota is no longer a MailUser's")
        params = {
            "Identity": current.guid or current.identity,
            "EnableLitigationHoldForMigration": True,
        }

        async def present() -> bool:
            return await reads.read_either(target, upn) is not None

        return _set_mail_user(
            ctx,
            action.tenant,
            "Set-MailUser -EnableLitigationHoldForMigration",
            params,
            fresh=planned_absent(action),
            present=present,
        )

    return await converge(action, ctx, replan)
