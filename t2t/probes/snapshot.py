"""Gather both tenants concurrently into one Snapshot, through read-only clients only.

Only the parts a caller asks for are read (the planner says which it needs), each in bulk:
one paged collection per object type, never one call per mailbox where Microsoft offers a
bulk form (lessons-from-peers.md §1: Microsoft365DSC's per-instance reads took hours).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Collection
from dataclasses import replace
from typing import Any

from t2t import progress
from t2t.clients import ClientError, ExchangeClient, GraphClient, ObjectNotFound
from t2t.clients.azure import AzureClients
from t2t.probes import cloud as _cloud  # noqa: F401  (registers its reader)
from t2t.probes import delegations as _delegations  # noqa: F401  (registers its readers)
from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.probes import mailbox_sizes as _mailbox_sizes  # noqa: F401  (registers statistics)
from t2t.probes import session_cmdlets as _session_cmdlets  # noqa: F401  (registers its reader)
from t2t.probes import substrate_holds as _substrate_holds  # noqa: F401  (registers its reader)
from t2t.probes.endpoints import read_endpoints
from t2t.probes.key_vault import read_key_vault, read_vault_certificate
from t2t.probes.migration_app import (
    pick_app,
    read_applications,
    read_assignments,
    read_service_principals,
)
from t2t.probes.organization import read_organization
from t2t.probes.readers import cmdlet_fact, graph_fact
from t2t.probes.registry import ProbeRequest, ReadContext, check_complete, counted, reads
from t2t.probes.relationships import read_relationships
from t2t.state import Fact, Role, Snapshot, TenantState
from t2t.state import parts as P
from t2t.state.model import EXCHANGE_WID

#: Office 365 Exchange Online, the resource that owns Mailbox.Migration (microsoft-t2t.md §2).
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"

#: What `t2t show` reads: every part of each tenant.
SOURCE_PARTS = P.read_from("source")
TARGET_PARTS = P.read_from("target")


@reads(P.ORGANIZATION)
def _organization(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return read_organization(ctx.exchange)


@reads(P.RELATIONSHIPS)
def _relationships(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return read_relationships(ctx.exchange)


@reads(P.ACCEPTED_DOMAINS)
def _accepted_domains(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return cmdlet_fact(ctx.exchange, "Get-AcceptedDomain", {}, x.parse_accepted_domain)


@reads(P.ENDPOINTS)
def _endpoints(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    request = ctx.request
    return read_endpoints(ctx.exchange, request.endpoint_name, request.endpoint_remote_tenant)


@reads(P.BATCHES)
def _batches(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return cmdlet_fact(ctx.exchange, "Get-MigrationBatch", {}, x.parse_batch)


@reads(P.MIGRATION_USERS)
def _migration_users(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return cmdlet_fact(
        ctx.exchange, "Get-MigrationUser", {"ResultSize": "Unlimited"}, x.parse_migration_user
    )


@reads(P.DOMAINS)
def _domains(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return graph_fact(ctx.graph_client, "/domains", {}, d.parse_domain)


@reads(P.SKUS)
def _skus(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return graph_fact(ctx.graph_client, "/subscribedSkus", {}, d.parse_sku)


@reads(P.USERS)
def _users(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return graph_fact(
        ctx.graph_client, "/users", {"$select": d.USER_SELECT, "$top": "999"}, d.parse_user
    )


@reads(P.APPLICATIONS)
def _applications_part(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    return _applications(ctx.graph_client, ctx.request)


@reads(P.SERVICE_PRINCIPALS)
def _service_principals(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    app_ids = [a for a in (ctx.request.app_id, EXCHANGE_APP_ID) if a]
    return read_service_principals(ctx.graph_client, app_ids)


@reads(P.APP_ROLE_ASSIGNMENTS)
async def _assignments(ctx: ReadContext) -> Fact[Any]:
    """The migration app's grants: read from its service principal, so after those."""
    sps = await ctx.fact(P.SERVICE_PRINCIPALS)
    return await read_assignments(ctx.graph_client, sps, ctx.request.app_id)


@reads(P.PREVIOUS_MAILBOXES)
async def _previous_mailboxes(ctx: ReadContext) -> Fact[Any]:
    """Target mail users that were mailboxes, in one bulk call: `Get-User -RecipientTypeDetails
    MailUser -Filter 'PreviousRecipientTypeDetails -ne $null' -ResultSize Unlimited` (Get-User
    reference; the filter is x.PREVIOUSLY_SOMETHING_ELSE), keeping those whose
    PreviousRecipientTypeDetails names a previous kind (Learn, Cross-tenant mailbox migration,
    step 8: "Find objects that were previously mailboxes"). The filter leaves the directory's
    other mail users on the server: a page for the few, not one per thousand mail users. Read
    only when the spec declares mailboxes."""
    if not ctx.request.source_mailboxes:
        return Fact.present(())
    users = await cmdlet_fact(
        ctx.exchange,
        "Get-User",
        {
            "RecipientTypeDetails": ["MailUser"],
            "Filter": x.PREVIOUSLY_SOMETHING_ELSE,
            "ResultSize": "Unlimited",
        },
        x.parse_previous_mailbox,
        select=x.USER_PROPERTIES,
    )
    if users.status != "present":
        return users
    return Fact.present(tuple(p for p in users.get() if p is not None))


@reads(P.GROUPS)
async def _scope_groups(ctx: ReadContext) -> Fact[Any]:
    """Per group (a spec names one to a few): Get-DistributionGroup -Identity. Also the groups
    the relationship toward the target already publishes: their owner markers say which other
    spec relies on it (t2t/planner/shared/ownership.py)."""
    found: list[Any] = []
    names = list(ctx.request.scope_groups)
    relationships = await ctx.fact(P.RELATIONSHIPS)
    target = ctx.request.target_tenant_id.lower()
    for rel in relationships.value or () if relationships.status == "present" else ():
        if target in {d.lower() for d in rel.domain_names}:
            names.extend(rel.published_scopes)
    for name in {n.lower(): n for n in reversed(names)}.values():  # once, any case
        try:
            result = await ctx.exchange.invoke("Get-DistributionGroup", {"Identity": name})
        except ObjectNotFound:
            continue
        except ClientError as exc:
            return Fact.unknown(f"Get-DistributionGroup {name!r} failed: {exc}")
        found.extend(x.parse_group(r) for r in result.values)
    return Fact.present(tuple(found))


@reads(P.GROUP_MEMBERS)
async def _group_members(ctx: ReadContext) -> Fact[Any]:
    """Members per scope group, paged (Get-DistributionGroupMember has no multi-group form)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for name in ctx.request.scope_groups:
        try:
            result = await ctx.exchange.invoke(
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


@reads(P.RECIPIENTS)
async def _recipients(ctx: ReadContext) -> Fact[Any]:
    """Every mailbox and every mail user, read concurrently. Target: a target that already
    has a mailbox blocks the move (microsoft-t2t.md §4). Source: a moved mailbox is a mail
    user there (§1), which is how a completed move is recognised as converged."""
    mailboxes, mailusers = await asyncio.gather(
        cmdlet_fact(
            ctx.exchange,
            "Get-Mailbox",
            {"ResultSize": "Unlimited"},
            x.parse_recipient,
            select=x.MAILBOX_PROPERTIES,
        ),
        cmdlet_fact(
            ctx.exchange,
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
        with_keys=request.key_vault is not None,
    )


@reads(P.KEY_VAULT)
def _key_vault(ctx: ReadContext) -> Awaitable[Fact[Any]]:
    kv = ctx.key_vault
    return read_key_vault(ctx.azure_client, kv.subscription_id, kv.resource_group, kv.name)


@reads(P.VAULT_CERTIFICATES)
async def _vault_certificates(ctx: ReadContext) -> Fact[Any]:
    """The spec's certificate, in the vault the key_vault part found (none: no certificate)."""
    groups = await ctx.fact(P.KEY_VAULT)
    if groups.status != "present":
        return Fact.unknown(f"the vault is unreadable: {groups.reason}")
    vault = next((g.vault for g in groups.get() if g.vault is not None), None)
    if vault is None:
        return Fact.present(())
    return await read_vault_certificate(ctx.azure_client, vault, ctx.key_vault.certificate_name)


@reads(P.IDENTITY_ROLES)
async def _identity_roles(ctx: ReadContext) -> Fact[Any]:
    """The application permissions and (Exchange token) directory roles t2t's own identity
    holds, from its tokens (no extra call beyond token acquisition): lets the plan say which
    apply permissions are missing. A person's token (interactive sign-in) holds delegated
    permissions instead, kept as "<service>-delegated:<scope>"."""
    ex, gr = ctx.exchange, ctx.graph
    roles: list[str] = []
    try:
        roles += [f"exchange:{r}" for r in sorted(await ex.granted_roles())]
        roles += [f"exchange-delegated:{r}" for r in sorted(await ex.granted_scopes())]
        roles += [f"{EXCHANGE_WID}{w}" for w in sorted(await ex.directory_roles())]
        if gr is not None:
            roles += [f"graph:{r}" for r in sorted(await gr.granted_roles())]
            roles += [f"graph-delegated:{r}" for r in sorted(await gr.granted_scopes())]
    except ClientError as exc:
        return Fact.unknown(f"cannot obtain a token: {exc}")
    return Fact.present(tuple(roles))


check_complete()


async def read_tenant(
    role: Role,
    tenant_id: str,
    exchange: ExchangeClient,
    graph: GraphClient | None = None,
    *,
    parts: Collection[P.Part] = frozenset(),
    request: ProbeRequest | None = None,
    applications: Fact[Any] | None = None,
    azure: AzureClients | None = None,
    tenants: dict[Role, ReadContext] | None = None,
) -> TenantState:
    """Read the requested parts of one tenant concurrently; each may be unknown alone.

    Read: the parts asked for that this tenant holds (`Part.roles`), and the ones every run
    reads; Graph parts only with a Graph client; Azure parts only with Azure clients and a
    spec in keyVaultCertificate mode (`ProbeRequest.key_vault`).
    """
    ctx = ReadContext(
        role=role,
        exchange=exchange.reader(),  # the read-only guard: a probe cannot send a write
        graph=graph.reader() if graph is not None else None,
        request=request or ProbeRequest(tenant_id, tenant_id),
        given={P.APPLICATIONS: applications} if applications is not None else {},
        azure=azure.reader() if azure is not None else None,
        tenants={} if tenants is None else tenants,
    )
    ctx.tenants[role] = ctx  # the other tenant's readers may build on this one's parts
    azure_readable = ctx.azure is not None and ctx.request.key_vault is not None
    wanted = [
        p
        for p in P.PARTS
        if (p.always or (p in parts and role in p.roles))
        and (p.service != "graph" or ctx.graph is not None)
        and (p.service != "azure" or azure_readable)
    ]
    with progress.task(f"reading the {role}", total=len(wanted), unit="parts") as read:
        results = await asyncio.gather(*(counted(ctx.fact(p), read) for p in wanted))
    facts = {p.name: fact for p, fact in zip(wanted, results, strict=True)}
    return TenantState(role=role, tenant_id=tenant_id, **facts)


async def read_snapshot(
    request: ProbeRequest,
    source: tuple[ExchangeClient, GraphClient | None],
    target: tuple[ExchangeClient, GraphClient | None],
    *,
    azure: AzureClients | None = None,
) -> Snapshot:
    """Both tenants, read at the same time; `azure`: the target's Azure clients (its resource
    group, vault and certificate are read in keyVaultCertificate mode only).

    An app registered by displayName has an appId only the target knows: its applications
    are read first (one request, reused), so the source can look for that app's consent.
    """
    read_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
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
    tenants: dict[Role, ReadContext] = {}
    src, tgt = await asyncio.gather(
        read_tenant(
            "source",
            request.source_tenant_id,
            *source,
            parts=request.source_parts,
            request=request,
            tenants=tenants,
        ),
        read_tenant(
            "target",
            request.target_tenant_id,
            *target,
            parts=request.target_parts,
            request=request,
            applications=apps,
            azure=azure,
            tenants=tenants,
        ),
    )
    return Snapshot(source=src, target=tgt, read_at=read_at)
