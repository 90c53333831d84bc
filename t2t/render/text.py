"""Terraform-style plan text: checks first, then actions with their symbols, then the summary.

Symbols: `+` create, `~` update, `-` delete, `!` blocked, `?` unknown (lessons-from-peers.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping

from t2t.planner import Action, Plan
from t2t.render.counts import plan_line, waves_line
from t2t.render.fit import change_lines, wrapped

SYMBOL = {"create": "+", "update": "~", "delete": "-", "run": ">"}

#: Actions of one kind (and findings of one code) shown in full; the rest are counted, so a
#: 10,000-mailbox plan stays readable. `--format json` keeps everything.
PER_KIND = 5


def action_notes(action: Action) -> list[str]:
    """What a reader must know beside an action: its risk, what holds it, unverified forms."""
    notes: list[str] = []
    if action.risk != "safe":
        notes.append(action.risk)
    if action.kind.endswith(".await"):
        notes.append(f"waits for a person: see {', '.join(action.blocked_by)} above")
    elif action.blocked:
        notes.append(f"blocked by {', '.join(action.blocked_by)}")
    if action.unverified:
        notes.append(f"unverified wire form: {', '.join(action.unverified)}")
    return notes


def action_lines(action: Action) -> list[str]:
    """One action as the text plan shows it: symbol, tenant, kind, key, cmdlet, each change
    (a long value summarised: t2t/render/fit.py)."""
    symbol = "!" if action.blocked else SYMBOL[action.operation]
    head = f"  {symbol} {action.tenant}  {action.kind}  {action.key!r}"
    notes = action_notes(action)
    if notes:
        head += f"  ({'; '.join(notes)})"
    lines = [*wrapped(head, 4), *wrapped(f"      # {action.cmdlet}", 8)]
    width = max((len(c.field) for c in action.changes), default=0)
    create = action.operation == "create"
    for change in action.changes:
        lead = f"      {'+' if create else '~'} {change.field.ljust(width)} = "
        lines += change_lines(lead, change.before, change.after, create=create)
    return lines


def tenant_label(tenant_id: str, names: Mapping[str, str]) -> str:
    """`Contoso (6d0c…)` when the organization's name was read, else the id alone; the name
    comes from the tenant, so whatever could drive a terminal is left out of it."""
    name = "".join(ch for ch in names.get(tenant_id, "") if ch.isprintable()).strip()
    return f"{name} ({tenant_id})" if name else tenant_id


def render_plan(plan: Plan, names: Mapping[str, str] | None = None) -> str:
    """The plan as text; `names` (tenant id -> the organization's display name, as read) puts
    each tenant's name beside its id in the header."""
    names = names or {}
    source, target = (tenant_label(t, names) for t in (plan.source_tenant, plan.target_tenant))
    out = wrapped(f"t2t plan: {plan.spec_name}  (source {source} -> target {target})", 2)
    if waves := waves_line(plan):
        out += wrapped(f"  {waves}", 4)
    if plan.unknowns:
        out += ["", "Could not read (nothing is planned on top of these):"]
        for u in plan.unknowns:
            out += wrapped(f"  ? {u.tenant}  {u.what}: {u.reason}", 4)
    if plan.findings:
        out += ["", "Checks:"]
        seen: dict[str, int] = {}
        for f in plan.findings:
            seen[f.code] = seen.get(f.code, 0) + 1
            if seen[f.code] > PER_KIND:
                continue
            state = "fixed by this plan" if f.fixed_by_plan else ("BLOCKS" if f.blocking else "")
            out += wrapped(
                f"  {f.code} {f.severity:7} {f.tenant}  {f.object}: {f.message}"
                + (f"  [{state}]" if state else ""),
                11,
            )
            out += wrapped(f"           prevents: {f.prevents}", 21)
            out += wrapped(f"           fix: {f.fix}", 16)
        for code, n in seen.items():
            if n > PER_KIND:
                out.append(f"  … and {n - PER_KIND:,} more {code} (t2t plan --format json)")
    if plan.actions:
        used = sorted({"!" if a.blocked else SYMBOL[a.operation] for a in plan.actions})
        legend = {"+": "create", "~": "update in place", "-": "delete", "!": "blocked", ">": "run"}
        out += [
            "",
            "t2t will perform these actions:  " + ", ".join(f"{s} {legend[s]}" for s in used),
            "",
        ]
        shown: dict[str, int] = {}
        for action in plan.actions:
            shown[action.kind] = shown.get(action.kind, 0) + 1
            if shown[action.kind] <= PER_KIND:
                out += action_lines(action)
                out.append("")
        more = [(k, n - PER_KIND) for k, n in shown.items() if n > PER_KIND]
        for kind, n in more:
            out.append(f"  … and {n:,} more {kind}")
        if more:
            out += ["  (every action: t2t plan --format json)", ""]
    else:
        out += [
            "",
            "No changes: everything t2t plans already matches the spec."
            if not plan.unknowns and not plan.blocking
            else "No runnable changes.",
        ]
    if plan.permissions:
        if out[-1]:
            out.append("")
        out.append("Apply needs (t2t's own identity):")
        for role, perms in plan.permissions.items():
            out += wrapped(f"  {role}: {'; '.join(perms)}", 4)
    for notice in plan.notices:
        out += ["", *wrapped(f"Note: {notice}", 6)]
    out.append(plan_line(plan))
    return "\n".join(out) + "\n"
