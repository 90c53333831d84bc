"""Every Exchange cmdlet a plan names takes every parameter the plan gives it.

A plan is reviewed as the commands it will run; a parameter the cmdlet does not have is a
command that fails at apply with PowerShell's "A parameter cannot be found that matches
parameter name" (docs/failure-catalogue-research.md §4: Set-MigrationEndpoint has no
-RemoteTenant, Add-DistributionGroupMember takes -Member, not -Members). The parameter lists
are the sandbox's cmdlet schemas, each written from the cmdlet's reference page on Microsoft
Learn (cited in t2t/sandbox/exchange/cmdlets/); a parameter the sandbox accepts but does not
model (`emulated=False`) counts as documented.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from t2t.planner import kinds as K
from t2t.sandbox.exchange.cmdlets import build_registry

CASES = Path(__file__).parent / "cases"
PLANS = sorted(CASES.glob("*/*/plan.json"))
REGISTRY = build_registry()
EXCHANGE_KINDS = {k.name for k in K.KINDS if k.service == "exchange"}


def exchange_commands(plan: Path) -> list[tuple[str, str, list[str]]]:
    """(action id, cmdlet, parameter names) of each Exchange action the case plans."""
    doc = json.loads(plan.read_text(encoding="utf-8"))
    return [
        (a["id"], a["cmdlet"], sorted(a.get("parameters") or {}))
        for a in doc.get("actions", [])
        if a["kind"] in EXCHANGE_KINDS
    ]


def test_the_cases_plan_exchange_commands() -> None:
    cmdlets = {c for p in PLANS for _, c, _ in exchange_commands(p)}
    assert len(PLANS) > 100
    assert {
        "New-OrganizationRelationship",
        "Set-OrganizationRelationship",
        "New-MigrationEndpoint",
        "Set-MigrationEndpoint",
        "New-DistributionGroup",
        "Add-DistributionGroupMember",
        "New-MailUser",
        "Set-MailUser",
        "New-MigrationBatch",
    } <= cmdlets


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_parameter_is_the_cmdlets(plan: Path) -> None:
    wrong = []
    for action_id, cmdlet, names in exchange_commands(plan):
        spec = REGISTRY.get(cmdlet)
        if spec is None:
            wrong.append(f"{action_id}: {cmdlet} is no cmdlet of Exchange Online's")
            continue
        known = {p.name.lower() for p in spec.params} | {
            a.lower() for p in spec.params for a in p.aliases
        }
        wrong += [f"{action_id}: {cmdlet} has no -{n}" for n in names if n.lower() not in known]
    assert wrong == []
