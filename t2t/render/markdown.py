"""The plan as a pull-request comment, Atlantis-style: a summary a reviewer reads first, what
could not be read, what blocks (code, problem, fix), the changes grouped by tenant and kind, and
the full detail folded into `<details>` — all of it within one GitHub comment.

Nothing here decides: counts come from `tally`, blocking from `Finding.blocking`, the exit code
from `Plan.exit_code`, each action's detail from the text plan. Every value a tenant or the spec
supplied goes through `text` or `code`: kept on one line, cut when long, escaped for Markdown
and HTML, so it can neither open a tag nor break a table row.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from t2t.planner import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_LEFT_OUT,
    EXIT_OK,
    EXIT_UNKNOWN,
    Action,
    Finding,
    Plan,
)
from t2t.render.counts import plan_line, tally, waves_line
from t2t.render.text import SYMBOL, action_lines, action_notes

#: GitHub refuses a comment body over 65,536 characters; what is left over is room for a CI
#: job's own marker line (examples/github-actions/t2t-plan.yml).
COMMENT_LIMIT = 65_000
#: Rows shown per group before "… and N more"; fewer when even the summary would not fit.
SHOWN_STEPS = (5, 2, 0)
#: Longest value in a table cell or heading (the details and `--format json` keep more).
VALUE_CHARS = 200
#: Longest line of an action's detail (a scope group's new members can be 10,000 addresses).
LINE_CHARS = 1_000
#: Notices shown before the rest are folded away.
NOTICES_SHOWN = 10

EXIT_MEANING = {
    EXIT_OK: "nothing to do",
    EXIT_CHANGES: "changes pending",
    EXIT_BLOCKED: "a check blocks (something t2t cannot fix; each says how)",
    EXIT_UNKNOWN: "some state could not be read (nothing is planned on top of it)",
    EXIT_LEFT_OUT: (
        "mailboxes left out (only mailbox checks block, each says how; the rest can run)"
    ),
}
JSON_HINT = "`t2t plan --format json` has the whole plan"

# --- values from a tenant or the spec -------------------------------------------------------

_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
#: Punctuation with a meaning anywhere in a line (emphasis, code, links, table cells,
#: strikethrough); `&`, `<` and `>` become entities instead, so no value starts a tag or entity.
_INLINE = re.compile(r"([\\`*_\[\]|~])")
#: What means something only at the start of a line: a heading, list item or setext underline.
_LEADING = re.compile(r"^(?:([#+\-=])|(\d+)([.)]))")
#: An `@` no word character precedes would mention a GitHub user or team.
_MENTION = re.compile(r"(?<!\w)@")


def _one_line(value: object, limit: int) -> str:
    """The value on one line (a line break shown as ␤, a control character as �), cut to
    `limit` characters."""
    s = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", _BREAK.sub("\N{SYMBOL FOR NEWLINE}", str(value)))
    s = s.replace("\t", " ")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def text(value: object, limit: int = VALUE_CHARS) -> str:
    """A value as literal Markdown text: safe in a table cell, list item or heading."""
    s = _INLINE.sub(r"\\\1", _one_line(value, limit).strip())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _LEADING.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", s)
    return _MENTION.sub("@\N{WORD JOINER}", s)


def code(value: object, limit: int = VALUE_CHARS) -> str:
    """A value as an inline code span (outside tables: a `|` there would need escaping that
    GitHub and CommonMark read differently inside code)."""
    s = _one_line(value, limit)
    if not s.strip():
        return text(repr(s))
    fence = "`" * (max(map(len, re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s[0] in "` " or s[-1] in "` " else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table_head(*names: str) -> list[str]:
    return [_row(*names), _row(*("---" for _ in names))]


# --- the document: fixed text, and folds whose rows are cut to fit ---------------------------


@dataclass(frozen=True)
class _Fold:
    """A `<details>` block whose rows (whole items: a table row, an action's lines) may be cut
    from the end to keep the comment under GitHub's limit."""

    summary: str  # plain words, HTML-escaped when rendered
    head: tuple[str, ...]
    rows: tuple[str, ...]
    tail: tuple[str, ...] = ()
    separator: str = "\n"

    def cost(self, row: str) -> int:
        return len(row) + len(self.separator)

    def render(self, keep: int) -> str:
        left = len(self.rows) - keep
        lines = [f"<details><summary>{html.escape(self.summary)}</summary>", ""]
        if keep:
            lines += [*self.head, self.separator.join(self.rows[:keep]), *self.tail, ""]
        if left:
            lines += [f"*{left:,} more left out to fit one comment: {JSON_HINT}.*", ""]
        return "\n".join([*lines, "</details>", ""])

    def reserve(self) -> int:
        """Its size with no row kept, plus what its head and tail add once one is."""
        return len(self.render(0)) + sum(len(line) + 1 for line in (*self.head, *self.tail, ""))


_Piece = str | _Fold


def _fenced(summary: str, items: Sequence[str]) -> _Fold:
    """Items shown verbatim in a code block, fenced longer than any backtick run in them."""
    fence = "`" * max(3, max((len(r) for i in items for r in re.findall(r"`+", i)), default=0) + 1)
    return _Fold(summary, (fence,), tuple(items), (fence,), separator="\n\n")


def _detail(action: Action) -> str:
    """The text plan's lines for one action, each on one line and cut when long."""
    return "\n".join(_one_line(line, LINE_CHARS) for line in action_lines(action))


# --- sections ---------------------------------------------------------------------------------


def _head(plan: Plan) -> list[_Piece]:
    code_ = plan.exit_code(detailed=True)
    meaning = EXIT_MEANING.get(code_, "see `t2t plan --help`")
    return [
        f"## t2t plan: {code(plan.spec_name)}\n",
        f"Source tenant {code(plan.source_tenant)} → target tenant {code(plan.target_tenant)}\n",
        *([f"{text(waves)}\n"] if (waves := waves_line(plan)) else []),
        f"**{plan_line(plan)}**\n",
        f"`t2t plan --detailed-exitcode` exits **{code_}**: {meaning}.\n",
    ]


def _unknowns(plan: Plan) -> list[_Piece]:
    if not plan.unknowns:
        return []
    rows = [_row(u.tenant, text(u.what), text(u.reason)) for u in plan.unknowns]
    return [
        f"### ❓ Could not read ({len(plan.unknowns):,})\n",
        "Nothing is planned on top of these; the plan is incomplete until they can be read.\n",
        "\n".join([*_table_head("Tenant", "What", "Why"), *rows]) + "\n",
    ]


def _groups(items: Iterable[Finding]) -> dict[tuple[str, str, str], list[Finding]]:
    """Findings by check and what it says (one code's text can differ per tenant)."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in items:
        groups.setdefault((f.code, f.prevents, f.fix), []).append(f)
    return groups


def _finding_row(f: Finding) -> str:
    return _row(text(f.tenant), text(f.object), text(f.message))


def _findings(title: str, items: Sequence[Finding], shown: int) -> list[_Piece]:
    """Findings grouped by check: its code, count, what it prevents and its fix once, then the
    objects it fired on (the first few; the rest folded)."""
    if not items:
        return []
    out: list[_Piece] = [f"### {title} ({len(items):,})\n"]
    for (check, prevents, fix), group in _groups(items).items():
        out += [
            f"#### {code(check)} ({len(group):,})\n",
            f"Prevents: {text(prevents, LINE_CHARS)}\n",
            f"Fix: {text(fix, LINE_CHARS)}\n",
        ]
        rows = [_finding_row(f) for f in group]
        head = _table_head("Tenant", "Object", "Problem")
        if shown:
            out.append("\n".join([*head, *rows[:shown]]) + "\n")
        rest = rows[shown:]
        if rest and shown:
            out.append(f"… and {len(rest):,} more {code(check)}:\n")
        if rest:
            summary = f"{len(rest):,} more {check}" if shown else f"Every {check} ({len(rest):,})"
            out.append(_Fold(summary, (*head,), tuple(rest)))
    return out


def _fixed_by_plan(items: Sequence[Finding]) -> list[_Piece]:
    if not items:
        return []
    head = _table_head("Check", "Tenant", "Object", "Problem")
    rows = [_row(text(f.code), text(f.tenant), text(f.object), text(f.message)) for f in items]
    summary = f"Fixed by this plan ({len(items):,}): problems apply resolves"
    return [_Fold(summary, tuple(head), tuple(rows))]


def _action_row(action: Action) -> str:
    symbol = "!" if action.blocked else SYMBOL[action.operation]
    notes = action_notes(action)
    summary = text(action.summary) + (f" *({text('; '.join(notes))})*" if notes else "")
    return _row(f"`{symbol}`", text(action.key), summary)


def _changes(plan: Plan, shown: int) -> list[_Piece]:
    if not plan.actions:
        nothing = not plan.unknowns and not plan.blocking
        return [
            "### No changes\n",
            "Everything t2t plans already matches the spec.\n"
            if nothing
            else "No runnable changes.\n",
        ]
    out: list[_Piece] = [f"### Changes ({len(plan.actions):,})\n"]
    tenants = {"source": plan.source_tenant, "target": plan.target_tenant}
    for role, tenant_id in tenants.items():
        mine = [a for a in plan.actions if a.tenant == role]
        if not mine:
            continue
        out.append(f"#### {role.capitalize()} tenant {code(tenant_id)}: {tally(mine).phrase()}\n")
        kinds: dict[str, list[Action]] = {}
        for action in mine:
            kinds.setdefault(action.kind, []).append(action)
        for kind, group in kinds.items():
            out.append(f"**{code(kind)}**: {tally(group).phrase()}\n")
            if shown:
                rows = [_action_row(a) for a in group[:shown]]
                out.append("\n".join([*_table_head("", "Key", "Summary"), *rows]) + "\n")
            if len(group) > shown and shown:
                out.append(f"… and {len(group) - shown:,} more {code(kind)}\n")
            details = [_detail(a) for a in group]
            out.append(_fenced(f"Every {kind} in full ({len(group):,})", details))
    return out


def _notices(plan: Plan) -> list[_Piece]:
    if not plan.notices:
        return []
    items = [f"- {text(n, LINE_CHARS)}" for n in plan.notices]
    out: list[_Piece] = ["### Notes\n", "\n".join(items[:NOTICES_SHOWN]) + "\n"]
    if items[NOTICES_SHOWN:]:
        rest = tuple(items[NOTICES_SHOWN:])
        out.append(_Fold(f"{len(rest):,} more notes", (), rest))
    return out


def _permissions(plan: Plan) -> list[_Piece]:
    if not plan.permissions:
        return []
    items = [
        f"- {text(role)}: {text('; '.join(perms), LINE_CHARS)}"
        for role, perms in plan.permissions.items()
    ]
    return ["### Apply needs (t2t's own identity)\n", "\n".join(items) + "\n"]


def _document(plan: Plan, shown: int) -> list[_Piece]:
    warnings = [f for f in plan.findings if not f.blocking and not f.fixed_by_plan]
    fixed = [f for f in plan.findings if f.fixed_by_plan]
    return [
        *_head(plan),
        *_unknowns(plan),
        *_findings("⛔ Blocked", plan.blocking, shown),
        *_findings("⚠️ Warnings", warnings, shown),
        *_fixed_by_plan(fixed),
        *_changes(plan, shown),
        *_notices(plan),
        *_permissions(plan),
    ]


def _fixed_size(piece: _Piece) -> int:
    """What a piece takes whatever the budget: its text, or a fold with no row kept."""
    return (len(piece) if isinstance(piece, str) else piece.reserve()) + 1


def render_plan_markdown(plan: Plan, limit: int = COMMENT_LIMIT) -> str:
    """The plan as Markdown of at most `limit` characters; what detail had to be left out is
    counted where it was cut, and in a closing line."""
    for shown in SHOWN_STEPS:
        pieces = _document(plan, shown)
        fixed = sum(_fixed_size(p) for p in pieces)
        if fixed + len(_cut_note(10**9)) < limit:
            break
    else:
        return _too_large(plan)
    budget = limit - fixed - len(_cut_note(10**9)) - 1
    out: list[str] = []
    left_out = 0
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        keep = 0
        for row in piece.rows:
            if piece.cost(row) > budget:
                break
            budget -= piece.cost(row)
            keep += 1
        left_out += len(piece.rows) - keep
        out.append(piece.render(keep))
    if left_out:
        out.append(_cut_note(left_out))
    return "\n".join(out).rstrip("\n") + "\n"


def _cut_note(left_out: int) -> str:
    return (
        f"**Cut to fit one GitHub comment:** {left_out:,} items of detail are left out; "
        f"{JSON_HINT}.\n"
    )


def _too_large(plan: Plan) -> str:
    """The last resort when even the summary would not fit: the counts and where to look."""
    head = "\n".join(p for p in _head(plan) if isinstance(p, str))
    return (
        f"{head}\n**The plan is too large to show in one comment** "
        f"({len(plan.findings):,} checks, {len(plan.actions):,} actions): {JSON_HINT}.\n"
    )
