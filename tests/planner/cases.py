"""Planner case folders: reading one, running its domain, and its plan.json.

A case is a folder ``tests/planner/cases/<domain>/<case>/`` (the domain is a name in
t2t/planner/plan.py ``DOMAINS``) holding:

- ``spec.yaml`` — a whole t2t spec, loaded with `t2t.spec.load_spec`;
- ``observed.json`` — both tenants in the form ``t2t show --format json`` writes
  (`t2t.state.load.snapshot_from_json`). A part the file does not list was read and holds
  nothing (``whole`` below, the semantics of tests/planner/observed.py `whole_tenant`): the
  organization is a hydrated ``OrganizationConfig(name=<role>)``, the target's domains are its
  accepted domains, verified (observed.py `verified_domains`), every other part present and
  empty. So a case lists only what exists, and a real ``t2t show --format json`` drops in as is;
- ``options.json`` (optional) — the plan's command-line options, as PlanContext fields:
  ``{"allow_destroy": true}`` is ``t2t plan --allow-destroy``;
- ``prior.json`` (batches and retired_endpoints only, optional) — what the domains before
  it planned: ``{"actions": [{"kind", "key", "tenant"?, "blocked_by"?}], "findings": [{"code",
  "tenant"?, "object"}]}`` (tenant defaults to target);
- ``plan.json`` — the domain's whole outcome (`plan_json`): every action whole (id, kind, key,
  tenant, operation, cmdlet, parameters, depends_on, blocked_by, unverified, risk, changes,
  summary, desired, observed, fingerprint), every finding (code,
  tenant, object, message, fixed_by_plan), the notices, and the snapshot's unknowns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from t2t.planner.actions import Action
from t2t.planner.checks import Finding, finding
from t2t.planner.context import PlanContext
from t2t.planner.domain import DomainOutcome, action_id, plan_domain
from t2t.planner.plan import DOMAINS
from t2t.spec import Desired, load_spec
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState
from t2t.state import parts as P
from t2t.state.load import snapshot_from_json
from tests.planner.observed import verified_domains

ROOT = Path(__file__).parent / "cases"
BY_DOMAIN = {d.name: d for d in DOMAINS}
ACTION_FIELDS = (
    "id",
    "kind",
    "key",
    "tenant",
    "operation",
    "cmdlet",
    "parameters",
    "depends_on",
    "blocked_by",
    "unverified",
    "risk",
    "changes",
    "summary",
    "desired",
    "observed",
    "fingerprint",
)
FINDING_FIELDS = ("code", "tenant", "object", "message", "fixed_by_plan")


@dataclass(frozen=True)
class Case:
    path: Path

    @property
    def domain(self) -> str:
        return self.path.parent.name

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path.name}"

    def spec(self) -> Desired:
        return load_spec(self.path / "spec.yaml", check_git=False)

    def snapshot(self) -> Snapshot:
        return whole(snapshot_from_json((self.path / "observed.json").read_bytes()))

    def prior(self) -> tuple[list[Action], list[Finding]]:
        path = self.path / "prior.json"
        if not path.exists():
            return [], []
        return prior_from(json.loads(path.read_text(encoding="utf-8")))

    def options(self) -> dict[str, bool]:
        path = self.path / "options.json"
        if not path.exists():
            return {}
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def context(self) -> PlanContext:
        actions, findings = self.prior()
        return PlanContext(self.spec(), self.snapshot(), actions, findings, **self.options())

    def outcome(self) -> DomainOutcome:
        return plan_domain(BY_DOMAIN[self.domain], self.context())

    def expected(self) -> dict[str, Any]:
        return dict(json.loads((self.path / "plan.json").read_text(encoding="utf-8")))


def all_cases(domain: str | None = None) -> list[Case]:
    pattern = f"{domain or '*'}/*/spec.yaml"
    return [Case(p.parent) for p in sorted(ROOT.glob(pattern))]


def default_fact(role: str, part: P.Part) -> Fact[Any]:
    """What a part the case does not list holds: read, and empty (the organization hydrated)."""
    if part is P.ORGANIZATION:
        return Fact.present(OrganizationConfig(name=role, is_dehydrated=False))
    return Fact.present(())


def _whole_tenant(tenant: TenantState) -> TenantState:
    missing = {
        p.name: default_fact(tenant.role, p)
        for p in P.read_from(tenant.role)
        if P.fact_of(tenant, p) is None
    }
    if P.DOMAINS.name in missing:
        missing[P.DOMAINS.name] = verified_domains(
            missing.get(P.ACCEPTED_DOMAINS.name) or tenant.accepted_domains
        )
    return replace(tenant, **missing)


def whole(snapshot: Snapshot) -> Snapshot:
    """Every part each tenant is read for: those not read are read and empty."""
    return replace(
        snapshot,
        source=_whole_tenant(snapshot.source),
        target=_whole_tenant(snapshot.target),
    )


def prior_from(prior: dict[str, Any]) -> tuple[list[Action], list[Finding]]:
    """The actions and findings of the domains before batches, as a case names them."""
    actions = [
        Action(
            id=action_id(a.get("tenant", "target"), a["kind"], a["key"]),
            tenant=a.get("tenant", "target"),
            kind=a["kind"],
            key=a["key"],
            operation="update",
            cmdlet="X",
            parameters={},
            fingerprint="",
            blocked_by=tuple(a.get("blocked_by", ())),
        )
        for a in prior.get("actions", [])
    ]
    findings = [
        finding(f["code"], f.get("tenant", "target"), f["object"], "", fixed_by_plan=False)
        for f in prior.get("findings", [])
    ]
    return actions, findings


def plan_json(outcome: DomainOutcome, snapshot: Snapshot) -> dict[str, Any]:
    """A domain's outcome as plan.json holds it."""
    return {
        "actions": [a.model_dump(mode="json", include=set(ACTION_FIELDS)) for a in outcome.actions],
        "findings": [
            f.model_dump(mode="json", include=set(FINDING_FIELDS)) for f in outcome.findings
        ],
        "notices": list(outcome.notices),
        "unknowns": [
            {"tenant": t, "what": what, "reason": why} for t, what, why in snapshot.unknowns()
        ],
    }


def _ordered(item: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    return {k: item[k] for k in order}


def render_plan(plan: dict[str, Any]) -> str:
    """plan.json's text: fields in a fixed order, so a regenerated file diffs cleanly."""
    data = {
        "actions": [_ordered(a, ACTION_FIELDS) for a in plan["actions"]],
        "findings": [_ordered(f, FINDING_FIELDS) for f in plan["findings"]],
        "notices": plan["notices"],
        "unknowns": plan["unknowns"],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
