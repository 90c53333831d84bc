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


def whole_tenant(role: str, tenant_id: str | None = None, **given: Any) -> TenantState:
    """``given`` parts as they are (a Fact) or present with these records; the rest empty."""
    facts: dict[str, Any] = {}
    for part in P.read_from(role):  # type: ignore[arg-type]
        if part.name in given:
            value = given[part.name]
            facts[part.name] = value if isinstance(value, Fact) else Fact.present(tuple(value))
        elif part is P.ORGANIZATION:
            facts[part.name] = Fact.present(OrganizationConfig(name=role, is_dehydrated=False))
        else:
            facts[part.name] = Fact.present(())
    unknown = set(given) - set(facts)
    if unknown:
        raise ValueError(f"parts not read from the {role}: {sorted(unknown)}")
    r: Role = role  # type: ignore[assignment]
    return TenantState(role=r, tenant_id=tenant_id or role, **facts)
