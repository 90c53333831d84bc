"""The scope groups' member assignment rule (not a case: a rule over many members)."""

from __future__ import annotations

from t2t.planner.checks import finding
from t2t.planner.scope_groups import (
    MAX_SCOPE_MEMBERS,
    GroupDesire,
    ScopePlan,
    assign_members,
    over_recommended,
)
from t2t.probes import exchange_objects as x
from t2t.state.exchange import Recipient


def test_assignment_rule_fills_groups_in_order_and_keeps_existing_members() -> None:
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
    assert plan.over_recommended == []
    # Every group at 10,000: added anyway, to the one with the fewest members (T2T-W223).
    crowded = assign_members(
        ["g1", "g2"],
        {"g1", "g2"},
        {"g1": full | {"y@x", "z@x"}, "g2": full | {"z@x"}},
        sources[:2],
        tuple(r(a) for a in sources[:2]),
    )
    # a to g2 (the smaller); then both hold 10,001 and the tie goes to the first declared
    assert crowded.additions == {"g1": ["b@contoso.com"], "g2": ["a@contoso.com"]}
    assert crowded.over_recommended == ["a@contoso.com", "b@contoso.com"]


def test_a_scope_group_past_10000_members_warns_and_still_takes_the_mailboxes() -> None:
    """T2T-W223 through the domain: the one scope group already holds 10,000 members, the
    number past which Microsoft recommends more groups "for best performance" (a
    recommendation, no limit): the spec's five mailboxes are still added, and the warning
    names them; nothing is blocked."""
    from pathlib import Path

    from t2t.planner.context import PlanContext
    from t2t.planner.domain import plan_domain
    from t2t.planner.scope_groups import SCOPE_GROUPS
    from t2t.spec import load_spec
    from t2t.state import Snapshot
    from tests.planner.observed import whole_tenant

    spec = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")
    group = x.parse_group(
        {
            "Identity": "t2tmigrationscope",
            "Name": "t2tmigrationscope",
            "RecipientTypeDetails": "MailUniversalSecurityGroup",
        }
    )
    full = tuple(f"u{i}@contoso.com" for i in range(MAX_SCOPE_MEMBERS))
    mailboxes = [
        x.parse_recipient({"PrimarySmtpAddress": m.source, "RecipientTypeDetails": "UserMailbox"})
        for m in spec.mailboxes
    ]
    source = whole_tenant(
        "source",
        groups=[group],
        group_members=[("t2tmigrationscope", full)],
        recipients=mailboxes,
    )
    outcome = plan_domain(SCOPE_GROUPS, PlanContext(spec, Snapshot(source, whole_tenant("target"))))
    sources = [m.source for m in spec.mailboxes]
    assert [(a.kind, a.parameters, a.blocked_by) for a in outcome.actions] == [
        (
            "group.add_members",
            {"Identity": "t2tmigrationscope", "Member": sources},
            (),
        )
    ]
    assert [(f.code, f.object, f.message, f.blocking) for f in outcome.findings] == [
        (
            "T2T-W223",
            "t2tmigrationscope",
            f"5 mailboxes added past 10,000 members (first: {sources[0]})",
            False,
        ),
        (
            "T2T-E222",
            "t2tmigrationscope",
            f"5 mailboxes are not direct members (first: {sources[0]})",
            False,
        ),
    ]


def test_the_past_10000_warning_names_every_declared_group_and_blocks_nothing() -> None:
    scope = ScopePlan(over_recommended=["a@contoso.com", "b@contoso.com"])
    assert over_recommended(scope, ["Scope-1", "Scope-2"]) == finding(
        "T2T-W223",
        "source",
        "Scope-1, Scope-2",
        "2 mailboxes added past 10,000 members (first: a@contoso.com)",
        fixed_by_plan=False,
    )
    assert over_recommended(ScopePlan(), ["Scope-1"]) is None


def test_a_group_desire_without_members_adds_none() -> None:
    assert GroupDesire.from_dict({"name": "t2tmigrationscope"}) == GroupDesire(
        name="t2tmigrationscope", members=()
    )
