"""Data-driven planner cases for the mailboxes domain (one JSON file per case).

Each file under mailboxes/ holds the spec's mailboxes (and licences, usageLocation, batches),
the observed records as the cmdlets and Graph return them, and the expected outcome: the
actions (kind, key, blocked_by), the finding codes, and optionally exact parameters. Adding a
case means adding a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from t2t.planner.context import PlanContext
from t2t.planner.domain import plan_domain
from t2t.planner.mailboxes import MAILBOXES, plan_identity
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.spec import load_spec
from t2t.spec.desired import DesiredBatch, DesiredMailbox, Origin
from t2t.state import Snapshot, TenantState
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
BASE = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml")
CASES = sorted((Path(__file__).parent / "mailboxes").glob("*.json"))
ORIGIN = Origin(path="spec.yaml", line=1, col=1)


def desired_from(case: dict[str, Any]) -> Any:
    spec = case["spec"]
    mailboxes = tuple(
        DesiredMailbox(
            source=m["source"],
            target=m["target"],
            upn=m.get("upn", m["target"].split("@")[0] + "@fabrikam.onmicrosoft.com"),
            batch=spec.get("batch", "wave-1"),
            origin=ORIGIN,
            source_key=m["source"].lower(),
            target_key=m["target"].lower(),
        )
        for m in spec["mailboxes"]
    )
    batch = DesiredBatch(
        name="wave-1",
        mailboxes=tuple(m.target for m in mailboxes),
        target_delivery_domain=spec.get("targetDeliveryDomain", "fabrikam.mail.onmicrosoft.com"),
        phase="sync",
        complete_after=None,
        origin=ORIGIN,
    )
    return BASE.model_copy(
        update={
            "mailboxes": mailboxes,
            "batches": (batch,),
            "licenses": tuple(spec.get("licenses", BASE.licenses)),
            "usage_location": spec.get("usageLocation", "NL"),
        }
    )


def snapshot_from(case: dict[str, Any]) -> Snapshot:
    obs = case["observed"]

    def tenant(role: str, **parts: Any) -> TenantState:
        return whole_tenant(role, **parts)

    skus = obs.get(
        "skus",
        [
            {
                "skuId": "4b9405b0-7788-4568-add1-99614e613b69",
                "skuPartNumber": "EXCHANGESTANDARD",
                "prepaidUnits": {"enabled": 60},
                "consumedUnits": 0,
            },
            {
                "skuId": "946ce899-873d-44bb-9d8b-671870cbfdbf",
                "skuPartNumber": "Cross_tenant_user_data_migration",
                "prepaidUnits": {"enabled": 50},
                "consumedUnits": 0,
            },
        ],
    )
    accepted = obs.get(
        "accepted", ["fabrikam.com", "fabrikam.onmicrosoft.com", "fabrikam.mail.onmicrosoft.com"]
    )
    source_parts: dict[str, Any] = {
        "recipients": [x.parse_recipient(r) for r in obs.get("source", [])]
    }
    # Statistics a case does not name: each source mailbox is small, with nothing deleted.
    small = [
        {"MailboxGuid": r["ExchangeGuid"], "TotalItemSize": "1 MB (1,048,576 bytes)"}
        for r in obs.get("source", [])
        if r.get("RecipientTypeDetails", "UserMailbox") == "UserMailbox" and r.get("ExchangeGuid")
    ]
    source_parts["statistics"] = [x.parse_statistics(r) for r in obs.get("statistics", small)]
    return Snapshot(
        source=tenant("source", **source_parts),
        target=tenant(
            "target",
            recipients=[x.parse_recipient(r) for r in obs.get("target", [])],
            users=[d.parse_user(u) for u in obs.get("users", [])],
            skus=[d.parse_sku(s) for s in skus],
            accepted_domains=[x.parse_accepted_domain({"DomainName": a}) for a in accepted],
            migration_users=[x.parse_migration_user(m) for m in obs.get("migration_users", [])],
        ),
    )


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_mailbox_case(case: Path) -> None:
    data = _load(case)
    outcome = plan_domain(MAILBOXES, PlanContext(desired_from(data), snapshot_from(data)))
    expected = data["expected"]
    assert sorted(f.code for f in outcome.findings) == sorted(expected["findings"])
    got = [[a.kind, a.key, list(a.blocked_by)] for a in outcome.actions]
    assert got == expected["actions"]
    by_id = {a.id: a for a in outcome.actions}
    for action_id, params in expected.get("parameters", {}).items():
        assert by_id[action_id].parameters == params, action_id
    for action_id, risk in expected.get("risk", {}).items():
        assert by_id[action_id].risk == risk
    for a in outcome.actions:  # dependency order: every dependency is listed earlier
        earlier = [b.id for b in outcome.actions[: outcome.actions.index(a)]]
        assert all(dep in earlier for dep in a.depends_on), a.id
    assert "Password" not in json.dumps([a.parameters for a in outcome.actions])


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


def test_stamping_what_the_plan_sends_converges() -> None:
    """Applying the planned Set-MailUser to the observed MailUser leaves nothing to stamp."""
    for case in CASES:
        data = _load(case)
        outcome = plan_domain(MAILBOXES, PlanContext(desired_from(data), snapshot_from(data)))
        for a in outcome.actions:
            if a.kind != "mailuser.set_identity" or a.blocked or not a.observed:
                continue
            record = next(
                r
                for r in data["observed"]["target"]
                if (r.get("PrimarySmtpAddress") or "").lower() == a.key
            )
            record = dict(record)
            params = a.parameters
            record["ExchangeGuid"] = params.get("ExchangeGuid", record.get("ExchangeGuid"))
            record["ArchiveGuid"] = params.get("ArchiveGuid", record.get("ArchiveGuid"))
            adds = (params.get("EmailAddresses") or {}).get("add", [])
            record["EmailAddresses"] = [*record.get("EmailAddresses", []), *adds]
            again = plan_identity(
                MailboxDesire.from_dict(a.desired), x.parse_recipient(record), None
            )
            assert again.set_params is None, case.stem
