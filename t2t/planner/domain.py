"""How the planner is split: one domain per group of objects, each a pure function.

A domain names the parts of the snapshot it reads (`Part`s, t2t/state/parts.py) and returns
actions and findings. It runs only when every part it names was read and is known: unknown
state plans nothing on top of it (lessons-from-peers.md §1), and `plan_domain` — not the
domain — enforces that, so no domain carries its own guard. Action ids are `tenant:kind:key`
(see `action_id`), so one domain can depend on another's action without importing it — e.g.
the source relationship waits for the scope group.

A part the probes do not read for this spec is not blind: the Azure parts are read only in
keyVaultCertificate mode (`unread_for`), so a domain that needs them for that mode still runs
in clientSecret mode and finds them None there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from t2t.planner.actions import Action, Role
from t2t.planner.checks import Finding
from t2t.planner.kinds import ActionKind, within_risk
from t2t.state.parts import PARTS, Part, fact_of, read_from
from t2t.state.presence import Fact

T = TypeVar("T")

if TYPE_CHECKING:
    from t2t.planner.context import PlanContext
    from t2t.spec import Desired
    from t2t.state import Snapshot


def unread_for(desired: Desired) -> frozenset[Part]:
    """The parts the probes do not read for this spec: the Azure ones (the target's resource
    group, vault and certificate) unless it asks for the Key Vault certificate credential
    (`ProbeRequest.key_vault`, set by t2t/cli/app.py `probe_request` in that mode only)."""
    rel = desired.relationship
    if rel.credential == "keyVaultCertificate" and rel.key_vault is not None:
        return frozenset()
    return frozenset(p for p in PARTS if p.service == "azure")


def present(fact: Fact[tuple[T, ...]] | None) -> tuple[T, ...]:
    """The records of a part the calling domain names in its needs.

    `plan_domain` runs a domain only when its parts are known, so a part that is not is a
    part the domain reads without naming it: a bug, raised rather than planned around.
    """
    if fact is None or fact.status == "unknown":
        raise LookupError("a domain read a part it does not name in its needs")
    return fact.value or ()


def action_id(tenant: Role, kind: str, key: str) -> str:
    """The stable id of an action: the same object and step always get the same id."""
    return f"{tenant}:{kind}:{key}"


@dataclass
class DomainOutcome:
    actions: list[Action] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Resolution:
    """Something several domains resolve from the snapshot (t2t/planner/context.py), and the
    parts it reads: a domain using it needs them too."""

    name: str
    source: frozenset[Part]
    target: frozenset[Part]


@dataclass(frozen=True)
class Domain:
    """One planner domain: its name, the snapshot parts it reads (its own and those of the
    shared resolutions it uses), the kinds of action it may emit, and its plan function."""

    name: str
    source_needs: frozenset[Part]
    target_needs: frozenset[Part]
    plan: Callable[[PlanContext], DomainOutcome]
    emits: frozenset[ActionKind] = frozenset()
    uses: tuple[Resolution, ...] = ()
    #: A domain that builds on the others (batches) reads `PlanContext.prior_actions`.
    explain_blind: Callable[[PlanContext], list[Finding]] | None = None
    """When the gate skips the domain: the findings that say why, with a check's fix (e.g. a
    subscription t2t's identity cannot reach), beside the gate's notice. It reads only the
    domain's own parts, which may be unknown there."""

    def __post_init__(self) -> None:
        source = self.source_needs.union(*(r.source for r in self.uses))
        target = self.target_needs.union(*(r.target for r in self.uses))
        object.__setattr__(self, "source_needs", source)
        object.__setattr__(self, "target_needs", target)
        for role, needs in (("source", self.source_needs), ("target", self.target_needs)):
            foreign = sorted(p.name for p in needs - read_from(role))  # type: ignore[arg-type]
            if foreign:
                raise ValueError(
                    f"domain {self.name} needs {foreign} from the {role}, "
                    "where they are not read (t2t/state/parts.py)"
                )

    def blind_spots(
        self, snapshot: Snapshot, unread: frozenset[Part] = frozenset()
    ) -> list[tuple[Role, Part]]:
        """The parts this domain needs that were not read or could not be read; a part in
        `unread` (not read for this spec: `unread_for`) only when it is unknown."""
        out: list[tuple[Role, Part]] = []
        for role, needs in (("source", self.source_needs), ("target", self.target_needs)):
            tenant = snapshot.tenant(role)  # type: ignore[arg-type]
            for part in sorted(needs, key=lambda p: p.name):
                fact = fact_of(tenant, part)
                if (fact is None and part not in unread) or (
                    fact is not None and fact.status == "unknown"
                ):
                    out.append((role, part))  # type: ignore[arg-type]
        return out


def plan_domain(domain: Domain, ctx: PlanContext) -> DomainOutcome:
    """One domain's outcome, or nothing (and a notice) when a part it needs is blind.

    An action of a kind the domain does not declare, or riskier than its kind allows, is a
    planner bug: raised, never planned.
    """
    blind = domain.blind_spots(ctx.snapshot, unread_for(ctx.desired))
    if blind:
        parts = ", ".join(f"{role} {part}" for role, part in blind)
        explain = domain.explain_blind
        return DomainOutcome(
            findings=explain(ctx if ctx.uses is not None else ctx.view(domain)) if explain else [],
            notices=[f"{domain.name}: nothing planned, because t2t could not read {parts}"],
        )
    outcome = domain.plan(ctx if ctx.uses is not None else ctx.view(domain))
    emits = {k.name: k for k in domain.emits}
    for action in outcome.actions:
        kind = emits.get(action.kind)
        if kind is None:
            raise AssertionError(f"domain {domain.name} planned {action.kind}, not in its emits")
        if not within_risk(kind, action.risk):
            raise AssertionError(f"{action.id} is {action.risk}; {kind} may be {kind.risk}")
    return outcome
