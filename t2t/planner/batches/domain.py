"""The batches domain: per spec batch (a wave), New-MigrationBatch when its mailboxes are
ready, then the steps the phase asks for (DESIGN.md "Actions" step 5; microsoft-t2t.md §6–§8).

It runs after every other domain and reads their actions and findings: a batch depends on the
org-level actions (endpoint, scope membership, relationships, consent…) and on each of its
mailboxes' chain (MailUser → identity → usageLocation → licences). A mailbox blocked by a
check is left out (T2T-W407) and does not hold back the others; it joins a later sub-batch once
unblocked, as does a mailbox added to the wave after its batch exists (a running batch cannot
grow). Waves over 2,000 mailboxes are split into `<name>-01`, `-02`, … in spec order.

A wave's batch on a replaced endpoint (one that points at the wrong tenant, T2T-E232) gives
its unfinished users to the wave's next sub-batch on the endpoint in use (replacement.py).

A mailbox already in one of the wave's batches, or already moved (the target holds a
mailbox), is converged: nothing is planned for it — unless its migration user failed in a
way Microsoft fixes only by removing it and adding it to a new batch (T2T-W411, LEARN-24
"Migration Failures"): then the plan removes it (Remove-MigrationUser, disruptive) and the
new sub-batch that takes it depends on that removal, instead of restarting its batch
forever. Existing batches are reported as information (status, counts); only starting,
completing or rescheduling them are actions, all disruptive.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.batches.approval import AWAITING_APPROVAL, approval_detail, awaits_approval
from t2t.planner.batches.catalogue import MAX_PER_BATCH, group
from t2t.planner.batches.checks import NamedBatch
from t2t.planner.batches.desire import (
    BatchDesire,
    batch_observed,
    needs_readd,
    next_step,
    step_call,
    utc_text,
)
from t2t.planner.batches.replacement import REMOVING, Moves, plan_moves, remove_user_action
from t2t.planner.checks import CATALOGUE, finding, run_checks
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.state import fingerprint
from t2t.state import parts as P
from t2t.state.endpoint_chain import endpoint_chain
from t2t.state.exchange import MigrationBatch, MigrationUser, Recipient

if TYPE_CHECKING:
    from t2t.spec import Desired, DesiredBatch

#: New-MigrationBatch -CSVData over app-only InvokeCommand (t2t/clients/wire.py).
WIRE_CREATE = ("WIRE-4",)


def wave_batch_index(wave: str, name: str) -> int | None:
    """1 for the wave's own name, N for `<wave>-NN`, None for another batch."""
    if name.lower() == wave.lower():
        return 1
    m = re.fullmatch(re.escape(wave.lower()) + r"-(\d{2,})", name.lower())
    return int(m.group(1)) if m else None


def _names(wave: str, existing: Sequence[int], chunks: int) -> list[str]:
    """Deterministic names for `chunks` new batches of a wave: the wave's own name when it is
    the only one; `<wave>-01`, `-02`, … when split; after existing ones, the next numbers."""
    if not existing:
        if chunks == 1:
            return [wave]
        return [f"{wave}-{i:02d}" for i in range(1, chunks + 1)]
    start = max(existing) + 1
    return [f"{wave}-{i:02d}" for i in range(start, start + chunks)]


def _has_proxy(r: Recipient, domain: str) -> bool:
    suffix = "@" + domain.lower()
    return any(a.lower().endswith(suffix) for a in (r.primary_smtp_address, *r.smtp_addresses))


def plan_batches(ctx: PlanContext) -> DomainOutcome:
    """Every wave, on the actions and findings of the domains planned before (alone, as if
    every prerequisite held)."""
    desired, snapshot = ctx.desired, ctx.snapshot
    prior_actions, prior_findings = ctx.prior_actions, ctx.prior_findings
    out = DomainOutcome()
    waves = [w for w in desired.batches]
    if not waves:
        return out
    tgt = snapshot.target
    batches = present(tgt.batches)
    users = present(tgt.migration_users)
    endpoints = present(tgt.endpoints)
    accepted = {a.domain_name.lower() for a in present(tgt.accepted_domains)}
    wanted = {a.lower() for w in waves for a in w.mailboxes}
    recipients: dict[str, Recipient] = {}
    for r in present(tgt.recipients):
        for addr in (r.primary_smtp_address, *r.smtp_addresses):
            if addr and addr.lower() in wanted and (addr.lower() not in recipients or r.is_mailbox):
                recipients[addr.lower()] = r
    by_batch: dict[str, list[MigrationUser]] = defaultdict(list)
    user_batch: dict[str, str] = {}
    for u in users:
        by_batch[u.batch_id.lower()].append(u)
        if u.status.lower() != REMOVING:  # on its way out of its batch: in none for a new one
            user_batch[u.identity.lower()] = u.batch_id
    chain = endpoint_chain(endpoints, desired.relationship.endpoint.name, desired.source.domain)
    endpoint_name = chain.in_use

    # What the other domains planned: per mailbox, and org-level.
    own: dict[str, list[Action]] = defaultdict(list)
    org_ids: list[str] = []
    org_blocked: list[str] = []
    endpoint_planned = False
    endpoint_blocked: list[str] = []
    for a in prior_actions:
        if a.kind in (
            K.MAILUSER_CREATE.name,
            K.MAILUSER_SET_IDENTITY.name,
            K.MAILUSER_HOLD_FOR_MIGRATION.name,
            K.USER_USAGE_LOCATION.name,
            K.LICENSE_ASSIGN.name,
        ):
            own[a.key].append(a)
            continue
        if a.kind.startswith("endpoint.") and a.key.lower() == endpoint_name.lower():
            endpoint_planned = a.kind == "endpoint.create"
            endpoint_blocked = list(a.blocked_by)
        if a.blocked:
            org_blocked.extend(a.blocked_by)
        else:
            org_ids.append(a.id)
    mailbox_blocks: dict[str, list[str]] = defaultdict(list)
    for f in prior_findings:
        if not f.blocking:
            continue
        scope = CATALOGUE[f.code].scope
        if scope == "mailbox":
            mailbox_blocks[f.object.lower()].append(f.code)
        elif scope in ("organization", "relationship"):
            org_blocked.append(f.code)
    endpoint_exists = any(e.identity.lower() == endpoint_name.lower() for e in endpoints)
    gate: list[str] = list(org_blocked)
    if not endpoint_exists and (not endpoint_planned or endpoint_blocked):
        out.findings.append(
            finding(
                "T2T-E401",
                "target",
                endpoint_name,
                "the migration endpoint does not exist"
                + (
                    f"; its creation is blocked by {', '.join(endpoint_blocked)}"
                    if endpoint_blocked
                    else " and nothing in the plan creates it"
                ),
                fixed_by_plan=False,
            )
        )
        gate.append("T2T-E401")

    plan = _Waves(
        desired=desired,
        out=out,
        gate=gate,
        org_ids=org_ids,
        own=own,
        mailbox_blocks=mailbox_blocks,
        recipients=recipients,
        batches=batches,
        by_batch=by_batch,
        user_batch=user_batch,
        accepted=accepted,
        endpoint_name=endpoint_name,
        replaced=chain.replaced_names,
    )
    for wave in waves:
        _plan_wave(plan, wave)
    return out


@dataclass
class _Waves:
    """What every wave of one plan is planned against: the other domains' outcome and the
    target's batches, migration users and recipients, indexed once."""

    desired: Desired
    out: DomainOutcome
    gate: list[str]
    """Org-level codes that hold every new batch."""
    org_ids: list[str]
    """Org-level actions every new batch waits for."""
    own: dict[str, list[Action]]
    """Per target address: the mailbox chain's actions."""
    mailbox_blocks: dict[str, list[str]]
    recipients: dict[str, Recipient]
    batches: tuple[MigrationBatch, ...]
    by_batch: dict[str, list[MigrationUser]]
    user_batch: dict[str, str]
    accepted: set[str]
    endpoint_name: str
    """The endpoint in use for the spec's (t2t/state/endpoint_chain.py)."""
    replaced: frozenset[str]
    """The spec's endpoints that point at the wrong tenant (lower case)."""


def _plan_wave(plan: _Waves, wave: DesiredBatch) -> None:
    named = sorted(
        (
            (i, b)
            for b in plan.batches
            if (i := wave_batch_index(wave.name, b.identity)) is not None
        ),
        key=lambda p: p[0],
    )
    mine, replaced = _check_named(plan, wave, named)
    if wave.phase == "prepare":
        for _, b in mine:
            plan.out.notices.append(
                f"batch {b.identity} exists ({b.status}) but {wave.name} is in phase prepare; "
                "t2t leaves it as it is."
            )
        return
    complete_after = (
        utc_text(wave.complete_after)
        if wave.phase == "complete" and wave.complete_after is not None
        else None
    )

    def desire(name: str, mailboxes: tuple[str, ...] = ()) -> BatchDesire:
        return BatchDesire(
            name=name,
            wave=wave.name,
            endpoint=plan.endpoint_name,
            target_delivery_domain=wave.target_delivery_domain,
            phase=wave.phase,  # type: ignore[arg-type]
            complete_after=complete_after,
            mailboxes=mailboxes,
        )

    # Existing batches of this wave: information, and the phase's next step.
    for _, b in mine:
        users_of_b = tuple(plan.by_batch.get(b.identity.lower(), ()))
        _plan_existing(desire(b.identity), b, users_of_b, plan.own, plan.org_ids, plan.out)

    # Batches on a replaced endpoint: their unfinished users leave them for a new sub-batch.
    after = (tuple(plan.org_ids), tuple(dict.fromkeys(plan.gate)))
    moves = plan_moves([b for _, b in replaced], plan.by_batch, desire, plan.out, after)

    # New mailboxes: ready ones go into new (sub-)batches.
    ready, removals = _ready_mailboxes(plan, wave, mine, desire, moves)
    if ready:
        _create_batches(plan, wave, named, ready, removals, desire)


Named = list[tuple[int, MigrationBatch]]


def _check_named(plan: _Waves, wave: DesiredBatch, named: Named) -> tuple[Named, Named]:
    """Every batch-scope check on each batch bearing the wave's name (batches/checks.py);
    the ones on the endpoint in use are the wave's own, those on a replaced endpoint the
    wave's to move."""
    mine: Named = []
    replaced: Named = []
    for i, b in named:
        subject = NamedBatch(wave, b, plan.endpoint_name, plan.replaced)
        plan.out.findings.extend(run_checks("batch", subject, b.identity))
        if subject.on_spec_endpoint:
            mine.append((i, b))
        elif subject.on_replaced_endpoint:
            replaced.append((i, b))
    return mine, replaced


def _ready_mailboxes(
    plan: _Waves,
    wave: DesiredBatch,
    mine: list[tuple[int, MigrationBatch]],
    desire: Callable[..., BatchDesire],
    moves: Moves,
) -> tuple[list[str], dict[str, str]]:
    """The wave's mailboxes that a new batch takes now, and the removal each re-added or
    moved one waits for; the others are left out with the reason."""
    out = plan.out
    tdd = wave.target_delivery_domain
    tdd_ok = tdd.lower() in plan.accepted
    wave_names = {b.identity.lower() for _, b in mine} | moves.batches
    readd = {
        u.identity.lower(): (b, u)
        for _, b in mine
        for u in plan.by_batch.get(b.identity.lower(), ())
        if needs_readd(u)
    }
    removals: dict[str, str] = {}  # address → the id of its Remove-MigrationUser
    ready: list[str] = []
    for address in wave.mailboxes:
        key = address.lower()
        in_batch = plan.user_batch.get(key)
        if key in readd:
            removal = _removal(desire(readd[key][0].identity), *readd[key], out)
            removals[key] = removal.id
        elif key in moves.removals:
            removals[key] = moves.removals[key]
        elif key in moves.held:
            continue
        elif in_batch is not None:
            if in_batch.lower() not in wave_names:
                out.findings.append(
                    finding(
                        "T2T-W404",
                        "target",
                        address,
                        f"already a migration user of batch {in_batch}; left out of {wave.name}",
                        fixed_by_plan=False,
                    )
                )
            continue
        current = plan.recipients.get(key)
        m = plan.desired.mailbox(key)
        actions = plan.own.get(key, [])
        codes = list(plan.mailbox_blocks.get(key, ()))
        if m is not None:
            codes += plan.mailbox_blocks.get(m.source_key, ())
        codes += [c for a in actions for c in a.blocked_by]
        if not codes and current is not None and current.is_mailbox:
            continue  # moved: the target holds the mailbox
        if codes:
            out.findings.append(
                finding(
                    "T2T-W407",
                    "target",
                    address,
                    f"left out of {wave.name}: blocked by {', '.join(dict.fromkeys(codes))}",
                    fixed_by_plan=False,
                )
            )
            continue
        adds_proxy = any(
            a.kind in (K.MAILUSER_CREATE.name, K.MAILUSER_SET_IDENTITY.name) for a in actions
        )
        if tdd_ok and not adds_proxy and (current is None or not _has_proxy(current, tdd)):
            out.findings.append(
                finding(
                    "T2T-E403",
                    "target",
                    address,
                    f"no proxy in {tdd}; left out of {wave.name}",
                    fixed_by_plan=False,
                )
            )
            continue
        ready.append(address)
    return ready, removals


def _create_batches(
    plan: _Waves,
    wave: DesiredBatch,
    named: list[tuple[int, MigrationBatch]],
    ready: list[str],
    removals: dict[str, str],
    desire: Callable[..., BatchDesire],
) -> None:
    """New-MigrationBatch per chunk of at most 2,000, named past every batch of the wave."""
    out = plan.out
    tdd = wave.target_delivery_domain
    blocked = list(plan.gate)
    if tdd.lower() not in plan.accepted:
        out.findings.append(
            finding(
                "T2T-E402",
                "target",
                tdd,
                f"{tdd} (batch {wave.name}) is not among the target's accepted domains",
                fixed_by_plan=False,
            )
        )
        blocked.append("T2T-E402")
    chunks = [ready[i : i + MAX_PER_BATCH] for i in range(0, len(ready), MAX_PER_BATCH)]
    names = _names(wave.name, [i for i, _ in named], len(chunks))  # past foreign ones too
    if len(chunks) > 1:
        out.findings.append(
            finding(
                "T2T-W405",
                "target",
                wave.name,
                f"{len(ready)} mailboxes → {', '.join(names)}",
                fixed_by_plan=True,
            )
        )
    per_mailbox = {a.lower(): [x.id for x in plan.own.get(a.lower(), [])] for a in ready}
    for name, chunk in zip(names, chunks, strict=True):
        d = desire(name, tuple(chunk))
        cmdlet, params = step_call(d, K.BATCH_CREATE.name)
        listed = list(chunk) if len(chunk) <= 20 else f"{len(chunk)} mailboxes"
        chunk_deps = [i for a in chunk for i in per_mailbox[a.lower()]]
        chunk_deps += [removals[a.lower()] for a in chunk if a.lower() in removals]
        out.actions.append(
            Action(
                id=action_id("target", K.BATCH_CREATE.name, name),
                tenant="target",
                kind=K.BATCH_CREATE.name,
                key=name,
                operation="create",
                cmdlet=cmdlet,
                parameters=params,
                changes=(
                    Change(field="Name", after=name),
                    Change(field="SourceEndpoint", after=plan.endpoint_name),
                    Change(field="Mailboxes", after=listed),
                    Change(field="TargetDeliveryDomain", after=tdd),
                    Change(field="AutoStart", after=True),
                    *(
                        (Change(field="CompleteAfter", after=d.complete_after),)
                        if d.complete_after
                        else ()
                    ),
                ),
                desired=d.to_dict(),
                observed=None,
                fingerprint=fingerprint(None),
                depends_on=tuple(dict.fromkeys((*plan.org_ids, *chunk_deps))),
                risk="disruptive",
                summary=f"create and start batch {name} ({len(chunk)} mailbox(es), wave "
                f"{wave.name}, phase {wave.phase})",
                blocked_by=tuple(dict.fromkeys(blocked)),
                unverified=WIRE_CREATE,
            )
        )


def _removal(d: BatchDesire, b: MigrationBatch, u: MigrationUser, out: DomainOutcome) -> Action:
    """Remove-MigrationUser for a user that needs removing and adding again (T2T-W411); the
    new sub-batch that takes it depends on this action."""
    out.findings.append(
        finding(
            "T2T-W411",
            "target",
            u.identity,
            f"{u.status} in batch {b.identity}: {u.error}; removed and added to a new sub-batch",
            fixed_by_plan=True,
        )
    )
    action = remove_user_action(
        d,
        b,
        u,
        f"remove migration user {u.identity} from batch {b.identity} (it failed with "
        f"{(u.error or '').split(':', 1)[0]}; Microsoft: remove it and add it to a new batch)",
    )
    out.actions.append(action)
    return action


def _plan_existing(
    d: BatchDesire,
    b: MigrationBatch,
    users: tuple[MigrationUser, ...],
    own: dict[str, list[Action]],
    org_ids: list[str],
    out: DomainOutcome,
) -> None:
    counts = Counter(u.status for u in users)
    detail = ", ".join(f"{s} {n}" for s, n in sorted(counts.items())) or "no users"
    out.notices.append(f"batch {b.identity}: {b.status}, {len(users)} user(s) ({detail}).")
    for status in sorted({b.status, *counts}):
        if group(status) == "unknown":
            out.findings.append(
                finding(
                    "T2T-W408",
                    "target",
                    b.identity,
                    f"status {status!r} is not one t2t knows; nothing is planned for it",
                    fixed_by_plan=False,
                )
            )
            return
    failed = [u for u in users if group(u.status) == "failed" and not needs_readd(u)]
    for u in failed:
        out.findings.append(
            finding(
                "T2T-W406",
                "target",
                u.identity,
                f"{u.status} in batch {b.identity}: {u.error or 'no ErrorSummary'}",
                fixed_by_plan=False,
            )
        )
    for u in users:
        if awaits_approval(u.status, u.data_consistency_score):
            detail = approval_detail(b.identity, u.data_consistency_score, u.items_skipped)
            out.findings.append(
                finding(AWAITING_APPROVAL.code, "target", u.identity, detail, fixed_by_plan=False)
            )
    step = next_step(d, b, users)
    if step is None:
        return
    observed = batch_observed(b)
    base = {
        "id": action_id("target", step, b.identity),
        "tenant": "target",
        "kind": step,
        "key": b.identity,
        "desired": d.to_dict(),
        "observed": observed,
        "fingerprint": fingerprint(observed),
        "risk": "disruptive",
        "unverified": ("WIRE-4",),
    }
    cmdlet, params = step_call(d, step)
    if step == K.BATCH_COMPLETE.name:
        action = Action(
            **base,
            operation="run",
            cmdlet=cmdlet,
            parameters=params,
            changes=(Change(field="Status", before=b.status, after="Completing"),),
            summary=f"complete batch {b.identity} (cut over its {len(users)} mailbox(es))",
        )
    elif step == K.BATCH_SET_COMPLETE_AFTER.name:
        action = Action(
            **base,
            operation="update",
            cmdlet=cmdlet,
            parameters=params,
            changes=(
                Change(field="CompleteAfter", before=b.complete_after, after=d.complete_after),
            ),
            summary=f"schedule batch {b.identity} to complete at {d.complete_after} "
            "(Microsoft completes it by itself)",
        )
    else:  # K.BATCH_START.name
        retry = [u for u in failed if group(u.status) == "failed"]
        retry += [u for u in users if group(u.status) == "stopped"]
        # A retry waits for every org-level fix too (a repaired endpoint credential, T2T-E236):
        # restarted before it, the users fail again at once.
        deps = [*org_ids]
        deps += [a.id for u in retry for a in own.get(u.identity.lower(), []) if not a.blocked]
        action = Action(
            **base,
            operation="run",
            cmdlet=cmdlet,
            parameters=params,
            changes=(Change(field="Status", before=b.status, after="Syncing"),),
            depends_on=tuple(deps),
            summary=f"restart batch {b.identity} (retries {len(retry)} failed or stopped user(s))",
        )
    out.actions.append(action)


BATCHES = Domain(
    name="batches",
    # A batch moves mailboxes on everything the other domains set up: it is planned only when
    # every part of both tenants is known.
    source_needs=P.read_from("source"),
    target_needs=P.read_from("target"),
    emits=frozenset(
        {
            K.BATCH_CREATE,
            K.BATCH_START,
            K.BATCH_COMPLETE,
            K.BATCH_SET_COMPLETE_AFTER,
            K.BATCH_REMOVE_USER,
            K.BATCH_REMOVE,
        }
    ),
    plan=plan_batches,
)
