"""Data-driven planner cases for the organization-level domains (organization, migration_app,
consent, invitation, scope_groups, endpoint, and the relationships' new dependencies).

Each JSON file under orgsetup/ names an example spec, the observed parts of both tenants as
Graph / Exchange records (parsed by the probes' own parsers), the domain to run, and the
expected actions (id, blocked_by, depends_on) and finding codes. Adding a case = adding a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from t2t.planner.consent import CONSENT
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, plan_domain
from t2t.planner.endpoint import ENDPOINT
from t2t.planner.invitation import INVITATION
from t2t.planner.migration_app import MIGRATION_APP
from t2t.planner.organization import ORGANIZATION
from t2t.planner.relationships import RELATIONSHIPS
from t2t.planner.scope_groups import SCOPE_GROUPS
from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.probes import parse_relationship
from t2t.probes.endpoints import with_test
from t2t.spec import load_spec
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((Path(__file__).parent / "orgsetup").glob("*.json"))
DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        ORGANIZATION,
        MIGRATION_APP,
        CONSENT,
        INVITATION,
        SCOPE_GROUPS,
        RELATIONSHIPS,
        ENDPOINT,
    )
}
SPECS = {
    "contoso-to-fabrikam": load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml"),
    "merger": load_spec(ROOT / "specs" / "contoso-fabrikam-merger.yaml"),
}
PARSERS: dict[str, Any] = {
    "applications": d.parse_application,
    "service_principals": d.parse_service_principal,
    "app_role_assignments": d.parse_assignment,
    "users": d.parse_user,
    "groups": x.parse_group,
    "recipients": x.parse_recipient,
    "endpoints": lambda r: _endpoint(r),
}


def _endpoint(record: dict[str, Any]) -> Any:
    """An endpoint record; a ``Test-MigrationServerAvailability`` key holds that cmdlet's
    record for it (the probe tests the spec's endpoint: t2t/probes/endpoints.py)."""
    endpoint = x.parse_endpoint(record)
    test = record.get("Test-MigrationServerAvailability")
    return with_test(endpoint, test) if test is not None else endpoint


def _fact(value: Any, parse: Any) -> Fact[Any]:
    if value == "unknown":
        return Fact.unknown("test: unreadable")
    return Fact.present(tuple(parse(v) for v in value))


def _tenant(role: str, data: dict[str, Any]) -> TenantState:
    parts: dict[str, Any] = {
        name: _fact(data[name], parse) for name, parse in PARSERS.items() if name in data
    }
    if "group_members" in data:
        parts["group_members"] = Fact.present(
            tuple(
                (k.lower(), tuple(m.lower() for m in v)) for k, v in data["group_members"].items()
            )
        )
    if "identity_roles" in data:
        parts["identity_roles"] = Fact.present(tuple(data["identity_roles"]))
    return whole_tenant(
        role,
        organization=Fact.present(
            OrganizationConfig(name=role, is_dehydrated=bool(data.get("dehydrated")))
        ),
        relationships=[parse_relationship(r) for r in data.get("relationships", [])],
        **parts,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_orgsetup_case(case: Path) -> None:
    data = json.loads(case.read_text(encoding="utf-8"))
    spec = SPECS[data["spec"]]
    snapshot = Snapshot(_tenant("source", data["source"]), _tenant("target", data["target"]))
    outcome = plan_domain(DOMAINS[data["domain"]], PlanContext(spec, snapshot))
    expected = data["expected"]
    assert sorted(f.code for f in outcome.findings) == sorted(expected["findings"])
    got = [
        {
            "id": a.id,
            "blocked_by": list(a.blocked_by),
            "depends_on": list(a.depends_on),
            **({"parameters": a.parameters} if "parameters" in e else {}),
        }
        for a, e in zip(outcome.actions, expected["actions"], strict=False)
    ]
    assert len(outcome.actions) == len(expected["actions"]), [a.id for a in outcome.actions]
    want = [{"blocked_by": [], "depends_on": [], **e} for e in expected["actions"]]
    assert got == want


def test_every_domain_has_cases() -> None:
    covered = {json.loads(c.read_text())["domain"] for c in CASES}
    assert covered >= set(DOMAINS) - {"relationships"} | {"relationships"}


def test_assignment_rule_fills_groups_in_order_and_keeps_existing_members() -> None:
    from t2t.planner.scope_groups import MAX_SCOPE_MEMBERS, assign_members
    from t2t.state.exchange import Recipient

    def r(address: str) -> Recipient:
        return x.parse_recipient(
            {"PrimarySmtpAddress": address, "RecipientTypeDetails": "UserMailbox"}
        )

    full = {f"u{i}@contoso.com" for i in range(MAX_SCOPE_MEMBERS - 1)}
    sources = ["a@contoso.com", "b@contoso.com", "c@contoso.com", "kept@contoso.com"]
    plan = assign_members(
        ["g1", "g2"],
        {"g1", "g2"},
        {"g1": full, "g2": {"kept@contoso.com"}},
        sources,
        tuple(r(a) for a in sources),
    )
    assert plan.additions == {"g1": ["a@contoso.com"], "g2": ["b@contoso.com", "c@contoso.com"]}
    blocked = assign_members(["g1"], {"g1"}, {"g1": full | {"z@x"}}, sources[:1], (r(sources[0]),))
    assert blocked.no_room == ["a@contoso.com"]
