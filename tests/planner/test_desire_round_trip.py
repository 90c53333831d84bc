"""Apply plans each action again from the desire it carries (`Desire.from_dict(action.desired)`
in every executor), also from a saved plan's JSON: so every desire of every case must come back
from its JSON form exactly as the planner wrote it, or apply would converge something else
than what was reviewed."""

from __future__ import annotations

import json
from typing import Any, Protocol

import pytest

from t2t.planner.batches.desire import BatchDesire
from t2t.planner.endpoint import EndpointDesire
from t2t.planner.invitation import InvitationDesire
from t2t.planner.kinds import KINDS
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.planner.mailboxes.hold_for_migration import HoldDesire
from t2t.planner.relationships import SideDesire
from t2t.planner.retired_endpoints import RetiredEndpoint
from t2t.planner.scope_groups import GroupDesire
from t2t.planner.shared.app import AppDesire
from t2t.planner.shared.consent import ConsentDesire
from t2t.planner.shared.key_vault import RetireDesire, StepDesire
from tests.planner.cases import all_cases


class Desire(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


#: The desire each executor reads (t2t/apply/executors/*.py), by action kind.
DESIRE_OF: dict[str, Any] = {
    "app.create": AppDesire,
    "app.update": AppDesire,
    "consent.grant": ConsentDesire,
    "consent.await": ConsentDesire,
    "invitation.send": InvitationDesire,
    "group.create": GroupDesire,
    "group.add_members": GroupDesire,
    "orgrel.create": SideDesire,
    "orgrel.update": SideDesire,
    "endpoint.create": EndpointDesire,
    "endpoint.update": EndpointDesire,
    "mailuser.create": MailboxDesire,
    "mailuser.set_identity": MailboxDesire,
    "mailuser.hold_for_migration": HoldDesire,
    "user.usage_location": MailboxDesire,
    "license.assign": MailboxDesire,
    "batch.create": BatchDesire,
    "batch.start": BatchDesire,
    "batch.complete": BatchDesire,
    "batch.set_complete_after": BatchDesire,
    "batch.remove_user": BatchDesire,
    "batch.remove": BatchDesire,
    "endpoint.remove": RetiredEndpoint,
    "azure.resource_group.create": StepDesire,
    "keyvault.vault.create": StepDesire,
    "keyvault.access.grant": StepDesire,
    "keyvault.certificate.create": StepDesire,
    "app.key_credential.add": StepDesire,
    "app.key_credential.remove": RetireDesire,
}
#: Kinds whose executor reads no desire.
NO_DESIRE = {"org.enable_customization"}

ACTIONS = [(c.name, a) for c in all_cases() for a in c.outcome().actions]


def test_every_kind_is_either_read_from_its_desire_or_needs_none() -> None:
    assert set(DESIRE_OF) | NO_DESIRE == {k.name for k in KINDS}
    assert set(DESIRE_OF).isdisjoint(NO_DESIRE)


def test_the_cases_hold_every_kind_that_carries_a_desire() -> None:
    assert {a.kind for _, a in ACTIONS} >= set(DESIRE_OF)


@pytest.mark.parametrize("kind", sorted(DESIRE_OF))
def test_each_desire_comes_back_from_its_json_as_planned(kind: str) -> None:
    seen = [(name, a.desired) for name, a in ACTIONS if a.kind == kind]
    for name, desired in seen:
        text = json.dumps(desired)
        back: Desire = DESIRE_OF[kind].from_dict(json.loads(text))
        assert json.loads(json.dumps(back.to_dict())) == json.loads(text), name
