"""Whole snapshots for planner tests: a case names what exists, and every other part the
tenant is read for (t2t/state/parts.py) was read and holds nothing.

Why whole: `plan_domain` runs a domain only when every part it needs is known, as `t2t plan`
reads them all; a hand-made snapshot that leaves a part out would be a snapshot t2t never
plans on.
"""

from __future__ import annotations

from typing import Any

from t2t.state import Fact, OrganizationConfig, Role, TenantState
from t2t.state import parts as P
from t2t.state.directory import Domain


def verified_domains(accepted: Fact[Any] | None) -> Fact[Any]:
    """The target's Graph /domains when a test names only its accepted domains: those, verified
    (Exchange Online accepts a domain only once it is verified in the tenant; the sandbox's seed
    holds the same rule). A test about an unverified domain lists the domains part itself."""
    names = [a.domain_name for a in (accepted.value or ())] if accepted is not None else []
    return Fact.present(
        tuple(Domain(name=n, is_verified=True, is_initial=False, is_default=False) for n in names)
    )


def whole_tenant(role: str, tenant_id: str | None = None, **given: Any) -> TenantState:
    """``given`` parts as they are (a Fact) or present with these records; the rest empty."""
    facts: dict[str, Any] = {}
    for part in P.read_from(role):  # type: ignore[arg-type]
        if part.name in given:
            value = given[part.name]
            facts[part.name] = value if isinstance(value, Fact) else Fact.present(tuple(value))
        elif part is P.ORGANIZATION:
            facts[part.name] = Fact.present(OrganizationConfig(name=role, is_dehydrated=False))
        elif part is P.DOMAINS:
            continue  # from the accepted domains, below
        else:
            facts[part.name] = Fact.present(())
    if P.DOMAINS in P.read_from(role) and P.DOMAINS.name not in facts:  # type: ignore[arg-type]
        facts[P.DOMAINS.name] = verified_domains(facts.get(P.ACCEPTED_DOMAINS.name))
    unknown = set(given) - set(facts)
    if unknown:
        raise ValueError(f"parts not read from the {role}: {sorted(unknown)}")
    r: Role = role  # type: ignore[assignment]
    return TenantState(role=r, tenant_id=tenant_id or role, **facts)
