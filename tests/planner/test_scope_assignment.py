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
