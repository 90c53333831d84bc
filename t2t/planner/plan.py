"""The planner: (Desired, Snapshot) → Plan. Pure; no I/O, no clients.

Unknown state plans nothing on top of it (lessons-from-peers.md §1): a side whose relationships
could not be read gets no action and the plan exits with its own code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from t2t.planner.actions import Action, Role
from t2t.planner.batches import BATCHES
from t2t.planner.checks import Finding, finding
from t2t.planner.consent import CONSENT
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, plan_domain
from t2t.planner.endpoint import ENDPOINT
from t2t.planner.invitation import INVITATION
from t2t.planner.kinds import needed_to_apply
from t2t.planner.mailboxes import MAILBOXES
from t2t.planner.migration_app import MIGRATION_APP
from t2t.planner.organization import ORGANIZATION
from t2t.planner.relationships import RELATIONSHIPS
from t2t.planner.scope_groups import SCOPE_GROUPS
from t2t.state import Snapshot, fingerprint
from t2t.state.model import EXCHANGE_WID
from t2t.state.parts import PARTS, fact_of
from t2t.state.permissions import EXCHANGE_WRITE_DIRECTORY_ROLES, Permission

if TYPE_CHECKING:
    from t2t.spec import Desired

PLAN_FORMAT = 1

#: `t2t plan` exit codes. 0/1/2 as Terraform's -detailed-exitcode; 3 and 4 are t2t's own so CI
#: can tell a blocked plan and a blind one from drift (lessons-from-peers.md §2).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3
EXIT_UNKNOWN = 4


class Unknown(BaseModel):
    """A part of a tenant that could not be read, and why."""

    model_config = ConfigDict(frozen=True)

    tenant: Role
    what: str
    reason: str


class Plan(BaseModel):
    """Checks, actions and blind spots: everything `plan` shows and `apply` executes."""

    model_config = ConfigDict(frozen=True)

    format: Literal[1] = 1
    spec_name: str
    spec_path: str
    source_tenant: str
    target_tenant: str
    actions: tuple[Action, ...]
    findings: tuple[Finding, ...]
    unknowns: tuple[Unknown, ...]
    notices: tuple[str, ...] = ()
    permissions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    spec_fingerprint: str = ""

    @property
    def runnable(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if not a.blocked)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    def exit_code(self, *, detailed: bool) -> int:
        if self.unknowns:
            return EXIT_UNKNOWN
        if self.blocking:
            return EXIT_BLOCKED
        if detailed and self.runnable:
            return EXIT_CHANGES
        return EXIT_OK


#: The planner's domains, in the order their actions are listed.
DOMAINS: tuple[Domain, ...] = (
    ORGANIZATION,
    MIGRATION_APP,
    CONSENT,
    INVITATION,
    SCOPE_GROUPS,
    RELATIONSHIPS,
    ENDPOINT,
    MAILBOXES,
    BATCHES,
)

#: What the planner reads from each tenant; probes read nothing more.
SOURCE_NEEDS = frozenset().union(*(d.source_needs for d in DOMAINS))
TARGET_NEEDS = frozenset().union(*(d.target_needs for d in DOMAINS))


def build_plan(desired: Desired, snapshot: Snapshot) -> Plan:
    """Compare the spec with both tenants and return checks plus ordered actions."""
    actions: list[Action] = []
    findings: list[Finding] = []
    notices: list[str] = []
    unknowns = [Unknown(tenant=t, what=w, reason=r) for t, w, r in snapshot.unknowns()]
    ctx = PlanContext(desired, snapshot, prior_actions=actions, prior_findings=findings)
    for domain in DOMAINS:
        outcome = plan_domain(domain, ctx.view(domain))
        actions.extend(outcome.actions)
        findings.extend(outcome.findings)
        notices.extend(outcome.notices)
    permissions, missing = _apply_permissions(actions, snapshot)
    findings.extend(missing)
    return Plan(
        spec_name=desired.name,
        spec_path=desired.spec_path,
        source_tenant=desired.source.tenant_id,
        target_tenant=desired.target.tenant_id,
        actions=tuple(actions),
        findings=tuple(findings),
        unknowns=tuple(unknowns),
        notices=tuple(notices),
        permissions=permissions,
        spec_fingerprint=spec_fingerprint(desired),
    )


def spec_fingerprint(desired: Desired) -> str:
    """Everything the spec resolved to (CSV contents included), so a saved plan can tell
    that the spec changed since it was made."""
    return fingerprint(desired.model_dump(mode="json", exclude={"spec_path"}))


def _lacks_exchange_role(
    have: set[str], perms: tuple[Permission, ...], exchange_unreadable: bool
) -> bool:
    """Exchange writes are planned (or Exchange could not be read, so none could be planned),
    the Exchange token was seen, and it carries no directory role that allows writes (an
    Exchange role group is invisible in a token: hence a warning)."""
    writes = any(p.service == "exchange" and p.kind == "exchange-role-group" for p in perms)
    if not (writes or exchange_unreadable):
        return False
    if not any(h.startswith("exchange:") for h in have):
        return False
    wids = {h.removeprefix(EXCHANGE_WID) for h in have if h.startswith(EXCHANGE_WID)}
    return not wids & EXCHANGE_WRITE_DIRECTORY_ROLES


def _exchange_unreadable(snapshot: Snapshot, role: str) -> bool:
    tenant = snapshot.tenant(role)  # type: ignore[arg-type]
    return any(
        fact is not None and fact.status == "unknown"
        for fact in (fact_of(tenant, p) for p in PARTS if p.service == "exchange")
    )


def _apply_permissions(
    actions: list[Action], snapshot: Snapshot
) -> tuple[dict[str, tuple[str, ...]], list[Finding]]:
    """What apply needs per tenant, and a warning per application permission not held.

    Exchange role groups cannot be seen from a token; they are listed, not checked.
    """
    needs: dict[str, tuple[str, ...]] = {}
    missing: list[Finding] = []
    for role in ("source", "target"):
        kinds = {a.kind for a in actions if a.tenant == role and not a.blocked}
        perms = needed_to_apply(kinds)
        if perms:
            needs[role] = tuple(str(p) for p in perms)
        held = snapshot.tenant(role).identity_roles
        if held is None or held.status != "present":
            continue
        have = set(held.get())
        if _lacks_exchange_role(have, perms, _exchange_unreadable(snapshot, role)):
            missing.append(
                finding(
                    "T2T-W121",
                    role,
                    "Exchange RBAC",
                    f"t2t's Exchange token in the {role} tenant holds neither the Exchange "
                    "Administrator nor the Global Administrator role: unless its app is in an "
                    "Exchange role group, Exchange refuses its writes with 403",
                    fixed_by_plan=False,
                )
            )
        for perm in perms:
            if perm.kind == "app-role" and f"{perm.service}:{perm.name}" not in have:
                missing.append(
                    finding(
                        "T2T-W120",
                        role,
                        perm.name,
                        f"apply needs {perm} in the {role} tenant; t2t's identity lacks it",
                        fixed_by_plan=False,
                    )
                )
    return needs, missing
