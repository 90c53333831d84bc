"""Properties of whole plans over generated snapshots (hypothesis).

The snapshot: the quickstart spec's two tenants, each source mailbox present with random
holds, each target object absent, a bare mail user, a stamped mail user or a mailbox, its
Entra user with or without usageLocation and licences, the target's SKUs and accepted
domains, and any subset of either tenant's parts unreadable. Whatever the draw:

- the plan is deterministic (built twice, the same JSON);
- no action is destructive (t2t never deletes without being asked, and nothing asks yet);
- every dependency names an action of the same plan (a missing one would let the runner
  start an action before what it needs);
- a licence never goes before the identity of the same mail user: when the plan creates or
  stamps the mail user, the licence depends on that step (directly or through usageLocation);
- nothing is planned by a domain that needs an unreadable part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2t.planner import Plan, build_plan
from t2t.planner.plan import DOMAINS
from t2t.probes import directory_objects as dobj
from t2t.probes import exchange_objects as x
from t2t.render import render_plan_json
from t2t.spec import load_spec
from t2t.state import Fact, Snapshot
from t2t.state import parts as P
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec(ROOT / "specs" / "quickstart.yaml")
ROLES = ("exchange:Exchange.ManageAsApp", "exchange-wid:29232cdf-9323-42fd-ade2-1d097af3e4de")
READ = [(role, part) for part in P.PARTS for role in ("source", "target") if role in part.roles]
SKUS = [
    {
        "skuId": "4b9405b0-7788-4568-add1-99614e613b69",
        "skuPartNumber": "EXCHANGESTANDARD",
        "prepaidUnits": {"enabled": 100},
        "consumedUnits": 0,
    },
    {
        "skuId": "8b3f5f0e-3c1a-4a63-b9f1-8e0f4a2f0b61",
        "skuPartNumber": "Cross_tenant_user_data_migration",
        "prepaidUnits": {"enabled": 100},
        "consumedUnits": 0,
    },
]


def _guid(n: int, kind: int) -> str:
    return f"{kind:08d}-0000-4000-8000-{n:012d}"


def _source(n: int, address: str, hold: bool) -> dict[str, Any]:
    local = address.split("@")[0]
    return {
        "Identity": local,
        "Guid": _guid(n, 1),
        "UserPrincipalName": address,
        "PrimarySmtpAddress": address,
        "RecipientTypeDetails": "UserMailbox",
        "ExchangeGuid": _guid(n, 2),
        "LegacyExchangeDN": f"/o=ExchangeLabs/ou=Exchange Administrative Group "
        f"(FYDIBOHF23SPDLT)/cn=Recipients/cn={n:032d}-{local}",
        "EmailAddresses": [f"SMTP:{address}"],
        "LitigationHoldEnabled": hold,
    }


def _target(n: int, address: str, upn: str, state: str) -> dict[str, Any]:
    kind = "UserMailbox" if state == "mailbox" else "MailUser"
    return {
        "Identity": address.split("@")[0],
        "Guid": _guid(n, 3),
        "UserPrincipalName": upn,
        "PrimarySmtpAddress": address,
        "RecipientTypeDetails": kind,
        "ExchangeGuid": _guid(n, 2) if state == "stamped" else _guid(n, 4),
        "ExternalEmailAddress": None if state == "mailbox" else f"SMTP:{address}",
        "EmailAddresses": [f"SMTP:{address}"],
    }


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    sources, targets, users, stats = [], [], [], []
    for n, m in enumerate(SPEC.mailboxes, 1):
        sources.append(_source(n, m.source, draw(st.booleans())))
        stats.append({"MailboxGuid": _guid(n, 2), "TotalItemSize": "1 MB (1,048,576 bytes)"})
        state = draw(st.sampled_from(["absent", "bare", "stamped", "mailbox"]))
        if state == "absent":
            continue
        upn = m.upn
        targets.append(_target(n, m.target, upn, state))
        users.append(
            {
                "id": _guid(n, 5),
                "userPrincipalName": upn,
                "mail": m.target,
                "usageLocation": draw(st.sampled_from([None, "NL"])),
                "assignedLicenses": [{"skuId": s["skuId"]} for s in SKUS]
                if draw(st.booleans())
                else [],
            }
        )
    unreadable = draw(st.sets(st.sampled_from(READ), max_size=3))
    tenants = {}
    for role in ("source", "target"):
        parts: dict[str, Any] = {"identity_roles": ROLES}
        if role == "source":
            parts["recipients"] = [x.parse_recipient(r) for r in sources]
            parts["statistics"] = [x.parse_statistics(s) for s in stats]
        else:
            parts["recipients"] = [x.parse_recipient(r) for r in targets]
            parts["users"] = [dobj.parse_user(u) for u in users]
            parts["skus"] = [dobj.parse_sku(s) for s in SKUS]
            parts["accepted_domains"] = [
                x.parse_accepted_domain({"DomainName": d, "DomainType": "Authoritative"})
                for d in ("fabrikam.com", SPEC.target.domain)
            ]
        for r, part in unreadable:
            if r == role:
                parts[part.name] = Fact.unknown("HTTP 503")
        tenants[role] = whole_tenant(role, role, **parts)
    return Snapshot(source=tenants["source"], target=tenants["target"])


def _ancestors(plan: Plan, action_id: str) -> set[str]:
    by_id = {a.id: a for a in plan.actions}
    seen: set[str] = set()
    todo = [action_id]
    while todo:
        for dep in by_id[todo.pop()].depends_on:
            if dep not in seen and dep in by_id:
                seen.add(dep)
                todo.append(dep)
    return seen


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(snapshots())
def test_plans_hold_their_invariants(snapshot: Snapshot) -> None:
    plan = build_plan(SPEC, snapshot)
    assert render_plan_json(plan) == render_plan_json(build_plan(SPEC, snapshot))
    assert [a.id for a in plan.actions if a.risk == "destructive"] == []
    ids = {a.id for a in plan.actions}
    assert [(a.id, d) for a in plan.actions for d in a.depends_on if d not in ids] == []
    for licence in (a for a in plan.actions if a.kind == "license.assign"):
        before = _ancestors(plan, licence.id)
        for kind in ("mailuser.create", "mailuser.set_identity"):
            step = f"target:{kind}:{licence.key}"
            assert step not in ids or step in before, f"{licence.id} does not wait for {step}"
    unknown = {(u.tenant, u.what) for u in plan.unknowns}
    for domain in DOMAINS:
        needs = {("source", p.name) for p in domain.source_needs}
        needs |= {("target", p.name) for p in domain.target_needs}
        if needs & unknown:
            kinds = {k.name for k in domain.emits}
            assert [a.id for a in plan.actions if a.kind in kinds] == []
