"""The scope groups' member assignment rule (not a case: a rule over many members)."""

from __future__ import annotations

from t2t.planner.scope_groups import MAX_SCOPE_MEMBERS, assign_members
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
    blocked = assign_members(["g1"], {"g1"}, {"g1": full | {"z@x"}}, sources[:1], (r(sources[0]),))
    assert blocked.no_room == ["a@contoso.com"]


def test_a_full_scope_group_blocks_the_mailboxes_that_do_not_fit() -> None:
    """T2T-E223 through the domain: the one scope group already holds 10,000 members, so none
    of the spec's five mailboxes fits; no member is added and the finding names them."""
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
    assert outcome.actions == []
    assert [(f.code, f.object, f.message) for f in outcome.findings] == [
        (
            "T2T-E223",
            "t2tmigrationscope",
            f"5 mailboxes do not fit (first: {spec.mailboxes[0].source})",
        )
    ]
