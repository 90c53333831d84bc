"""Executor for `group.create` / `group.add_members`: the source's scope group and its members.

Why one Add-DistributionGroupMember call per member: Exchange has no bulk *add*. Its only bulk
form, Update-DistributionGroupMember -Members, *replaces* the whole membership — it would drop
members t2t does not own and race with other admins' changes. So t2t adds members one by one
(bounded concurrency), except when it creates the group, where New-DistributionGroup -Members
takes the whole list in one call.

A group made here may answer not-found to Add-DistributionGroupMember for a while
(replication.py); a lost answer is never re-sent — the member list is re-read instead, and if
it does not show the member the outcome is unknown (the next run adds it).
"""

from __future__ import annotations

import asyncio

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    lost_answer,
    read_one,
    settled,
    verified,
)
from t2t.apply.executors.registry import executes
from t2t.apply.executors.replication import exchange_not_replicated, send_replicated
from t2t.apply.result import ActionResult
from t2t.apply.waiting import reread
from t2t.clients import ClientError, ExchangeClient, TransportError
from t2t.clients.errors import ExchangeError
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.scope_groups import GroupDesire
from t2t.probes import exchange_objects as x
from t2t.state.exchange import MailGroup

#: Concurrent Add-DistributionGroupMember calls (Exchange throttles per app and tenant).
ADD_CONCURRENCY = 8


async def _group(exchange: ExchangeClient, name: str) -> MailGroup | None:
    return await read_one(exchange, "Get-DistributionGroup", name, x.parse_group)


async def _members(exchange: ExchangeClient, name: str) -> set[str]:
    out = await exchange.reader().invoke(
        "Get-DistributionGroupMember",
        {"Identity": name, "ResultSize": "Unlimited"},
        select=("PrimarySmtpAddress", "Identity"),
    )
    return {str(r.get("PrimarySmtpAddress") or r.get("Identity") or "").lower() for r in out.values}


@executes(K.GROUP_CREATE, K.GROUP_ADD_MEMBERS)
async def run_group(action: Action, ctx: ApplyContext) -> ActionResult:
    desire = GroupDesire.from_dict(action.desired)
    exchange = ctx.exchange["source"]
    result = ActionResult(id=action.id, status="done")
    wrote = False
    with settled(result):
        group = await _group(exchange, desire.name)
        fresh = group is None  # made here: member changes may meet replication
        if group is None:
            params: dict[str, object] = {"Name": desire.name, "Type": "Security"}
            if desire.description:  # the spec's owner marker (planner/shared/ownership.py)
                params["Description"] = list(desire.description)
            if desire.members:
                params["Members"] = list(desire.members)
            try:
                out = await exchange.invoke("New-DistributionGroup", params)
                result.request_ids.extend(out.request_ids)
                result.warnings.extend(out.warnings)
                wrote = True
            except ClientError as exc:  # created meanwhile (a lost answer)? else fail

                async def appeared() -> bool:
                    return await _group(exchange, desire.name) is not None

                # A lost answer may hide a group that exists: re-read while reads lag,
                # never send New-DistributionGroup twice.
                lost = isinstance(exc, TransportError)
                if not (await reread(ctx, appeared) if lost else await appeared()):
                    if lost:
                        raise lost_answer("New-DistributionGroup", exc, ctx) from exc
                    raise ExecutionFailed(str(exc)) from exc

            async def visible() -> bool:
                return await _group(exchange, desire.name) is not None

            await verified(ctx, visible, f"the new group {desire.name} to show")
            group = await _group(exchange, desire.name)
        if group is None or not group.is_security:
            raise ExecutionFailed(f"{desire.name} is not a mail-enabled security group (T2T-E221)")
        present = await _members(exchange, group.identity)
        missing = [m for m in desire.members if m.lower() not in present]
        limit = asyncio.Semaphore(ADD_CONCURRENCY)
        lost_adds: list[TransportError] = []

        identity = group.identity

        async def group_present() -> bool:
            return await _group(exchange, identity) is not None

        async def add(member: str) -> None:
            async with limit:
                try:
                    await send_replicated(
                        ctx,
                        lambda: exchange.invoke(
                            "Add-DistributionGroupMember",
                            # t2t runs app-only and is no manager of the group: Exchange
                            # refuses the change without the switch
                            # (Add-DistributionGroupMember.md).
                            {
                                "Identity": identity,
                                "Member": member,
                                "BypassSecurityGroupManagerCheck": True,
                            },
                        ),
                        not_replicated=exchange_not_replicated,
                        fresh=fresh,
                        present=group_present,
                    )
                except TransportError as exc:
                    lost_adds.append(exc)  # the member may have been added: re-read decides
                except ExchangeError as exc:
                    if not exc.exception_type.endswith("MemberAlreadyExistsException"):
                        raise

        await asyncio.gather(*(add(m) for m in missing))
        wrote = wrote or bool(missing)

        async def complete() -> bool:
            current = await _members(exchange, group.identity)
            return all(m.lower() in current for m in desire.members)

        if lost_adds and not await reread(ctx, complete):
            raise lost_answer("Add-DistributionGroupMember", lost_adds[0], ctx)
        await verified(ctx, complete, "every member to show")
        if not wrote:
            result.status, result.message = "noop", "already as desired"
        else:
            result.message = f"{desire.name}: group present, {len(missing)} members added"
    return result
