"""T2T-E245's explanation when a vault part was never read: a snapshot from before the part
existed (an older `t2t show --format json`) has no fact for it, which is not a refusal."""

from __future__ import annotations

from dataclasses import replace

from t2t.planner.context import PlanContext
from t2t.planner.key_vault import explain_unreachable
from tests.planner.cases import FINDING_FIELDS, ROOT, Case

CASE = Case(ROOT / "key_vault" / "kv-vault-certificates-refused-explains")


def test_a_vault_part_never_read_is_passed_over_and_the_refused_one_explained() -> None:
    snapshot = CASE.snapshot()
    unread = replace(snapshot, target=replace(snapshot.target, key_vault=None))
    findings = explain_unreachable(PlanContext(CASE.spec(), unread, [], []))
    # the same T2T-E245 as when the vault was read (the case's plan.json)
    got = [{k: getattr(f, k) for k in FINDING_FIELDS} for f in findings]
    assert got == CASE.expected()["findings"]
