"""The consent domain: consent to the migration app in both tenants (microsoft-t2t.md §3.0
steps 2–3, §3.3). What consent is and how it is planned is shared with the endpoint, which
waits for it: t2t/planner/shared/consent.py, resolved once per plan (`PlanContext.consent`).
"""

from __future__ import annotations

from t2t.planner import kinds as K
from t2t.planner.context import CONSENT as CONSENT_RESOLUTION
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, DomainOutcome


def plan_consent_domain(ctx: PlanContext) -> DomainOutcome:
    return ctx.consent


CONSENT = Domain(
    name="consent",
    source_needs=frozenset(),
    target_needs=frozenset(),
    uses=(CONSENT_RESOLUTION,),
    emits=frozenset({K.CONSENT_GRANT, K.CONSENT_AWAIT}),
    plan=plan_consent_domain,
)
