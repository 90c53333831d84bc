"""Every planner case folder, one harness for all domains (tests/planner/cases.py says what a
folder holds).

Each folder ``cases/<domain>/<case>/`` is planned by `plan_domain` for the domain its parent
folder names, and the whole outcome is compared with its ``plan.json``. In ``observed.json`` a
part that is not listed was read and holds nothing (a hydrated organization; every other part
present and empty), as tests/planner/observed.py `whole_tenant` builds them — so a case names
only what exists. ``pytest tests/planner --regen-cases`` rewrites every plan.json from the
current planner instead of comparing; review the change with ``git diff``.

Adding a case: a folder with spec.yaml and observed.json (prior.json for batches and
retired_endpoints; options.json for command-line options such as --allow-destroy), then
``--regen-cases`` and read the plan.json it wrote.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from t2t.planner.domain import plan_domain
from t2t.planner.mailboxes import plan_identity
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.planner.plan import DOMAINS
from t2t.probes import parse_relationship
from t2t.render.snapshot import render_snapshot_json
from t2t.state import Fact
from t2t.state.load import snapshot_from_json
from t2t.state.model import OrgRelationship
from tests.planner.cases import BY_DOMAIN, Case, all_cases, plan_json, render_plan

CASES = all_cases()
FILES = {"spec.yaml", "observed.json", "plan.json", "prior.json", "options.json"}
#: The domains that read what the domains before them planned (PlanContext.prior_actions).
PRIOR_DOMAINS = {"batches", "retired_endpoints"}


def by_domain(domain: str) -> list[Case]:
    return [c for c in CASES if c.domain == domain]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, regen_cases: bool) -> None:
    got = plan_json(case.outcome(), case.snapshot())
    if regen_cases:
        (case.path / "plan.json").write_text(render_plan(got), encoding="utf-8")
        return
    assert got == case.expected()


def test_every_domain_has_cases() -> None:
    assert {c.domain for c in CASES} == {d.name for d in DOMAINS}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_folder_holds_the_case_files(case: Case) -> None:
    files = {p.name for p in case.path.iterdir()}
    assert {"spec.yaml", "observed.json", "plan.json"} <= files <= FILES
    assert "prior.json" not in files or case.domain in PRIOR_DOMAINS


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_observed_is_what_show_writes(case: Case) -> None:
    """observed.json is `t2t show --format json` form: loading and rendering it again gives
    the same text."""
    text = (case.path / "observed.json").read_text(encoding="utf-8")
    assert render_snapshot_json(snapshot_from_json(text)) == text


# --- rules of one domain, over its cases ---------------------------------------------------


@pytest.mark.parametrize("case", by_domain("mailboxes"), ids=lambda c: c.name)
def test_mailbox_actions_come_after_their_dependencies_and_send_no_password(case: Case) -> None:
    actions = case.outcome().actions
    for i, a in enumerate(actions):
        earlier = {b.id for b in actions[:i]}
        assert set(a.depends_on) <= earlier, a.id
    assert "Password" not in json.dumps([a.parameters for a in actions])


def test_stamping_what_the_plan_sends_converges() -> None:
    """Applying the planned Set-MailUser to the observed MailUser leaves nothing to stamp."""
    for case in by_domain("mailboxes"):
        target = case.snapshot().target.recipients
        assert target is not None
        for a in case.outcome().actions:
            if a.kind != "mailuser.set_identity" or a.blocked or not a.observed:
                continue
            record = next(
                r for r in target.get() if (r.primary_smtp_address or "").lower() == a.key
            )
            params = a.parameters
            adds = (params.get("EmailAddresses") or {}).get("add", [])
            stamped = dataclasses.replace(
                record,
                exchange_guid=params.get("ExchangeGuid", record.exchange_guid),
                archive_guid=params.get("ArchiveGuid", record.archive_guid),
                email_addresses=(*record.email_addresses, *adds),
            )
            again = plan_identity(MailboxDesire.from_dict(a.desired), stamped, None)
            assert again.set_params is None, case.name


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


@pytest.mark.parametrize("case", by_domain("batches"), ids=lambda c: c.name)
def test_every_batch_step_is_disruptive(case: Case) -> None:
    """Starting, completing and rescheduling a move all change what users see."""
    assert all(a.risk == "disruptive" for a in case.outcome().actions)


def test_split_is_deterministic_and_in_spec_order() -> None:
    (case,) = [c for c in by_domain("batches") if c.path.name == "split-at-2000"]
    first, again = case.outcome(), case.outcome()
    assert [a.model_dump() for a in first.actions] == [a.model_dump() for a in again.actions]
    order = [m for a in first.actions for m in a.desired["mailboxes"]]
    assert order == list(case.spec().batches[0].mailboxes)
