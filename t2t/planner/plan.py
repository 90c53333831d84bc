"""The planner: (Desired, Snapshot) → Plan. Pure; no I/O, no clients.

Unknown state plans nothing on top of it (lessons-from-peers.md §1): a side whose relationships
could not be read gets no action and the plan exits with its own code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.main import IncEx

from t2t import progress
from t2t.planner.actions import Action, Role
from t2t.planner.batches import BATCHES
from t2t.planner.checks import CATALOGUE, Finding
from t2t.planner.clouds import CLOUDS
from t2t.planner.clouds import CODE as CROSS_CLOUD
from t2t.planner.consent import CONSENT
from t2t.planner.context import PlanContext
from t2t.planner.delegates import DELEGATES
from t2t.planner.domain import Domain, plan_domain
from t2t.planner.endpoint import ENDPOINT
from t2t.planner.invitation import INVITATION
from t2t.planner.key_vault import KEY_VAULT
from t2t.planner.mailboxes import MAILBOXES
from t2t.planner.migration_app import MIGRATION_APP
from t2t.planner.organization import ORGANIZATION
from t2t.planner.own_identity import apply_permissions
from t2t.planner.relationships import RELATIONSHIPS
from t2t.planner.retired_endpoints import RETIRED_ENDPOINTS
from t2t.planner.scope_groups import SCOPE_GROUPS
from t2t.state import Snapshot, fingerprint

if TYPE_CHECKING:
    from t2t.spec import Desired

PLAN_FORMAT = 1

#: `t2t plan` exit codes. 0/1/2 as Terraform's -detailed-exitcode; 3, 4 and 6 are t2t's own so
#: CI can tell a blocked plan, a blind one and one that leaves mailboxes behind from drift
#: (lessons-from-peers.md §2). 5 is apply's "run again" (t2t/cli/app.py).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3
EXIT_UNKNOWN = 4
#: Only mailboxes are blocked (mailbox-scope checks): each is left out of its wave and
#: everything else — the organization steps, the other mailboxes, the batches — can run.
EXIT_LEFT_OUT = 6


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
    waves: tuple[str, ...] = ()
    """The waves the plan is limited to (`--wave`); empty: all of them."""

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
            mailboxes_only = all(CATALOGUE[f.code].scope == "mailbox" for f in self.blocking)
            return EXIT_LEFT_OUT if mailboxes_only else EXIT_BLOCKED
        if detailed and self.runnable:
            return EXIT_CHANGES
        return EXIT_OK


#: The planner's domains, in the order their actions are listed.
DOMAINS: tuple[Domain, ...] = (
    CLOUDS,
    ORGANIZATION,
    MIGRATION_APP,
    KEY_VAULT,
    CONSENT,
    INVITATION,
    SCOPE_GROUPS,
    RELATIONSHIPS,
    ENDPOINT,
    MAILBOXES,
    DELEGATES,
    BATCHES,
    RETIRED_ENDPOINTS,
)

#: What the planner reads from each tenant; probes read nothing more.
SOURCE_NEEDS = frozenset().union(*(d.source_needs for d in DOMAINS))
TARGET_NEEDS = frozenset().union(*(d.target_needs for d in DOMAINS))


def build_plan(
    desired: Desired,
    snapshot: Snapshot,
    *,
    rotate_credential: bool = False,
    allow_destroy: bool = False,
) -> Plan:
    """Compare the spec with both tenants and return checks plus ordered actions;
    `rotate_credential` (--rotate-credential) rotates the endpoint's credential now,
    `allow_destroy` (--allow-destroy) removes what t2t replaced."""
    actions: list[Action] = []
    findings: list[Finding] = []
    notices: list[str] = []
    unknowns = [Unknown(tenant=t, what=w, reason=r) for t, w, r in snapshot.unknowns()]
    ctx = PlanContext(
        desired,
        snapshot,
        prior_actions=actions,
        prior_findings=findings,
        rotate_credential=rotate_credential,
        allow_destroy=allow_destroy,
    )
    # Shown as one progress task (t2t/progress.py): a step per domain, and one per declared
    # mailbox, which the mailboxes domain steps (nearly all of a large plan's time).
    with progress.task("planning", total=len(DOMAINS) + len(desired.mailboxes), unit="steps"):
        for domain in DOMAINS:
            outcome = plan_domain(domain, ctx.view(domain))
            actions.extend(outcome.actions)
            findings.extend(outcome.findings)
            notices.extend(outcome.notices)
            progress.step()
    if any(f.code == CROSS_CLOUD for f in findings):  # nothing written in either tenant
        actions[:] = [
            a.model_copy(update={"blocked_by": (*a.blocked_by, CROSS_CLOUD)}) for a in actions
        ]
    permissions, missing = apply_permissions(actions, snapshot)
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
        waves=desired.waves,
    )


#: Where the spec and each of its entries were written (file, line): not what they say. A
#: spec moved to another folder, or a comment added above a mailbox, leaves a saved plan valid.
_WHERE: dict[str, IncEx | bool] = {
    "spec_path": True,
    "mailboxes": {"__all__": {"origin"}},
    "batches": {"__all__": {"origin"}},
}


def spec_fingerprint(desired: Desired) -> str:
    """Everything the spec resolved to (CSV contents included), so a saved plan can tell
    that the spec changed since it was made."""
    return fingerprint(desired.model_dump(mode="json", exclude=_WHERE))
