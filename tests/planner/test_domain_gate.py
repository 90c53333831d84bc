"""The domain contract itself (t2t/planner/domain.py), tested on small made-up domains: what a
domain needs, the gate that skips it when a part is blind, the view it is handed, and the
refusal of an action it may not emit. The real domains rely on all of it without showing it:
their needs are right, so a gate or a view that let too much through would go unnoticed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from t2t.cli.app import probe_request
from t2t.planner.actions import Action
from t2t.planner.checks import finding
from t2t.planner.context import PlanContext
from t2t.planner.domain import (
    Domain,
    DomainOutcome,
    Resolution,
    plan_domain,
    present,
    unread_for,
)
from t2t.planner.kinds import ORGREL_CREATE, ORGREL_UPDATE
from t2t.spec import load_spec
from t2t.state import Fact, Snapshot
from t2t.state import parts as P
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
DESIRED = load_spec(ROOT / "specs" / "quickstart.yaml")


def nothing(ctx: PlanContext) -> DomainOutcome:
    return DomainOutcome()


def context(**source: Any) -> PlanContext:
    snapshot = Snapshot(source=whole_tenant("source", **source), target=whole_tenant("target"))
    return PlanContext(DESIRED, snapshot)


def action(kind: str, risk: str = "safe") -> Action:
    return Action.model_validate(
        {
            "id": f"source:{kind}:x",
            "tenant": "source",
            "kind": kind,
            "key": "x",
            "operation": "create",
            "cmdlet": "New-Thing",
            "parameters": {},
            "fingerprint": "f",
            "risk": risk,
        }
    )


def test_present_is_a_known_parts_records_and_raises_on_any_other() -> None:
    assert present(Fact.present((1, 2))) == (1, 2)
    assert present(Fact.absent()) == ()
    unread: tuple[Fact[tuple[int, ...]] | None, ...] = (None, Fact.unknown("HTTP 503"))
    for fact in unread:
        with pytest.raises(LookupError) as raised:
            present(fact)
        assert str(raised.value) == "a domain read a part it does not name in its needs"


def test_a_domain_needs_the_parts_of_the_resolutions_it_uses() -> None:
    uses = Resolution("r", source=frozenset({P.GROUPS}), target=frozenset({P.USERS}))
    d = Domain("d", frozenset({P.RECIPIENTS}), frozenset({P.SKUS}), nothing, uses=(uses,))
    assert d.source_needs == {P.RECIPIENTS, P.GROUPS}
    assert d.target_needs == {P.SKUS, P.USERS}


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ({P.USERS, P.SKUS}, set(), "domain d needs ['skus', 'users'] from the source, "),
        (set(), {P.GROUP_MEMBERS}, "domain d needs ['group_members'] from the target, "),
    ],
)
def test_a_domain_needing_a_part_its_tenant_is_not_read_for_fails_when_declared(
    source: set[P.Part], target: set[P.Part], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        Domain("d", frozenset(source), frozenset(target), nothing)
    assert str(raised.value) == message + "where they are not read (t2t/state/parts.py)"


def test_a_blind_domain_plans_nothing_and_names_every_blind_part() -> None:
    planned: list[str] = []

    def plan(ctx: PlanContext) -> DomainOutcome:
        planned.append("ran")
        return DomainOutcome()

    d = Domain("d", frozenset({P.RECIPIENTS, P.GROUPS, P.STATISTICS}), frozenset(), plan)
    ctx = context(recipients=Fact.unknown("HTTP 503"), groups=Fact.unknown("HTTP 403"))
    outcome = plan_domain(d, ctx.view(d))
    assert planned == []
    assert outcome.notices == [
        "d: nothing planned, because t2t could not read source groups, source recipients"
    ]


def test_a_domain_handed_the_whole_context_still_sees_only_its_view() -> None:
    def reads_groups(ctx: PlanContext) -> DomainOutcome:
        groups = ctx.snapshot.source.groups
        return DomainOutcome(notices=[groups.status if groups is not None else "not read"])

    honest = Domain("honest", frozenset({P.GROUPS}), frozenset(), reads_groups)
    assert plan_domain(honest, context()).notices == ["present"]
    sneaky = Domain("sneaky", frozenset({P.RECIPIENTS}), frozenset(), reads_groups)
    with pytest.raises(LookupError, match="domain sneaky read the groups part without naming"):
        plan_domain(sneaky, context())


def test_an_action_of_a_kind_the_domain_does_not_emit_is_refused() -> None:
    d = Domain(
        "d",
        frozenset(),
        frozenset(),
        lambda ctx: DomainOutcome(actions=[action("orgrel.update")]),
        emits=frozenset({ORGREL_CREATE}),
    )
    with pytest.raises(AssertionError) as raised:
        plan_domain(d, context())
    assert str(raised.value) == "domain d planned orgrel.update, not in its emits"


def test_an_action_riskier_than_its_kind_is_refused() -> None:
    d = Domain(
        "d",
        frozenset(),
        frozenset(),
        lambda ctx: DomainOutcome(
            actions=[action("orgrel.create", "disruptive"), action("orgrel.update", "disruptive")]
        ),
        emits=frozenset({ORGREL_CREATE, ORGREL_UPDATE}),
    )
    with pytest.raises(AssertionError) as raised:
        plan_domain(d, context())
    assert str(raised.value) == "source:orgrel.create:x is disruptive; orgrel.create may be safe"


def _unread_azure(desired: Any) -> PlanContext:
    """A snapshot as the probes read it for `desired`: the Azure parts not read (None)."""
    target = dataclasses.replace(whole_tenant("target"), key_vault=None, vault_certificates=None)
    return PlanContext(desired, Snapshot(source=whole_tenant("source"), target=target))


def test_a_part_the_spec_does_not_have_read_blinds_no_domain() -> None:
    """The Azure parts are read only in keyVaultCertificate mode: in clientSecret mode a
    domain needing them runs (and finds them None); in keyVaultCertificate mode, not read
    is blind."""
    ran: list[str] = []

    def plan(ctx: PlanContext) -> DomainOutcome:
        ran.append(str(ctx.snapshot.target.key_vault))
        return DomainOutcome()

    d = Domain("d", frozenset(), frozenset({P.KEY_VAULT, P.VAULT_CERTIFICATES}), plan)
    assert plan_domain(d, _unread_azure(DESIRED).view(d)).notices == []
    assert ran == ["None"]
    key_vault_spec = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml")
    outcome = plan_domain(d, _unread_azure(key_vault_spec).view(d))
    assert outcome.notices == [
        "d: nothing planned, because t2t could not read target key_vault, target vault_certificates"
    ]
    assert ran == ["None"]


def test_a_blind_domain_may_say_why_with_a_finding() -> None:
    def explain(ctx: PlanContext) -> list[Any]:
        reason = ctx.snapshot.source.groups.reason  # its own part, unknown here
        return [finding("T2T-E110", "source", "x", str(reason), fixed_by_plan=False)]

    d = Domain("d", frozenset({P.GROUPS}), frozenset(), nothing, explain_blind=explain)
    outcome = plan_domain(d, context(groups=Fact.unknown("HTTP 403")).view(d))
    assert [(f.code, f.message) for f in outcome.findings] == [("T2T-E110", "HTTP 403")]
    assert outcome.notices == ["d: nothing planned, because t2t could not read source groups"]


def test_a_blind_domain_handed_the_whole_context_explains_from_its_view_only() -> None:
    """The explanation runs on state the gate found blind: it may read the domain's own parts
    (unknown here) and nothing else, however `plan_domain` is called."""

    def sneaky(ctx: PlanContext) -> list[Any]:
        seen = str(bool(ctx.snapshot.source.recipients))  # not its part
        return [finding("T2T-E110", "source", "x", seen, fixed_by_plan=False)]

    d = Domain("d", frozenset({P.GROUPS}), frozenset(), nothing, explain_blind=sneaky)
    blind = context(groups=Fact.unknown("HTTP 403"))
    for ctx in (blind, blind.view(d)):
        with pytest.raises(LookupError) as raised:
            plan_domain(d, ctx)
        assert str(raised.value) == (
            "domain d read the recipients part without naming it in its needs"
        )


def test_the_gate_blinds_the_azure_parts_exactly_when_the_probes_read_them() -> None:
    """`unread_for` and the probe request (t2t/cli/app.py) agree for every pairing of credential
    and keyVault a Desired can hold: the Azure parts are read, so missing is blind, only in
    keyVaultCertificate mode with a vault; else not reading them blinds nothing."""
    vault = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml").relationship.key_vault
    assert vault is not None
    azure = frozenset({P.KEY_VAULT, P.VAULT_CERTIFICATES})
    expected = {
        ("clientSecret", False): azure,
        ("clientSecret", True): azure,
        ("keyVaultCertificate", False): azure,
        ("keyVaultCertificate", True): frozenset(),
    }
    for (credential, with_vault), unread in expected.items():
        rel = DESIRED.relationship.model_copy(
            update={"credential": credential, "key_vault": vault if with_vault else None}
        )
        desired = DESIRED.model_copy(update={"relationship": rel})
        assert unread_for(desired) == unread, (credential, with_vault)
        read = probe_request(desired).key_vault is not None
        assert read == (not unread), (credential, with_vault)
