"""The migration app domain (target): registers or fixes the app the spec names.

What the app must be, and how it is found and diffed, is shared with every domain that names
it (t2t/planner/shared/app.py), resolved once per plan (`PlanContext.app`).
"""

from __future__ import annotations

from t2t.planner import kinds as K
from t2t.planner.context import APP, PlanContext
from t2t.planner.domain import Domain, DomainOutcome


def plan_migration_app(ctx: PlanContext) -> DomainOutcome:
    out = DomainOutcome(findings=list(ctx.app_role_findings))
    outcome = ctx.app_outcome
    out.findings.extend(outcome.findings)
    if outcome.action is not None:
        out.actions.append(outcome.action)
    return out


MIGRATION_APP = Domain(
    name="migration_app",
    source_needs=frozenset(),
    target_needs=frozenset(),
    uses=(APP,),
    emits=frozenset({K.APP_CREATE, K.APP_UPDATE}),
    plan=plan_migration_app,
)
