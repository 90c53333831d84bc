"""The text plan fits a terminal however large the plan (issue 14, "Output that scales"): no
line over 200 characters for a 20,000-mailbox merger, long values summarised with their count
and first items, prose wrapped between words — and `--format json` still carries every item.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from t2t.planner import Plan
from t2t.render import render_plan, render_plan_json
from t2t.render.fit import FIRST_FEW, MAX_LINE, change_lines, clip, wrapped
from tests.render.large_plan import (
    large_plan,
    legacy_dn,
    old_x500,
    source_address,
    target_address,
)

N = 20_000


@pytest.fixture(scope="module")
def plan() -> Plan:
    return large_plan(N)


def test_no_line_of_the_20000_mailbox_text_plan_is_over_200_characters(plan: Plan) -> None:
    text = render_plan(plan)
    longest = max(text.splitlines(), key=len)
    assert len(longest) <= MAX_LINE == 200, longest[:300]
    lines = text.splitlines()
    members = lines.index("      ~ Members (added) = 0 -> [20,000 items]")
    assert lines[members + 1 : members + 2 + FIRST_FEW] == [
        *(f'          "{source_address(i)}"' for i in range(FIRST_FEW)),
        "          … and 19,995 more (every one: t2t plan --format json)",
    ]
    proxies = lines.index("      ~ EmailAddresses = null -> {add: [3 items]}")
    assert lines[proxies + 1 : proxies + 5] == [
        "          add:",
        f'            "X500:{legacy_dn(0)}"',
        f'            "{old_x500(0)}"',
        '            "smtp:user00000@fabrikam.mail.onmicrosoft.com"',
    ]
    assert lines[-1].startswith("Plan: ")


def test_the_json_plan_still_carries_every_item(plan: Plan) -> None:
    """What the text summarised, whole in the JSON: the scope group's 20,000 new members, every
    wave's mailboxes (all but the 1 in 50 a hold blocks), a MailUser's proxies. Rendered by
    `render_plan_json` from the plan's own actions of those kinds (the whole 20,000-mailbox JSON
    takes half a minute to write on a busy machine; its size is tests/bench/bench_saved_plan.py's
    subject)."""
    kinds = {"group.add_members", "batch.create", "mailuser.set_identity"}
    some = plan.model_copy(update={"actions": tuple(a for a in plan.actions if a.kind in kinds)})
    data: dict[str, Any] = json.loads(render_plan_json(some))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for action in data["actions"]:
        by_kind.setdefault(action["kind"], []).append(action)
    (members,) = by_kind["group.add_members"]
    everyone = [source_address(i) for i in range(N)]
    assert members["parameters"]["Member"] == everyone
    assert [c["after"] for c in members["changes"]] == [everyone]
    batched = [m for b in by_kind["batch.create"] for m in b["desired"]["mailboxes"]]
    assert batched == [target_address(i) for i in range(N) if i % 50]
    stamp = next(a for a in by_kind["mailuser.set_identity"] if a["key"] == target_address(0))
    assert {
        "field": "EmailAddresses",
        "before": None,
        "after": {
            "add": [
                f"X500:{legacy_dn(0)}",
                old_x500(0),
                "smtp:user00000@fabrikam.mail.onmicrosoft.com",
            ]
        },
    } in stamp["changes"]


def test_a_line_that_fits_is_left_as_it_was() -> None:
    head = "      + Mailboxes = "
    value = ["debra@fabrikam.com", "alex.wilber@fabrikam.com"]
    assert change_lines(head, None, value, create=True) == [head + json.dumps(value)]
    line = "  T2T-E211 error   target  app: the app has no service principal  [fixed by this plan]"
    assert wrapped(line, 11) == [line]


def test_both_sides_of_a_long_change_are_summarised_and_labelled() -> None:
    before = [f"smtp:old{i:03d}@contoso.com" for i in range(40)]
    after = [f"smtp:new{i:03d}@fabrikam.com" for i in range(7)]
    lines = change_lines("      ~ EmailAddresses = ", before, after, create=False)
    assert lines == [
        "      ~ EmailAddresses = [40 items] -> [7 items]",
        "          before:",
        *(f'            "smtp:old{i:03d}@contoso.com"' for i in range(5)),
        "            … and 35 more (every one: t2t plan --format json)",
        "          after:",
        *(f'            "smtp:new{i:03d}@fabrikam.com"' for i in range(5)),
        "            … and 2 more (every one: t2t plan --format json)",
    ]


def test_a_value_longer_than_a_line_is_cut_in_its_middle() -> None:
    dn = "X500:/o=ExchangeLabs/" + "ou=x/" * 60 + "cn=debra"
    lines = change_lines("      + EmailAddresses = ", None, [dn], create=True)
    assert lines[0] == "      + EmailAddresses = [1 item]"
    assert len(lines[1]) == MAX_LINE and "…" in lines[1]
    assert lines[1].lstrip().startswith('"X500:/o=ExchangeLabs/') and lines[1].endswith('debra"')
    assert clip("abcdefghij", 5) == "ab…ij" and clip("abc", 5) == "abc"


def test_prose_is_wrapped_between_words_and_a_url_stays_whole() -> None:
    url = "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?" + "x" * 150
    line = "           fix: " + "open the consent link " * 12 + url + " and plan again"
    lines = wrapped(line, 16)
    assert " ".join(part.strip() for part in lines) == line.strip()
    assert all(part.startswith(" " * 16) for part in lines[1:])
    assert url in [part.strip() for part in lines]  # whole, on a line of its own
    assert all(len(part) <= MAX_LINE for part in lines if url not in part)
