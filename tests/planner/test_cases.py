"""Every planner case folder, one harness for all domains (tests/planner/cases.py says what a
folder holds).

Each folder ``cases/<domain>/<case>/`` is planned by `plan_domain` for the domain its parent
folder names, and the whole outcome is compared with its ``plan.json``. In ``observed.json`` a
part that is not listed was read and holds nothing (a hydrated organization; every other part
present and empty), as tests/planner/observed.py `whole_tenant` builds them — so a case names
only what exists. ``pytest tests/planner --regen-cases`` rewrites every plan.json from the
current planner instead of comparing; review the change with ``git diff``.

Adding a case: a folder with spec.yaml and observed.json (prior.json for batches), then
``--regen-cases`` and read the plan.json it wrote.
"""

from __future__ import annotations

import dataclasses

import pytest

from t2t.planner.domain import plan_domain
from t2t.probes import parse_relationship
from t2t.render.snapshot import render_snapshot_json
from t2t.state import Fact
from t2t.state.load import snapshot_from_json
from t2t.state.model import OrgRelationship
from tests.planner.cases import BY_DOMAIN, Case, all_cases, plan_json, render_plan

CASES = all_cases()
FILES = {"spec.yaml", "observed.json", "plan.json", "prior.json"}


def by_domain(domain: str) -> list[Case]:
    return [c for c in CASES if c.domain == domain]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, regen_cases: bool) -> None:
    got = plan_json(case.outcome(), case.snapshot())
    if regen_cases:
        (case.path / "plan.json").write_text(render_plan(got), encoding="utf-8")
        return
    assert got == case.expected()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_folder_holds_the_case_files(case: Case) -> None:
    files = {p.name for p in case.path.iterdir()}
    assert {"spec.yaml", "observed.json", "plan.json"} <= files <= FILES
    assert "prior.json" not in files or case.domain == "batches"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_observed_is_what_show_writes(case: Case) -> None:
    """observed.json is `t2t show --format json` form: loading and rendering it again gives
    the same text."""
    text = (case.path / "observed.json").read_text(encoding="utf-8")
    assert render_snapshot_json(snapshot_from_json(text)) == text


# --- rules of one domain, over its cases ---------------------------------------------------


def _as_record(r: OrgRelationship) -> dict[str, object]:
    return {
        "Identity": r.identity,
        "Name": r.name,
        "DomainNames": list(r.domain_names),
        "Enabled": r.enabled,
        "MailboxMoveEnabled": r.mailbox_move_enabled,
        "MailboxMoveCapability": ", ".join(sorted(r.capabilities)) or "None",
        "OAuthApplicationId": r.oauth_application_id,
        "MailboxMovePublishedScopes": list(r.published_scopes),
    }


def test_relationship_converges_after_applying_its_own_action() -> None:
    """Applying the planned parameters yields relationships the planner accepts as they are."""
    for case in by_domain("relationships"):
        ctx = case.context()
        snapshot = ctx.snapshot
        for a in case.outcome().actions:
            if a.blocked:
                continue
            tenant = snapshot.tenant(a.tenant)
            assert tenant.relationships is not None
            records = [_as_record(r) for r in tenant.relationships.get()]
            params = dict(a.parameters)
            if a.operation == "create":
                records.append({"Identity": params["Name"], **params})
            else:
                record = next(r for r in records if r["Identity"] == params.pop("Identity"))
                record.update(params)
            changed = dataclasses.replace(
                tenant,
                relationships=Fact.present(tuple(parse_relationship(r) for r in records)),
            )
            snapshot = dataclasses.replace(snapshot, **{a.tenant: changed})
        again = dataclasses.replace(ctx, snapshot=snapshot, _cache={})
        left = plan_domain(BY_DOMAIN["relationships"], again).actions
        assert [x.id for x in left if not x.blocked] == [], case.name
