"""Gather both tenants concurrently into one Snapshot, through read-only clients only.

Only the parts a caller asks for are read (the planner says which it needs), each in bulk:
one paged collection per object type, never one call per mailbox where Microsoft offers a
bulk form (lessons-from-peers.md §1: Microsoft365DSC's per-instance reads took hours).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection
from dataclasses import dataclass, replace
from typing import Any

from t2t.clients import ClientError, ExchangeClient, GraphClient, ObjectNotFound
from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.probes.endpoints import read_endpoints
from t2t.probes.migration_app import (
    pick_app,
    read_applications,
    read_assignments,
    read_service_principals,
)
from t2t.probes.organization import read_organization
from t2t.probes.readers import cmdlet_fact, graph_fact
from t2t.probes.relationships import read_relationships
from t2t.state import Fact, Role, Snapshot, TenantState
from t2t.state.model import EXCHANGE_WID

#: Office 365 Exchange Online, the resource that owns Mailbox.Migration (microsoft-t2t.md §2).
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"

SOURCE_PARTS = frozenset(
    {
        "organization",
        "relationships",
        "groups",
        "group_members",
        "recipients",
        "statistics",
        "service_principals",
        "app_role_assignments",
    }
)
TARGET_PARTS = frozenset(
    {
        "organization",
        "relationships",
        "accepted_domains",
        "domains",
        "skus",
        "applications",
        "service_principals",
        "app_role_assignments",
        "endpoints",
        "users",
        "recipients",
        "batches",
        "migration_users",
    }
)


@dataclass(frozen=True)
class ProbeRequest:
    """What to read: the parts per tenant and the few keys the spec names."""

    source_tenant_id: str
    target_tenant_id: str
    source_parts: Collection[str] = frozenset({"organization", "relationships"})
    target_parts: Collection[str] = frozenset({"organization", "relationships"})
    app_id: str | None = None
    app_display_name: str | None = None
    app_unique_name: str | None = None  # t2t's marker on an app it registers (by displayName)
    scope_groups: tuple[str, ...] = ()
    endpoint_name: str | None = None  # the spec's endpoint: its credential is tested
    source_mailboxes: tuple[str, ...] = ()  # the spec's source addresses (statistics only)


#: Concurrent per-mailbox Get-MailboxStatistics calls (one tenant; Exchange throttles per app).
STATISTICS_CONCURRENCY = 8


async def _statistics(
    exchange: ExchangeClient, recipients: Awaitable[Fact[Any]], wanted: tuple[str, ...]
) -> Fact[Any]:
    """Get-MailboxStatistics for the spec's source mailboxes only, one call each.

    Why per mailbox: the cmdlet has no bulk form — it takes one -Identity (or -Database/-Server,
    which Exchange Online does not offer) and its sizes are on no bulk cmdlet (Get-Mailbox
    carries quotas, not sizes; microsoft-t2t.md §10.2 check 7 reads TotalDeletedItemSize from
    it). So only the mailboxes the plan compares are read: declared in the spec, present in the
    source as user mailboxes (a moved one is a MailUser and needs no check), concurrently
    within a small bound. An address that is no longer a mailbox by then is skipped.
    """
    fact = await recipients
    if fact.status != "present" or not wanted:
        return (
            Fact.present(())
            if fact.status == "present"
            else Fact.unknown(f"source recipients unreadable: {fact.reason}")
        )
    index: dict[str, Any] = {}
    for r in fact.get():
        if r.recipient_type_details == "UserMailbox":
            for address in (r.primary_smtp_address, *r.smtp_addresses):
                index[address.lower()] = r
    targets = {
        index[a.lower()].exchange_guid: index[a.lower()] for a in wanted if a.lower() in index
    }
    limit = asyncio.Semaphore(STATISTICS_CONCURRENCY)

    async def one(r: Any) -> Any:
        async with limit:
            try:
                result = await exchange.invoke(
                    "Get-MailboxStatistics",
                    {"Identity": r.primary_smtp_address},
                    select=("MailboxGuid", "Identity", "TotalItemSize", "TotalDeletedItemSize"),
                )
            except ObjectNotFound:
                return None
            return [x.parse_statistics(v) for v in result.values]

    try:
        results = await asyncio.gather(*(one(r) for r in targets.values()))
    except ClientError as exc:
        return Fact.unknown(f"Get-MailboxStatistics failed: {exc}")
    return Fact.present(tuple(s for found in results if found for s in found))


async def _scope_groups(exchange: ExchangeClient, names: tuple[str, ...]) -> Fact[Any]:
    """Per group (a spec names one to a few): Get-DistributionGroup -Identity."""
    found: list[Any] = []
    for name in names:
        try:
            result = await exchange.invoke("Get-DistributionGroup", {"Identity": name})
        except ObjectNotFound:
            continue
        except ClientError as exc:
            return Fact.unknown(f"Get-DistributionGroup {name!r} failed: {exc}")
        found.extend(x.parse_group(r) for r in result.values)
    return Fact.present(tuple(found))


async def _group_members(exchange: ExchangeClient, names: tuple[str, ...]) -> Fact[Any]:
    """Members per scope group, paged (Get-DistributionGroupMember has no multi-group form)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for name in names:
        try:
            result = await exchange.invoke(
                "Get-DistributionGroupMember",
                {"Identity": name, "ResultSize": "Unlimited"},
                select=("PrimarySmtpAddress", "ExchangeGuid", "Identity"),
            )
        except ObjectNotFound:
            continue
        except ClientError as exc:
            return Fact.unknown(f"Get-DistributionGroupMember {name!r} failed: {exc}")
        members = tuple(
            str(r.get("PrimarySmtpAddress") or r.get("Identity") or "").lower()
            for r in result.values
        )
        out.append((name.lower(), members))
    return Fact.present(tuple(out))


async def _recipients(exchange: ExchangeClient, role: Role) -> Fact[Any]:
    """Every mailbox and every mail user, read concurrently. Target: a target that already
    has a mailbox blocks the move (microsoft-t2t.md §4). Source: a moved mailbox is a mail
    user there (§1), which is how a completed move is recognised as converged."""
    del role  # both tenants need both collections
    mailboxes_job = cmdlet_fact(
        exchange,
        "Get-Mailbox",
        {"ResultSize": "Unlimited"},
        x.parse_recipient,
        select=x.MAILBOX_PROPERTIES,
    )
    mailboxes, mailusers = await asyncio.gather(
        mailboxes_job,
        cmdlet_fact(
            exchange,
            "Get-MailUser",
            {"ResultSize": "Unlimited"},
            x.parse_recipient,
            select=x.MAILUSER_PROPERTIES,
        ),
    )
    for fact in (mailboxes, mailusers):
        if fact.status != "present":
            return fact
    return Fact.present(mailboxes.get() + mailusers.get())


def _applications(graph: GraphClient, request: ProbeRequest) -> Awaitable[Fact[Any]]:
    return read_applications(
        graph,
        app_id=request.app_id,
        display_name=request.app_display_name,
        unique_name=request.app_unique_name,
    )


async def _identity_roles(ex: ExchangeClient, gr: GraphClient | None) -> Fact[Any]:
    """The application permissions and (Exchange token) directory roles t2t's own identity
    holds, from its tokens (no extra call beyond token acquisition): lets the plan say which
    apply permissions are missing."""
    roles: list[str] = []
    try:
        roles += [f"exchange:{r}" for r in sorted(await ex.granted_roles())]
        roles += [f"{EXCHANGE_WID}{w}" for w in sorted(await ex.directory_roles())]
        if gr is not None:
            roles += [f"graph:{r}" for r in sorted(await gr.granted_roles())]
    except ClientError as exc:
        return Fact.unknown(f"cannot obtain a token: {exc}")
    return Fact.present(tuple(roles))


async def _present_empty() -> Fact[Any]:
    return Fact.present(())


async def _fact(fact: Fact[Any]) -> Fact[Any]:
    return fact


async def read_tenant(
    role: Role,
    tenant_id: str,
    exchange: ExchangeClient,
    graph: GraphClient | None = None,
    *,
    parts: Collection[str] = frozenset({"organization", "relationships"}),
    request: ProbeRequest | None = None,
    applications: Fact[Any] | None = None,
) -> TenantState:
    """Read the requested parts of one tenant concurrently; each may be unknown alone."""
    ex = exchange.reader()  # the read-only guard: a probe cannot send a write
    gr = graph.reader() if graph is not None else None
    req = request or ProbeRequest(tenant_id, tenant_id)
    wanted = set(parts)
    jobs: dict[str, Awaitable[Fact[Any]]] = {
        "organization": read_organization(ex),
        "relationships": read_relationships(ex),
        "identity_roles": _identity_roles(ex, gr),
    }
    if "accepted_domains" in wanted:
        jobs["accepted_domains"] = cmdlet_fact(
            ex, "Get-AcceptedDomain", {}, x.parse_accepted_domain
        )
    if "endpoints" in wanted:
        jobs["endpoints"] = read_endpoints(ex, req.endpoint_name)
    if "groups" in wanted:
        jobs["groups"] = _scope_groups(ex, req.scope_groups)
    if "group_members" in wanted:
        jobs["group_members"] = _group_members(ex, req.scope_groups)
    if "recipients" in wanted:
        recipients_task = asyncio.ensure_future(_recipients(ex, role))
        jobs["recipients"] = recipients_task
        if "statistics" in wanted and role == "source":
            jobs["statistics"] = _statistics(ex, recipients_task, req.source_mailboxes)
    if "batches" in wanted:
        jobs["batches"] = cmdlet_fact(ex, "Get-MigrationBatch", {}, x.parse_batch)
    if "migration_users" in wanted:
        jobs["migration_users"] = cmdlet_fact(
            ex, "Get-MigrationUser", {"ResultSize": "Unlimited"}, x.parse_migration_user
        )
    if gr is not None:
        if "domains" in wanted:
            jobs["domains"] = graph_fact(gr, "/domains", {}, d.parse_domain)
        if "skus" in wanted:
            jobs["skus"] = graph_fact(gr, "/subscribedSkus", {}, d.parse_sku)
        if "users" in wanted:
            jobs["users"] = graph_fact(
                gr, "/users", {"$select": d.USER_SELECT, "$top": "999"}, d.parse_user
            )
        if "applications" in wanted:
            jobs["applications"] = (
                _fact(applications) if applications is not None else _applications(gr, req)
            )
        if "service_principals" in wanted:
            app_ids = [a for a in (req.app_id, EXCHANGE_APP_ID) if a]
            jobs["service_principals"] = read_service_principals(gr, app_ids)
    names = list(jobs)
    results = await asyncio.gather(*(jobs[n] for n in names))
    facts: dict[str, Fact[Any]] = dict(zip(names, results, strict=True))
    sps = facts.get("service_principals")
    if gr is not None and sps is not None and "app_role_assignments" in wanted:
        facts["app_role_assignments"] = await read_assignments(gr, sps, req.app_id)
    return TenantState(role=role, tenant_id=tenant_id, **facts)


async def read_snapshot(
    request: ProbeRequest,
    source: tuple[ExchangeClient, GraphClient | None],
    target: tuple[ExchangeClient, GraphClient | None],
) -> Snapshot:
    """Both tenants, read at the same time.

    An app registered by displayName has an appId only the target knows: its applications
    are read first (one request, reused), so the source can look for that app's consent.
    """
    apps: Fact[Any] | None = None
    if (
        request.app_id is None
        and target[1] is not None
        and (request.app_display_name or request.app_unique_name)
    ):
        apps = await _applications(target[1].reader(), request)
        if apps.status == "present":
            found = pick_app(
                apps.get(),
                app_id=None,
                display_name=request.app_display_name,
                unique_name=request.app_unique_name,
            )
            if found is not None:
                request = replace(request, app_id=found.app_id)
    src, tgt = await asyncio.gather(
        read_tenant(
            "source",
            request.source_tenant_id,
            *source,
            parts=request.source_parts,
            request=request,
        ),
        read_tenant(
            "target",
            request.target_tenant_id,
            *target,
            parts=request.target_parts,
            request=request,
            applications=apps,
        ),
    )
    return Snapshot(source=src, target=tgt)
