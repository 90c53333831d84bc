"""Data-driven planner cases for the batches domain (one JSON file per case, batches/).

Each file holds the spec's batches, the target's observed batches, migration users, endpoints,
accepted domains and recipients (as the cmdlets return them), what the other domains planned
before it ("prior": actions and findings), and the expected outcome: actions (kind, key,
blocked_by), finding codes, and optionally exact parameters, dependencies and notices. Every
spec mailbox gets a prepared target MailUser (with its delivery-domain proxy) unless the case
lists its own target records or sets "prepared": false.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from t2t.planner.actions import Action
from t2t.planner.batches import plan_batches
from t2t.planner.checks import finding
from t2t.planner.context import PlanContext
from t2t.planner.domain import action_id
from t2t.probes import exchange_objects as x
from t2t.spec import load_spec
from t2t.spec.desired import DesiredBatch, DesiredMailbox, EndpointSpec, Origin
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState

ROOT = Path(__file__).resolve().parents[2]
BASE = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml")
CASES = sorted((Path(__file__).parent / "batches").glob("*.json"))
ORIGIN = Origin(path="spec.yaml", line=1, col=1)
TDD = "fabrikam.mail.onmicrosoft.com"


def _addresses(wave: dict[str, Any]) -> list[str]:
    if "generate" in wave:
        return [f"user{i:05d}@fabrikam.com" for i in range(wave["generate"])]
    return list(wave["mailboxes"])


def desired_from(case: dict[str, Any]) -> Any:
    spec = case["spec"]
    batches, mailboxes = [], []
    for wave in spec["batches"]:
        addresses = _addresses(wave)
        for a in addresses:
            source = a.split("@")[0] + "@contoso.com"
            mailboxes.append(
                DesiredMailbox(
                    source=source,
                    target=a,
                    upn=a.split("@")[0] + "@fabrikam.onmicrosoft.com",
                    batch=wave["name"],
                    origin=ORIGIN,
                    source_key=source.lower(),
                    target_key=a.lower(),
                )
            )
        after = wave.get("completeAfter")
        batches.append(
            DesiredBatch(
                name=wave["name"],
                mailboxes=tuple(addresses),
                target_delivery_domain=wave.get("targetDeliveryDomain", TDD),
                phase=wave["phase"],
                complete_after=dt.datetime.fromisoformat(after) if after else None,
                origin=ORIGIN,
            )
        )
    relationship = BASE.relationship.model_copy(
        update={"endpoint": EndpointSpec(name="contoso-t2t", max_concurrent_migrations=None)}
    )
    return BASE.model_copy(
        update={
            "mailboxes": tuple(mailboxes),
            "batches": tuple(batches),
            "relationship": relationship,
        }
    )


def _mail_user(address: str) -> dict[str, Any]:
    alias = address.split("@")[0]
    return {
        "Identity": alias,
        "PrimarySmtpAddress": address,
        "RecipientTypeDetails": "MailUser",
        "EmailAddresses": [f"SMTP:{address}", f"smtp:{alias}@{TDD}"],
    }


def snapshot_from(case: dict[str, Any], desired: Any) -> Snapshot:
    obs = case.get("observed", {})
    target = list(obs.get("target", []))
    listed = {(r.get("PrimarySmtpAddress") or "").lower() for r in target}
    if case.get("prepared", True):
        target += [_mail_user(m.target) for m in desired.mailboxes if m.target_key not in listed]
    org = Fact.present(OrganizationConfig(name="t", is_dehydrated=False))
    return Snapshot(
        source=TenantState(
            role="source", tenant_id="s", organization=org, relationships=Fact.present(())
        ),
        target=TenantState(
            role="target",
            tenant_id="t",
            organization=org,
            relationships=Fact.present(()),
            recipients=Fact.present(tuple(x.parse_recipient(r) for r in target)),
            accepted_domains=Fact.present(
                tuple(
                    x.parse_accepted_domain({"DomainName": a})
                    for a in obs.get("accepted", ["fabrikam.com", TDD])
                )
            ),
            endpoints=Fact.present(
                tuple(
                    x.parse_endpoint({"Identity": e, "EndpointType": "ExchangeRemoteMove"})
                    for e in obs.get("endpoints", ["contoso-t2t"])
                )
            ),
            batches=Fact.present(tuple(x.parse_batch(b) for b in obs.get("batches", []))),
            migration_users=Fact.present(
                tuple(x.parse_migration_user(u) for u in obs.get("migration_users", []))
            ),
        ),
    )


def prior_from(case: dict[str, Any]) -> tuple[list[Action], list[Any]]:
    prior = case.get("prior", {})
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


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _outcome(data: dict[str, Any]) -> Any:
    desired = desired_from(data)
    actions, findings = prior_from(data)
    return plan_batches(PlanContext(desired, snapshot_from(data, desired), actions, findings))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_batch_case(case: Path) -> None:
    data = _load(case)
    outcome = _outcome(data)
    expected = data["expected"]
    assert sorted(f.code for f in outcome.findings) == sorted(expected["findings"])
    got = [[a.kind, a.key, list(a.blocked_by)] for a in outcome.actions]
    assert got == expected["actions"]
    by_id = {a.id: a for a in outcome.actions}
    for aid, params in expected.get("parameters", {}).items():
        assert by_id[aid].parameters == params, aid
    for aid, deps in expected.get("depends_on", {}).items():
        assert list(by_id[aid].depends_on) == deps, aid
    for aid, n in expected.get("sizes", {}).items():
        assert len(by_id[aid].desired["mailboxes"]) == n, aid
    for text in expected.get("notices", []):
        assert any(text in n for n in outcome.notices), (text, outcome.notices)
    for a in outcome.actions:
        assert a.risk == "disruptive", a.id  # starting, completing, rescheduling a move


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


def test_split_is_deterministic_and_in_spec_order() -> None:
    data = _load(Path(__file__).parent / "batches" / "split-at-2000.json")
    first, again = _outcome(data), _outcome(data)
    assert [a.model_dump() for a in first.actions] == [a.model_dump() for a in again.actions]
    order = [m for a in first.actions for m in a.desired["mailboxes"]]
    assert order == _addresses(data["spec"]["batches"][0])
