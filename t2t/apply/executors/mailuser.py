"""Executors for `mailuser.create` and `mailuser.set_identity`: re-read the one target object
(Get-MailUser -Identity, t2t/probes/targeted.py), plan it again, write, verify.

The password New-MailUser requires is generated here, registered with the log scrubber before
anything is sent, and exists nowhere else: not in the plan, a saved plan, a log line or the
output. Nobody signs in with it (the user gets its credentials in the target by the usual
route after the move).
"""

from __future__ import annotations

import asyncio
import secrets
import string

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import failure_message, verified
from t2t.apply.executors.registry import executes
from t2t.apply.executors.replication import (
    exchange_not_replicated,
    planned_absent,
    send_replicated,
)
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, ExchangeClient, TransportError
from t2t.clients.wire import add_remove, secure_string
from t2t.logs import register_secret, scrub
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.mailboxes import IdentityPlan, MailboxDesire, plan_identity
from t2t.probes.targeted import read_recipient


class ExecutionFailed(Exception):
    pass


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


async def _replan(exchange: ExchangeClient, d: MailboxDesire) -> IdentityPlan:
    current = await read_recipient(exchange, d.target)
    if current is None and d.upn.lower() != d.target.lower():
        current = await read_recipient(exchange, d.upn)
    return plan_identity(d, current, None)


def _refuse(plan: IdentityPlan) -> None:
    if plan.blocked:
        raise ExecutionFailed(f"blocked by {', '.join(plan.blocked)} (re-read just now)")


async def _verify(
    exchange: ExchangeClient, d: MailboxDesire, ctx: ApplyContext, done: str, what: str
) -> str:
    for delay in ctx.verify_delays:
        await asyncio.sleep(delay)
        plan = await _replan(exchange, d)
        if done == "create" and plan.create is None:
            return f"{what} verified"
        if done == "identity" and plan.set_params is None and plan.create is None:
            return f"{what} verified"
    raise ExecutionFailed(f"{what} returned but the change is not visible")


@executes(K.MAILUSER_CREATE)
async def run_mailuser_create(action: Action, ctx: ApplyContext) -> ActionResult:
    d = MailboxDesire.from_dict(action.desired)
    exchange = ctx.exchange[action.tenant]
    result = ActionResult(id=action.id, status="done")
    try:
        plan = await _replan(exchange, d)
        if plan.state != "absent":
            if plan.state in ("foreign-mailbox", "dir-synced"):
                _refuse(plan)
            result.status = "noop"
            result.message = f"the target object exists ({plan.state})"
            return result
        assert plan.create is not None
        password = generate_password()
        register_secret(password)  # masked in every log line from here on
        try:
            # A SecureString: encrypted under the tenant's module key by the client (wire.py).
            out = await exchange.invoke(
                "New-MailUser", {**plan.create, "Password": secure_string(password)}
            )
        except ClientError as exc:
            # Created meanwhile, or the answer was lost after Exchange acted: re-read (while
            # reads lag, for a lost answer), never send New-MailUser twice.
            async def created() -> bool:
                return (await _replan(exchange, d)).create is None

            lost = isinstance(exc, TransportError)
            if await (verified(ctx, created) if lost else created()):
                result.message = f"already created after {scrub(str(exc))}"
                return result
            raise ExecutionFailed(str(exc)) from exc
        finally:
            del password
        result.warnings.extend(out.warnings)
        result.request_ids.extend(out.request_ids)
        result.message = await _verify(exchange, d, ctx, "create", "New-MailUser")
        return result
    except (ExecutionFailed, ClientError) as exc:
        result.status = "failed"
        result.message = failure_message(exc)
        return result


def wire_parameters(params: dict[str, object]) -> dict[str, object]:
    """Set-MailUser parameters as sent: EmailAddresses as Exchange's add/remove hashtable."""
    out = dict(params)
    addresses = out.get("EmailAddresses")
    if isinstance(addresses, dict):
        out["EmailAddresses"] = add_remove(add=list(addresses.get("add") or ()))
    return out


async def _exists(exchange: ExchangeClient, d: MailboxDesire) -> bool:
    return (await _replan(exchange, d)).create is None


async def stamp(
    exchange: ExchangeClient, d: MailboxDesire, ctx: ApplyContext, *, fresh: bool = False
) -> ActionResult:
    """Re-plan the identity and send only what is still missing; verify. Shared with the
    licence executor, which re-stamps proxies that licensing scrubbed.

    ``fresh``: this run created the MailUser, so Set-MailUser may answer not-found while it
    replicates (replication.py) and is sent again; a lost answer is re-read, never re-sent."""
    result = ActionResult(id="", status="done")
    plan = await _replan(exchange, d)
    if plan.create is not None:
        raise ExecutionFailed(f"{d.target} does not exist in the target")
    _refuse(plan)
    if plan.set_params is None:
        result.status = "noop"
        result.message = "already as desired"
        return result
    params = wire_parameters(plan.set_params)
    try:
        out = await send_replicated(
            ctx,
            lambda: exchange.invoke("Set-MailUser", params),
            not_replicated=exchange_not_replicated,
            fresh=fresh,
            present=lambda: _exists(exchange, d),
        )
    except TransportError as exc:
        try:
            result.message = await _verify(exchange, d, ctx, "identity", "Set-MailUser")
        except ExecutionFailed:
            raise ExecutionFailed(f"{exc}; the change is not visible: run apply again") from exc
        return result
    result.warnings.extend(out.warnings)
    result.request_ids.extend(out.request_ids)
    result.message = await _verify(exchange, d, ctx, "identity", "Set-MailUser")
    return result


@executes(K.MAILUSER_SET_IDENTITY)
async def run_mailuser_identity(action: Action, ctx: ApplyContext) -> ActionResult:
    d = MailboxDesire.from_dict(action.desired)
    try:
        result = await stamp(ctx.exchange[action.tenant], d, ctx, fresh=planned_absent(action))
    except (ExecutionFailed, ClientError) as exc:
        return ActionResult(id=action.id, status="failed", message=failure_message(exc))
    result.id = action.id
    return result
