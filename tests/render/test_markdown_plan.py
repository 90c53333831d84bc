"""`t2t plan --format markdown`: the pull-request comment, read as Markdown.

The output is parsed with markdown-it-py (CommonMark plus GFM tables; installed with rich) to
check what a reader sees: which headings, tables, code blocks and tags there are, and that each
hostile value arrives as literal text in its own cell.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from t2t.planner import Action, Change, Finding, Plan, Unknown
from t2t.render.markdown import COMMENT_LIMIT, render_plan_markdown

CMDLET = {
    "create": "New-MailUser",
    "update": "Set-MailUser",
    "run": "Start-MigrationBatch",
    "delete": "Remove-MailUser",
}


def action(tenant: str, kind: str, key: str, operation: str, summary: str, **extra: Any) -> Action:
    return Action(
        id=f"{tenant}:{kind}:{key}",
        tenant=tenant,  # type: ignore[arg-type]
        kind=kind,
        key=key,
        operation=operation,  # type: ignore[arg-type]
        cmdlet=CMDLET[operation],
        parameters={},
        fingerprint="sha256:0",
        summary=summary,
        **extra,
    )


def blocking(obj: str, message: str, code: str = "T2T-E304") -> Finding:
    return Finding(
        code=code,
        severity="error",
        tenant="source",
        object=obj,
        message=message,
        fix="Release the hold.",
        prevents="MigrationPermanentException",
    )


SMALL = Plan(
    spec_name="small",
    spec_path="small.yaml",
    source_tenant="s-id",
    target_tenant="t-id",
    actions=(
        action(
            "source",
            "group.add_members",
            "scope",
            "update",
            "add 1 mailbox to the scope group",
            changes=(Change(field="Members (added)", before=0, after=["a@contoso.com"]),),
        ),
        action(
            "target",
            "mailuser.create",
            "a@fabrikam.com",
            "create",
            "create the mail user A",
            changes=(Change(field="Name", after="A"),),
        ),
        action(
            "target",
            "mailuser.create",
            "b@fabrikam.com",
            "create",
            "create the mail user B",
            blocked_by=("T2T-E304",),
        ),
        action("target", "batch.start", "wave-1", "run", "start batch wave-1", risk="disruptive"),
    ),
    findings=(
        blocking("b@contoso.com", "on hold: LitigationHoldEnabled"),
        Finding(
            code="T2T-W407",
            severity="warning",
            tenant="target",
            object="b@fabrikam.com",
            message="left out of wave-1: blocked by T2T-E304",
            fix="Resolve the blocking check.",
            prevents="a failed move",
        ),
        Finding(
            code="T2T-E222",
            severity="error",
            tenant="source",
            object="scope",
            message="1 mailbox is not a direct member",
            fix="t2t adds them.",
            prevents="MailboxNotInCrossTenantMigrationScopeException",
            fixed_by_plan=True,
        ),
    ),
    unknowns=(Unknown(tenant="target", what="batches", reason="HTTP 503"),),
    notices=("wave-2 is complete",),
    permissions={"target": ("Exchange role group 'Organization Management'",)},
)

#: SMALL as a pull-request comment (open it in a Markdown viewer to see the comment).
SMALL_MARKDOWN = (Path(__file__).parent / "small-plan.md").read_text(encoding="utf-8")


def test_a_small_plan_renders_whole() -> None:
    assert render_plan_markdown(SMALL) == SMALL_MARKDOWN


def test_a_plan_with_nothing_to_do() -> None:
    plan = SMALL.model_copy(update={"actions": (), "findings": (), "unknowns": (), "notices": ()})
    assert render_plan_markdown(plan) == (
        "## t2t plan: `small`\n\n"
        "Source tenant `s-id` → target tenant `t-id`\n\n"
        "**Plan: 0 to add, 0 to change, 0 to destroy, 0 blocked, 0 unknown.**\n\n"
        "`t2t plan --detailed-exitcode` exits **0**: nothing to do.\n\n"
        "### No changes\n\n"
        "Everything t2t plans already matches the spec.\n\n"
        "### Apply needs (t2t's own identity)\n\n"
        "- target: Exchange role group 'Organization Management'\n"
    )


# --- reading the Markdown back -----------------------------------------------------------


def parse(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def plain(inline: Token) -> str:
    """What a reader sees of an inline token: its text and code, without markup."""
    return "".join(
        c.content if c.type in ("text", "code_inline", "html_inline") else ""
        for c in inline.children or []
    )


def tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Every table as rows of cell texts (the header row first)."""
    out: list[list[list[str]]] = []
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            out.append([])
        elif t.type == "tr_open":
            out[-1].append([])
        elif t.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            out[-1][-1].append(plain(t))
    return out


def headings(tokens: list[Token]) -> list[str]:
    return [
        f"{t.tag} {plain(tokens[i + 1])}" for i, t in enumerate(tokens) if t.type == "heading_open"
    ]


def html_tags(tokens: list[Token]) -> list[str]:
    """Raw HTML anywhere in the document (blocks and inline)."""
    found = [t.content.strip() for t in tokens if t.type == "html_block"]
    for t in tokens:
        found += [c.content for c in t.children or [] if c.type == "html_inline"]
    return found


def fences(tokens: list[Token]) -> list[str]:
    return [t.content for t in tokens if t.type == "fence"]


def test_the_small_plan_reads_as_intended() -> None:
    tokens = parse(SMALL_MARKDOWN)
    assert headings(tokens) == [
        "h2 t2t plan: small",
        "h3 ❓ Could not read (1)",
        "h3 ⛔ Blocked (1)",
        "h4 T2T-E304 (1)",
        "h3 ⚠️ Warnings (1)",
        "h4 T2T-W407 (1)",
        "h3 Changes (4)",
        "h4 Source tenant s-id: 1 to change",
        "h4 Target tenant t-id: 1 to add, 1 to change, 1 blocked",
        "h3 Notes",
        "h3 Apply needs (t2t's own identity)",
    ]
    assert html_tags(tokens) == [
        "<details><summary>Fixed by this plan (1): problems apply resolves</summary>",
        "</details>",
        "<details><summary>Every group.add_members in full (1)</summary>",
        "</details>",
        "<details><summary>Every mailuser.create in full (2)</summary>",
        "</details>",
        "<details><summary>Every batch.start in full (1)</summary>",
        "</details>",
    ]


# --- hostile values ------------------------------------------------------------------------

HOSTILE = [
    "a|b",
    "</details><script>alert(1)</script>",
    "`tick` ``` and ~~~",
    "**bold** _em_ [link](https://example.com) ![img](x)",
    "line one\nline two\r\n| x | y |",
    "1. looks like a list",
    "- also a list",
    "# a heading",
    "> a quote",
    "@octocat and @org/team",
    "&amp; &lt;b&gt; \\| \\",
    "<!-- comment",
    "    indented code",
]


def seen(value: str) -> str:
    """A hostile value as the reader should see it: on one line (a break shown as ␤), leading
    spaces dropped, and an @-mention broken by a word joiner (what `text` promises)."""
    one_line = re.sub(r"\r\n|\n", "\N{SYMBOL FOR NEWLINE}", value).strip()
    return re.sub(r"(?<!\w)@", "@\N{WORD JOINER}", one_line)


def hostile_plan() -> Plan:
    return Plan(
        spec_name="x`y <b>|",
        spec_path="x.yaml",
        source_tenant="<s>",
        target_tenant="t|`",
        actions=tuple(
            action("target", "mailuser.create", value, "create", value, blocked_by=("T2T-E304",))
            for value in HOSTILE
        ),
        findings=tuple(blocking(value, value) for value in HOSTILE),
        unknowns=tuple(Unknown(tenant="source", what=value, reason=value) for value in HOSTILE),
        notices=tuple(HOSTILE),
    )


def test_hostile_values_stay_literal_text_in_their_cells() -> None:
    markdown = render_plan_markdown(hostile_plan())
    tokens = parse(markdown)
    # No value opened a tag: the only HTML is the folds t2t writes.
    assert html_tags(tokens) == [
        "<details><summary>8 more T2T-E304</summary>",
        "</details>",
        "<details><summary>Every mailuser.create in full (13)</summary>",
        "</details>",
        "<details><summary>3 more notes</summary>",
        "</details>",
    ]
    # No value made a heading: t2t's headings only, the values in them literal.
    assert headings(tokens) == [
        "h2 t2t plan: x`y <b>|",
        "h3 ❓ Could not read (13)",
        "h3 ⛔ Blocked (13)",
        "h4 T2T-E304 (13)",
        "h3 Changes (13)",
        "h4 Target tenant t|`: 13 blocked",
        "h3 Notes",
    ]
    unknowns, findings, rest, shown_actions = tables(tokens)
    # No value broke a row: every value is whole in the cell it belongs to.
    assert unknowns == [["Tenant", "What", "Why"]] + [["source", seen(v), seen(v)] for v in HOSTILE]
    assert findings == [["Tenant", "Object", "Problem"]] + [
        ["source", seen(v), seen(v)] for v in HOSTILE[:5]
    ]
    assert rest == [["Tenant", "Object", "Problem"]] + [
        ["source", seen(v), seen(v)] for v in HOSTILE[5:]
    ]
    assert shown_actions == [["", "Key", "Summary"]] + [
        ["!", seen(v), f"{seen(v)} (blocked by T2T-E304)"] for v in HOSTILE[:5]
    ]
    # The notices are list items of one paragraph each, nothing nested.
    items = [plain(tokens[i + 2]) for i, t in enumerate(tokens) if t.type == "list_item_open"]
    assert items == [seen(v) for v in HOSTILE]
    assert [t.type for t in tokens].count("bullet_list_open") == 2  # ten shown, three folded
    # The detail stays inside its one code block: the text plan's lines for each action.
    (detail,) = fences(tokens)
    keys = re.findall(r"^  ! target  mailuser\.create  (.*?)  \(blocked", detail, flags=re.M)
    assert keys == [repr(v) for v in HOSTILE]


def test_plain_values_are_not_cluttered_with_escapes() -> None:
    markdown = render_plan_markdown(SMALL)
    assert "\\" not in markdown


# --- size ----------------------------------------------------------------------------------


def huge_plan(mailboxes: int) -> Plan:
    """A 10,000-mailbox merger's shape: four actions per mailbox, many blocked, and one check
    firing on a thousand mailboxes."""
    actions: list[Action] = []
    for kind, operation in (
        ("mailuser.create", "create"),
        ("mailuser.set_identity", "update"),
        ("user.usage_location", "update"),
        ("license.assign", "update"),
    ):
        for n in range(mailboxes):
            key = f"user{n:05d}@fabrikam.com"
            blocked = ("T2T-E304",) if n % 10 == 0 else ()
            actions.append(
                action(
                    "target",
                    kind,
                    key,
                    operation,
                    f"{kind} for {key}",
                    blocked_by=blocked,
                    changes=(Change(field="Name", before=None, after=f"User {n}"),),
                )
            )
    findings = [blocking(f"user{n:05d}@contoso.com", "on hold") for n in range(0, mailboxes, 10)]
    return SMALL.model_copy(
        update={"actions": tuple(actions), "findings": tuple(findings), "unknowns": ()}
    )


def test_many_thousands_of_actions_stay_under_the_limit_and_count_what_was_cut() -> None:
    plan = huge_plan(10_000)
    markdown = render_plan_markdown(plan)
    assert len(markdown) <= COMMENT_LIMIT
    assert "**Plan: 10,000 to add" not in markdown  # Terraform's line: no thousands separator
    assert "**Plan: 9000 to add, 27000 to change, 0 to destroy, 4000 blocked, 0 unknown.**" in (
        markdown
    )
    # Each fold says how many of its items it holds and how many it left out; together they are
    # every finding beyond the first five and every action, and the closing line adds them up.
    folds = re.findall(
        r"<details><summary>(?:Every \S+ in full \(([\d,]+)\)|([\d,]+) more T2T-E304)</summary>"
        r"(.*?)</details>",
        markdown,
        flags=re.S,
    )
    assert len(folds) == 5
    total_left = 0
    for every, more, body in folds:
        expected = int((every or more).replace(",", ""))
        kept = len(re.findall(r"^  [+~!] target", body, flags=re.M)) or body.count("| source |")
        left = re.search(r"\*([\d,]+) more left out to fit one comment", body)
        left_out = int(left[1].replace(",", "")) if left else 0
        assert kept + left_out == expected
        total_left += left_out
    assert total_left > 0
    assert markdown.endswith(
        f"**Cut to fit one GitHub comment:** {total_left:,} items of detail are left out; "
        "`t2t plan --format json` has the whole plan.\n"
    )
    # What stays visible: every group with its counts and first rows.
    assert "**`license.assign`**: 9,000 to change, 1,000 blocked" in markdown
    assert "… and 9,995 more `license.assign`" in markdown
    assert "#### `T2T-E304` (1,000)" in markdown
    assert "… and 995 more `T2T-E304`:" in markdown


def test_a_tight_limit_shows_fewer_rows_then_only_counts() -> None:
    plan = huge_plan(200)
    roomy = render_plan_markdown(plan)
    fewer = render_plan_markdown(plan, limit=3_500)
    counts_only = render_plan_markdown(plan, limit=3_000)
    assert "… and 195 more `license.assign`" in roomy
    # only mailbox checks (T2T-E304) block: exit 6, said in the comment's head
    assert "exits **6**: mailboxes left out (only mailbox checks block" in roomy
    assert len(fewer) <= 3_500
    assert "… and 198 more `license.assign`" in fewer
    assert len(counts_only) <= 3_000
    assert "… and" not in counts_only and "| Key |" not in counts_only
    assert "**`license.assign`**: 180 to change, 20 blocked" in counts_only
    assert "<details><summary>Every T2T-E304 (20)</summary>" in counts_only


def test_a_plan_too_large_even_for_its_summary_says_so() -> None:
    markdown = render_plan_markdown(huge_plan(50), limit=1_000)
    assert len(markdown) <= 1_000
    assert markdown.endswith(
        "**The plan is too large to show in one comment** (5 checks, 200 actions): "
        "`t2t plan --format json` has the whole plan.\n"
    )


def test_a_long_value_is_cut_in_its_cell_and_its_detail() -> None:
    long_key = "k" * 5_000
    plan = SMALL.model_copy(
        update={"actions": (action("target", "mailuser.create", long_key, "create", "x"),)}
    )
    (_, row) = tables(parse(render_plan_markdown(plan)))[-1]
    assert row[1] == "k" * 199 + "…"
    (detail,) = fences(parse(render_plan_markdown(plan)))
    assert max(len(line) for line in detail.splitlines()) == 1_000
