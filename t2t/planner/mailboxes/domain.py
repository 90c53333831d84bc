"""The mailboxes domain: per declared mailbox, its checks and the chain
MailUser → identity → usageLocation → licences, in the order Microsoft's service forces
(DESIGN.md "Actions" step 4; microsoft-t2t.md §4).

A mailbox already moved (the target holds a mailbox with the source's ExchangeGuid) or being
moved (a migration user that has not failed) is converged: nothing is planned for it. A
blocking finding blocks only that mailbox's actions.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from t2t import progress
from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import Finding, finding
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.planner.mailboxes import catalogue as _catalogue  # noqa: F401  (registers the codes)
from t2t.planner.mailboxes import in_flight as _in_flight  # noqa: F401  (registers T2T-E330)
from t2t.planner.mailboxes.desire import (
    T2T_CAPABILITY,
    T2T_SKU_PART,
    MailboxDesire,
    mailbox_name,
    source_x400s,
    source_x500s,
)
from t2t.planner.mailboxes.exchange_licence import gives_mailbox, no_exchange_licence_finding
from t2t.planner.mailboxes.hold_for_migration import fixed, hold_action, repairable
from t2t.planner.mailboxes.identity import PASSWORD_PLACEHOLDER, IdentityPlan, plan_identity
from t2t.planner.mailboxes.licensing import missing_skus, usage_location_body
from t2t.planner.mailboxes.previous import index_previous, previous_mailbox_finding
from t2t.planner.mailboxes.recipient_types import not_movable
from t2t.planner.mailboxes.removed import index_removed, removed_finding
from t2t.planner.mailboxes.source import SourceMailbox, source_findings
from t2t.planner.mailboxes.stamping import CODE as STAMPING
from t2t.planner.mailboxes.stamping import stamping_finding, unavailable
from t2t.planner.mailboxes.upn import upn_finding
from t2t.state import Snapshot, fingerprint
from t2t.state import parts as P
from t2t.state.directory import DirectoryUser, SubscribedSku
from t2t.state.exchange import (
    MailboxStatistics,
    MigrationUser,
    MoveRequest,
    PreviousMailbox,
    Recipient,
    RemovedMailbox,
    SubstrateHolds,
)
from t2t.state.quotas import DEFAULT_RECOVERABLE_QUOTA

if TYPE_CHECKING:
    from t2t.spec import Desired, DesiredMailbox


#: Set-MailUser -ExchangeGuid over app-only InvokeCommand (t2t/clients/wire.py).
WIRE_STAMP = "WIRE-4"

#: Migration-user statuses after which the target may be prepared again (microsoft-t2t.md §7:
#: terminal-bad); any other status means MRS owns the object now.
RETRYABLE = frozenset({"failed", "completionfailed", "incrementalfailed", "corrupted"})


def recipient_observed(r: Recipient | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "Identity": r.identity,
        "RecipientTypeDetails": r.recipient_type_details,
        "ExchangeGuid": r.exchange_guid,
        "ArchiveGuid": r.archive_guid,
        "EmailAddresses": sorted(a.lower() for a in r.email_addresses),
        "ExternalEmailAddress": r.external_email_address,
        "IsDirSynced": r.is_dir_synced,
    }


def user_observed(u: DirectoryUser | None) -> dict[str, Any] | None:
    if u is None:
        return None
    return {
        "id": u.id,
        "userPrincipalName": u.user_principal_name,
        "usageLocation": u.usage_location,
        "assignedLicenses": sorted(u.sku_ids),
    }


@dataclass
class _Index:
    """Lookups over one snapshot, built once (10,000 mailboxes: O(n), not O(n²))."""

    source: dict[str, Recipient]
    target: dict[str, Recipient]
    target_upn: dict[str, Recipient]
    x500_owner: dict[str, str]
    names: set[str]
    users: dict[str, DirectoryUser]
    skus: dict[str, SubscribedSku]
    statistics: dict[str, MailboxStatistics]
    moving: dict[str, MigrationUser]
    accepted: frozenset[str]
    delivery: dict[str, str]
    verified: frozenset[str] = frozenset()
    """The target's verified domains (Graph /domains), for the UPNs of new MailUsers."""
    previous: dict[str, PreviousMailbox] = field(default_factory=dict)
    """Target mail users that were mailboxes, by GUID and UPN (Get-User)."""
    organization_auto_expanding: bool = False
    """The source organization's AutoExpandingArchiveEnabled (every archive may expand)."""
    organization_holds: tuple[str, ...] = ()
    """The source organization's InPlaceHolds: its organization-wide retention policies."""
    substrate_holds: dict[str, SubstrateHolds] = field(default_factory=dict)
    """The archives' SubstrateHolds folders by ArchiveGuid (due mailboxes only)."""
    move_requests: dict[str, tuple[MoveRequest, ...]] = field(default_factory=dict)
    """The source's move requests by ExchangeGuid (Get-MoveRequest)."""
    removed: dict[str, RemovedMailbox] = field(default_factory=dict)
    """Inactive and soft-deleted source mailboxes by address (Get-Mailbox -InactiveMailboxOnly,
    -SoftDeletedMailbox)."""
    stamp_missing: frozenset[str] = frozenset()
    """Set-MailUser parameters t2t's target identity may not pass (stamping.py, T2T-E319)."""
    held_back: list[str] = field(default_factory=list)
    """The mailboxes T2T-E319 holds back, in spec order."""


def _by_address(recipients: tuple[Recipient, ...]) -> dict[str, Recipient]:
    out: dict[str, Recipient] = {}
    for r in recipients:
        for address in (*r.smtp_addresses, r.primary_smtp_address):
            # a mailbox wins over a mail user for the same address (the stronger claim)
            if address and (address.lower() not in out or r.is_mailbox):
                out[address.lower()] = r
    return out


def _index(desired: Desired, snapshot: Snapshot) -> _Index:
    src, tgt = snapshot.source, snapshot.target
    source_recipients = present(src.recipients)
    target_recipients = present(tgt.recipients)
    delivery: dict[str, str] = {}
    for batch in desired.batches:
        for address in batch.mailboxes:
            delivery[address.lower()] = batch.target_delivery_domain
    x500_owner: dict[str, str] = {}
    for r in target_recipients:
        for a in r.x500s:
            x500_owner["x500:" + a.split(":", 1)[1].lower()] = r.guid or r.identity
    # Known here: ORGANIZATION is one of this domain's needs (the gate runs it only when every
    # need is known), and read_organization reports it present or unknown, never absent.
    organization = src.organization.get()
    return _Index(
        source=_by_address(source_recipients),
        target=_by_address(target_recipients),
        target_upn={r.user_principal_name.lower(): r for r in target_recipients},
        x500_owner=x500_owner,
        names={r.identity.lower() for r in target_recipients},
        users={u.user_principal_name.lower(): u for u in present(tgt.users)},
        skus={s.sku_part_number.lower(): s for s in present(tgt.skus)},
        statistics={s.identity.lower(): s for s in present(src.statistics)},
        moving={m.identity.lower(): m for m in present(tgt.migration_users)},
        accepted=frozenset(a.domain_name for a in present(tgt.accepted_domains)),
        delivery=delivery,
        verified=frozenset(d.name.lower() for d in present(tgt.domains) if d.is_verified),
        previous=index_previous(present(tgt.previous_mailboxes)),
        organization_auto_expanding=organization.auto_expanding_archive,
        organization_holds=organization.in_place_holds,
        substrate_holds={h.archive_guid.lower(): h for h in present(src.substrate_holds)},
        move_requests=_by_guid(present(src.move_requests)),
        removed=index_removed(present(src.removed_mailboxes)),
        stamp_missing=unavailable(present(tgt.session_cmdlets)),
    )


def _by_guid(moves: tuple[MoveRequest, ...]) -> dict[str, tuple[MoveRequest, ...]]:
    out: dict[str, tuple[MoveRequest, ...]] = defaultdict(tuple)
    for move in moves:
        out[move.exchange_guid] += (move,)
    return dict(out)


def _target_of(ix: _Index, m: DesiredMailbox) -> Recipient | None:
    return ix.target.get(m.target_key) or ix.target_upn.get(m.upn.lower())


def _desire(
    desired: Desired, ix: _Index, m: DesiredMailbox, source: Recipient, skus: tuple[str, ...]
) -> MailboxDesire:
    return MailboxDesire(
        source=m.source,
        target=m.target,
        upn=m.upn,
        name=mailbox_name(source, m.target, ix.names),
        display_name=source.display_name or m.target.split("@", 1)[0],
        target_delivery_domain=ix.delivery.get(m.target_key),
        exchange_guid=source.exchange_guid,
        archive_guid=source.archive_guid if source.has_archive else None,
        x500s=source_x500s(source),
        source_addresses=tuple(
            dict.fromkeys(
                a.lower() for a in (source.primary_smtp_address, *source.smtp_addresses) if a
            )
        ),
        external_email_address=source.primary_smtp_address,
        usage_location=desired.usage_location,
        license_sku_ids=skus,
        x400s=source_x400s(source),
    )


def _licence_covered(source: Recipient, target: Recipient | None, spec_has_t2t: bool) -> bool:
    caps = {c.lower() for c in source.persisted_capabilities}
    if target is not None:
        caps |= {c.lower() for c in target.persisted_capabilities}
    return spec_has_t2t or T2T_CAPABILITY in caps


def plan_mailboxes(ctx: PlanContext) -> DomainOutcome:
    """Every declared mailbox. The cyclic garbage collector is paused meanwhile: planning
    10,000 mailboxes allocates ~100,000 acyclic objects next to a snapshot of as many live
    ones, and the collector's generation-2 passes over them took half the time (measured by
    tests/bench/bench_plan.py); it is re-enabled, unchanged, on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _plan_all(ctx.desired, ctx.snapshot)
    finally:
        if was_enabled:
            gc.enable()


def _plan_all(desired: Desired, snapshot: Snapshot) -> DomainOutcome:
    out = DomainOutcome()
    if not desired.mailboxes:
        return out
    ix = _index(desired, snapshot)
    # Licences: part numbers resolved through subscribedSkus.
    sku_ids: list[str] = []
    licence_blocked: list[str] = []
    for part in desired.licenses:
        sku = ix.skus.get(part.lower())
        if sku is None:
            out.findings.append(
                finding(
                    "T2T-E309",
                    "target",
                    part,
                    f"{part} is not among the target's subscribedSkus "
                    f"({', '.join(sorted(s.sku_part_number for s in ix.skus.values())) or 'none'})",
                    fixed_by_plan=False,
                )
            )
            licence_blocked = ["T2T-E309"]
        else:
            sku_ids.append(sku.sku_id)
    spec_has_t2t = any(p.lower() == T2T_SKU_PART for p in desired.licenses) and not any(
        f.object.lower() == T2T_SKU_PART for f in out.findings
    )
    # Two declared mailboxes on one target object; x500s wanted twice.
    owners: dict[str, list[str]] = defaultdict(list)
    for m in desired.mailboxes:
        current = _target_of(ix, m)
        if current is not None:
            owners[current.guid or current.identity].append(m.target)
    wanted_x500: dict[str, str] = {}
    moved = 0
    for m in desired.mailboxes:
        moved += _plan_one(
            desired, ix, m, tuple(sku_ids), spec_has_t2t, licence_blocked, owners, wanted_x500, out
        )
        progress.step()  # build_plan's progress task counts a step per mailbox
    stamped = stamping_finding(ix.stamp_missing, ix.held_back)
    out.findings += [stamped] if stamped is not None else []
    _seats(ix, out)
    if not licence_blocked:
        spec_skus = [ix.skus[p.lower()] for p in desired.licenses]
        no_exchange = no_exchange_licence_finding(spec_skus, _without_exchange_licence(desired, ix))
        out.findings += [no_exchange] if no_exchange is not None else []
    if moved:
        out.notices.append(
            f"{moved} declared mailbox(es) are moved or being moved; nothing is planned for them."
        )
    return out


def _without_exchange_licence(desired: Desired, ix: _Index) -> list[str]:
    """Targets of the user mailboxes still in the source (the move converts them) whose target
    user holds no licence with an Exchange Online mailbox plan (T2T-W340)."""
    by_id = {s.sku_id: s for s in ix.skus.values()}
    out: list[str] = []
    for m in desired.mailboxes:
        source = ix.source.get(m.source_key)
        if source is None or source.recipient_type_details != "UserMailbox":
            continue  # not found (T2T-E301), shared (needs none), or moved already
        current = _target_of(ix, m)
        upn = current.user_principal_name if current and current.user_principal_name else m.upn
        user = ix.users.get(upn.lower())
        held = (by_id[s] for s in (user.sku_ids if user else ()) if s in by_id)
        if not any(gives_mailbox(s) or not s.service_plans for s in held):
            out.append(m.target)
    return out


def _plan_one(
    desired: Desired,
    ix: _Index,
    m: DesiredMailbox,
    skus: tuple[str, ...],
    spec_has_t2t: bool,
    licence_blocked: list[str],
    owners: dict[str, list[str]],
    wanted_x500: dict[str, str],
    out: DomainOutcome,
) -> int:
    """Plan one mailbox into `out`; 1 when it is moved or moving (converged), else 0."""
    current = _target_of(ix, m)
    migration = ix.moving.get(m.target_key)
    if migration is not None and migration.status.lower() not in RETRYABLE:
        return 1
    source = ix.source.get(m.source_key)
    removed = removed_finding(m.source, ix.removed) if source is None else None
    if removed is not None:  # inactive or soft-deleted, not "does not exist"
        out.findings.append(removed)
        return 0
    if source is None:
        out.findings.append(
            finding(
                "T2T-E301",
                "source",
                m.source,
                "no mailbox or mail user has this address",
                fixed_by_plan=False,
            )
        )
        return 0
    if (
        not source.is_mailbox
        and current is not None
        and current.is_mailbox
        and current.exchange_guid == source.exchange_guid
    ):
        return 1  # completed: the source is a mail user pointing at the target mailbox
    why = not_movable(source)  # user and shared mailboxes move (recipient_types.py)
    if why is not None:
        out.findings.append(finding("T2T-E302", "source", m.source, why, fixed_by_plan=False))
        return 0
    d = _desire(desired, ix, m, source, skus)
    plan = plan_identity(d, current, ix.accepted)
    if plan.state == "moved":
        return 1
    findings = [*_source_checks(ix, m, source, current, spec_has_t2t), *plan.findings]
    raise_quota = repairable(ix.statistics.get(source.exchange_guid.lower()), current)
    if raise_quota:  # T2T-E306's repair: -EnableLitigationHoldForMigration (100 GB)
        findings = [fixed(f) if f.code == "T2T-E306" else f for f in findings]
        raise_quota = any(f.code == "T2T-E306" for f in findings)
    if plan.state == "absent":  # New-MailUser gives it its UPN (upn.py)
        unverified = upn_finding(d, ix.verified, desired.upn_domain is not None)
        findings += [unverified] if unverified is not None else []
    collision = _collision(m, current, owners)
    clash = _x500_clash(ix, m, d, current, wanted_x500)
    previous = previous_mailbox_finding(m.target, current, ix.previous)
    findings += [f for f in (collision, clash, previous) if f is not None]
    out.findings.extend(findings)
    if plan.state == "foreign-mailbox" or "T2T-E311" in plan.blocked or collision is not None:
        return 0  # nothing t2t could write would make it movable
    blocked = tuple(dict.fromkeys(f.code for f in findings if f.blocking))
    if plan.set_params is not None and ix.stamp_missing & set(plan.set_params):
        ix.held_back.append(m.target)
        blocked = (*blocked, STAMPING)
    upn = (
        current.user_principal_name
        if current is not None and current.user_principal_name
        else d.upn
    )
    user = ix.users.get(upn.lower())
    # Before the move only: its batch waits (batches/domain.py, T2T-W407).
    if user is not None and user.exchange_provisioning and current and not current.is_mailbox:
        statuses = ", ".join(sorted(set(user.exchange_provisioning)))
        out.findings.append(
            finding(
                "T2T-E320",
                "target",
                m.target,
                f"Exchange has not provisioned the licences of {upn} yet ({statuses})",
                fixed_by_plan=False,
            )
        )
    create_id, identity_id = _identity_actions(d, plan, current, blocked, out)
    if raise_quota:
        after = tuple(i for i in (create_id,) if i)
        out.actions.append(hold_action(d, current, after, blocked))
    if d.license_sku_ids or licence_blocked:
        _licence_actions(ix, d, user, upn, (create_id, identity_id), blocked, licence_blocked, out)
    return 0


def _source_checks(
    ix: _Index,
    m: DesiredMailbox,
    source: Recipient,
    current: Recipient | None,
    spec_has_t2t: bool,
) -> list[Finding]:
    """Every mailbox-scope check on the source (source.py), against the target's quota."""
    quota = (
        current.recoverable_items_quota_bytes
        if current is not None and current.recoverable_items_quota_bytes
        else DEFAULT_RECOVERABLE_QUOTA
    )
    archive = ix.statistics.get(source.archive_guid.lower()) if source.has_archive else None
    return source_findings(
        SourceMailbox(
            address=m.source,
            recipient=source,
            statistics=ix.statistics.get(source.exchange_guid.lower()),
            target_quota=quota,
            licence_covered=_licence_covered(source, current, spec_has_t2t),
            archive_statistics=archive if archive is not None and archive.is_archive else None,
            organization_auto_expanding=ix.organization_auto_expanding,
            move_requests=ix.move_requests.get(source.exchange_guid, ()),
            organization_holds=ix.organization_holds,
            substrate_holds=ix.substrate_holds.get(source.archive_guid.lower())
            if source.has_archive
            else None,
        )
    )


def _collision(
    m: DesiredMailbox, current: Recipient | None, owners: dict[str, list[str]]
) -> Finding | None:
    """T2T-E314: two declared mailboxes resolve to the same target object."""
    if current is None:
        return None
    sharing = owners.get(current.guid or current.identity, [])
    if len(sharing) <= 1:
        return None
    return finding(
        "T2T-E314",
        "target",
        m.target,
        f"{current.identity} is the target of {', '.join(sharing)}",
        fixed_by_plan=False,
    )


def _x500_clash(
    ix: _Index,
    m: DesiredMailbox,
    d: MailboxDesire,
    current: Recipient | None,
    wanted_x500: dict[str, str],
) -> Finding | None:
    """T2T-E315: an x500 the target needs is another object's, or another declared source's."""
    mine = (current.guid or current.identity) if current is not None else None
    clashes: list[str] = []
    for x in d.x500s:
        owner = ix.x500_owner.get(x.lower())
        if owner is not None and owner != mine:
            clashes.append(f"{x} is on target object {owner}")
        first = wanted_x500.setdefault(x.lower(), m.source)
        if first != m.source:
            clashes.append(f"{x} is also an address of declared source {first}")
    if not clashes:
        return None
    return finding("T2T-E315", "target", m.target, "; ".join(clashes), fixed_by_plan=False)


def _identity_actions(
    d: MailboxDesire,
    plan: IdentityPlan,
    current: Recipient | None,
    blocked: tuple[str, ...],
    out: DomainOutcome,
) -> tuple[str | None, str | None]:
    """New-MailUser, then Set-MailUser with what is still missing; their ids."""
    desire = d.to_dict()
    observed = recipient_observed(current)
    fp = fingerprint(observed)
    create_id = identity_id = None
    if plan.create is not None:
        create_id = action_id("target", K.MAILUSER_CREATE.name, d.key)
        out.actions.append(
            Action(
                id=create_id,
                tenant="target",
                kind=K.MAILUSER_CREATE.name,
                key=d.key,
                operation="create",
                cmdlet="New-MailUser",
                parameters=plan.create,
                changes=(
                    *(Change(field=k, after=v) for k, v in plan.create.items()),
                    Change(field="Password", after=PASSWORD_PLACEHOLDER),
                ),
                desired=desire,
                observed=None,
                fingerprint=fp,
                summary=f"create the target MailUser {d.target} for {d.source}",
                blocked_by=blocked,
            )
        )
    if plan.set_params is not None:
        identity_id = action_id("target", K.MAILUSER_SET_IDENTITY.name, d.key)
        out.actions.append(
            Action(
                id=identity_id,
                tenant="target",
                kind=K.MAILUSER_SET_IDENTITY.name,
                key=d.key,
                operation="update",
                cmdlet="Set-MailUser",
                parameters=plan.set_params,
                changes=tuple(plan.changes),
                desired=desire,
                observed=observed,
                fingerprint=fp,
                depends_on=tuple(i for i in (create_id,) if i),
                risk=plan.risk,
                summary=f"stamp {d.target} with the source's ExchangeGuid, archive and x500s",
                blocked_by=blocked,
                unverified=(WIRE_STAMP,) if "ExchangeGuid" in plan.set_params else (),
            )
        )
    return create_id, identity_id


def _licence_actions(
    ix: _Index,
    d: MailboxDesire,
    user: DirectoryUser | None,
    upn: str,
    identity_steps: tuple[str | None, str | None],
    blocked: tuple[str, ...],
    licence_blocked: list[str],
    out: DomainOutcome,
) -> None:
    """usageLocation, then the licences — after the mail user's create and stamp, never
    before (a licence on a MailUser without the ExchangeGuid provisions a fresh mailbox)."""
    create_id, identity_id = identity_steps
    desire = d.to_dict()
    usage_id = None
    user_fp = fingerprint(user_observed(user))
    body = usage_location_body(d, user)
    lic_blocked = blocked
    if body is None and not (user is not None and user.usage_location) and not d.usage_location:
        out.findings.append(
            finding("T2T-E318", "target", d.target, "usageLocation is not set", fixed_by_plan=False)
        )
        lic_blocked = (*lic_blocked, "T2T-E318")
    if body is not None:
        usage_id = action_id("target", K.USER_USAGE_LOCATION.name, d.key)
        out.actions.append(
            Action(
                id=usage_id,
                tenant="target",
                kind=K.USER_USAGE_LOCATION.name,
                key=d.key,
                operation="update",
                cmdlet="Update-MgUser",
                parameters={"UserId": upn, "UsageLocation": body["usageLocation"]},
                changes=(Change(field="usageLocation", before=None, after=body["usageLocation"]),),
                desired=desire,
                observed=user_observed(user),
                fingerprint=user_fp,
                depends_on=tuple(i for i in (create_id,) if i),
                summary=f"set usageLocation of {upn} (Graph refuses licences without one)",
                blocked_by=blocked,
            )
        )
    add = missing_skus(d, user)
    if not add and not licence_blocked:
        return
    parts = {s.sku_id: s.sku_part_number for s in ix.skus.values()}
    out.actions.append(
        Action(
            id=action_id("target", K.LICENSE_ASSIGN.name, d.key),
            tenant="target",
            kind=K.LICENSE_ASSIGN.name,
            key=d.key,
            operation="update",
            cmdlet="Set-MgUserLicense",
            parameters={
                "UserId": upn,
                "AddLicenses": [{"SkuId": s} for s in add],
                "RemoveLicenses": [],
            },
            changes=(
                Change(
                    field="assignedLicenses",
                    before=sorted(parts.get(s, s) for s in (user.sku_ids if user else ())),
                    after=[parts.get(s, s) for s in add],
                ),
            ),
            desired=desire,
            observed=user_observed(user),
            fingerprint=user_fp,
            depends_on=tuple(i for i in (create_id, identity_id, usage_id) if i),
            summary=f"license {upn} (after its ExchangeGuid is stamped)",
            blocked_by=tuple(dict.fromkeys((*lic_blocked, *licence_blocked))),
        )
    )


def _seats(ix: _Index, out: DomainOutcome) -> None:
    """Free seats (subscribedSkus enabled − consumed) against what the plan assigns; the
    assignments past the free seats are blocked, in spec order (the first ones proceed)."""
    by_id = {s.sku_id: s for s in ix.skus.values()}
    used: dict[str, int] = defaultdict(int)
    short: dict[str, int] = defaultdict(int)
    for i, action in enumerate(out.actions):
        if action.kind != K.LICENSE_ASSIGN.name or action.blocked:
            continue
        over = []
        for item in action.parameters["AddLicenses"]:
            sku = by_id.get(item["SkuId"])
            if sku is None:
                continue
            used[sku.sku_id] += 1
            if used[sku.sku_id] > sku.free:
                over.append(sku.sku_id)
                short[sku.sku_id] += 1
        if over:
            out.actions[i] = action.model_copy(update={"blocked_by": ("T2T-E308",)})
    for sku_id, n in short.items():
        sku = by_id[sku_id]
        out.findings.append(
            finding(
                "T2T-E308",
                "target",
                sku.sku_part_number,
                f"{sku.free} free of {sku.enabled}; the plan assigns {used[sku_id]} ({n} wait)",
                fixed_by_plan=False,
            )
        )


MAILBOXES = Domain(
    name="mailboxes",
    source_needs=frozenset(
        {
            P.ORGANIZATION,
            P.RECIPIENTS,
            P.STATISTICS,
            P.SUBSTRATE_HOLDS,
            P.MOVE_REQUESTS,
            P.REMOVED_MAILBOXES,
        }
    ),
    target_needs=frozenset(
        {
            P.RECIPIENTS,
            P.PREVIOUS_MAILBOXES,
            P.USERS,
            P.ACCEPTED_DOMAINS,
            P.DOMAINS,
            P.SKUS,
            P.MIGRATION_USERS,
            P.SESSION_CMDLETS,
        }
    ),
    emits=frozenset(
        {
            K.MAILUSER_CREATE,
            K.MAILUSER_SET_IDENTITY,
            K.MAILUSER_HOLD_FOR_MIGRATION,
            K.USER_USAGE_LOCATION,
            K.LICENSE_ASSIGN,
        }
    ),
    plan=plan_mailboxes,
)
