"""The spec's endpoints that point at the wrong tenant, once replaced (T2T-E232;
t2t/state/endpoint_chain.py): removed with `Remove-MigrationEndpoint` only when asked
(`--allow-destroy`) and only once no batch uses them.

Why wait for the batches: the sandbox refuses to remove an endpoint a batch names
(MigrationEndpointInUseException) and nothing Microsoft publishes says Exchange does otherwise
(Remove-MigrationEndpoint reference: Identity, Confirm, DomainController, Partition, WhatIf;
docs/failure-catalogue-research.md R12). A batch whose users completed keeps the endpoint in
use: t2t never removes such a batch (it holds the move's report), so the notice says to remove
it by hand when it is no longer needed. Without --allow-destroy the old endpoint stays and the
plan says, as a notice, that it can go — Terraform's way: nothing is destroyed unless asked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.state import fingerprint
from t2t.state import parts as P
from t2t.state.endpoint_chain import EndpointChain, endpoint_chain
from t2t.state.exchange import MigrationBatch, MigrationEndpoint

#: The option that lets a plan remove what it replaced (plan and apply).
ALLOW_DESTROY = "--allow-destroy"


@dataclass(frozen=True)
class RetiredEndpoint:
    """What `endpoint.remove` removes and why it may: `name` points at another tenant than
    `remote_tenant` (the source domain) and `replaced_by` does not (its executor re-checks)."""

    name: str
    replaced_by: str
    remote_tenant: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetiredEndpoint:
        return cls(
            name=data["name"], replaced_by=data["replaced_by"], remote_tenant=data["remote_tenant"]
        )


def plan_retired_endpoints(ctx: PlanContext) -> DomainOutcome:
    desired = ctx.desired
    target = ctx.snapshot.target
    out = DomainOutcome()
    endpoints = present(target.endpoints)
    chain = endpoint_chain(endpoints, desired.relationship.endpoint.name, desired.source.domain)
    batches = present(target.batches)
    for old in chain.replaced:
        using = [b for b in batches if (b.source_endpoint or "").lower() == old.identity.lower()]
        head = (
            f"endpoint {old.identity} (RemoteTenant {old.remote_tenant or 'not set'}) is "
            f"replaced by {chain.in_use}"
        )
        if using:
            out.notices.append(f"{head}; {_in_use(using)}")
        elif not ctx.allow_destroy:
            out.notices.append(
                f"{head} and no batch uses it: t2t apply {ALLOW_DESTROY} removes it "
                f"(Remove-MigrationEndpoint -Identity {old.identity})."
            )
        else:
            out.actions.append(_remove(ctx, chain, old))
    return out


def _in_use(using: list[MigrationBatch]) -> str:
    """Why the old endpoint cannot go yet: the batches that name it."""
    named = ", ".join(f"{b.identity} ({b.status})" for b in using)
    return (
        f"batch(es) {named} still use it, so it is not removed; once none does, t2t apply "
        f"{ALLOW_DESTROY} removes it (t2t moves a wave's unfinished users off it, and never "
        "removes a batch whose users completed: Remove-MigrationBatch by hand once its report "
        "is no longer needed)."
    )


def _remove(ctx: PlanContext, chain: EndpointChain, old: MigrationEndpoint) -> Action:
    """Remove-MigrationEndpoint, after the replacement's creation when this plan makes it."""
    creating = [
        a
        for a in ctx.prior_actions
        if a.kind == K.ENDPOINT_CREATE.name and a.key.lower() == chain.in_use.lower()
    ]
    observed = {
        "Identity": old.identity,
        "EndpointType": old.endpoint_type,
        "RemoteTenant": old.remote_tenant,
        "ApplicationId": old.application_id,
    }
    return Action(
        id=action_id("target", K.ENDPOINT_REMOVE.name, old.identity),
        tenant="target",
        kind=K.ENDPOINT_REMOVE.name,
        key=old.identity,
        operation="delete",
        cmdlet="Remove-MigrationEndpoint",
        parameters={"Identity": old.identity},
        changes=(Change(field="RemoteTenant", before=old.remote_tenant, after=None),),
        desired=RetiredEndpoint(old.identity, chain.in_use, ctx.desired.source.domain).to_dict(),
        observed=observed,
        fingerprint=fingerprint(observed),
        depends_on=tuple(a.id for a in creating),
        blocked_by=tuple(dict.fromkeys(c for a in creating for c in a.blocked_by)),
        risk="destructive",
        summary=f"remove the migration endpoint {old.identity!r} (RemoteTenant "
        f"{old.remote_tenant or 'not set'}, replaced by {chain.in_use!r}; no batch uses it)",
    )


RETIRED_ENDPOINTS = Domain(
    name="retired_endpoints",
    source_needs=frozenset(),
    target_needs=frozenset({P.ENDPOINTS, P.BATCHES}),
    emits=frozenset({K.ENDPOINT_REMOVE}),
    plan=plan_retired_endpoints,
)
