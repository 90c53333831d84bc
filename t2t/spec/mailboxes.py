"""``identities``: rewrite rules and the mailbox list, resolved to (source, target, UPN).

A mailbox can be declared three ways: an address (the target is derived by the rewrite
rules), an explicit ``{source, target}`` pair, or ``{csv: file}`` (see :mod:`csvfile`).
Each mailbox moves once, to one target: a source or a target declared twice is an error,
as are two mailboxes that would end up with the same UPN.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter

from t2t.spec.context import Context
from t2t.spec.csvfile import CsvTable
from t2t.spec.errors import Mark
from t2t.spec.messages import dotted
from t2t.spec.models import CsvRefDoc, MailboxEntry, MailboxPairDoc, RewriteRuleDoc
from t2t.spec.rewrite import RewriteRules, Rule

_RULE = TypeAdapter(RewriteRuleDoc)
_ENTRY: TypeAdapter[str | MailboxPairDoc | CsvRefDoc] = TypeAdapter(MailboxEntry)
_MAILBOXES = ("identities", "mailboxes")


@dataclass
class Declared:
    """A mailbox being resolved; ``batch`` is filled in by the batches step."""

    source: str
    target: str
    upn: str
    mark: Mark
    batch: str | None = None


@dataclass
class Identities:
    rules: RewriteRules
    mailboxes: list[Declared]
    by_source: dict[str, Declared]
    by_target: dict[str, Declared]
    complete: bool  # False when some entry was invalid: "not declared" would then be noise


def resolve_rules(ctx: Context) -> tuple[RewriteRules, bool]:
    """The rewrite rules, and whether all of them were valid."""
    path = ("identities", "rewrite")
    rules: list[Rule] = []
    seen: dict[str, Mark] = {}
    complete = True
    for i in range(ctx.items(path)):
        doc = ctx.piece(_RULE, (*path, i))
        if doc is None:
            complete = False
            continue
        here = dotted((*path, i))
        if doc.from_ == doc.to:
            ctx.error(
                ctx.at((*path, i, "to")),
                f"{here}: maps {doc.from_} onto itself; 'to' must be a domain of the target tenant",
            )
            complete = False
            continue
        from_mark = ctx.at((*path, i, "from"))
        if doc.from_ in seen:
            ctx.error(
                from_mark,
                f"{here}: {doc.from_} is already rewritten by the rule on line"
                f" {seen[doc.from_].line}",
            )
            continue
        seen[doc.from_] = from_mark
        rules.append(Rule(doc.from_, doc.to, from_mark.line))
    return RewriteRules(tuple(rules)), complete


class _Registry:
    """Declared mailboxes keyed by lowercase source and target address and by UPN."""

    def __init__(self, ctx: Context, upn_domain: str | None) -> None:
        self.ctx = ctx
        self.upn_domain = upn_domain
        self.mailboxes: list[Declared] = []
        self.by_source: dict[str, Declared] = {}
        self.by_target: dict[str, Declared] = {}
        self.by_upn: dict[str, Declared] = {}

    def add(self, source: str, target: str, source_mark: Mark, target_mark: Mark) -> None:
        skey, tkey = source.lower(), target.lower()
        where = self.ctx.where
        first = self.by_source.get(skey)
        if first is not None:
            if first.target.lower() == tkey:
                self.ctx.error(
                    source_mark, f"{source} is listed twice (first at {where(first.mark)})"
                )
            else:
                self.ctx.error(
                    source_mark,
                    f"{source} is already mapped to {first.target} ({where(first.mark)});"
                    " a mailbox moves to one target",
                )
            return
        other = self.by_target.get(tkey)
        if other is not None:
            self.ctx.error(
                target_mark,
                f"{target} is already the target of {other.source} ({where(other.mark)});"
                " two sources cannot move into one target",
            )
            return
        local = target.rpartition("@")[0]
        upn = f"{local}@{self.upn_domain}" if self.upn_domain else target
        clash = self.by_upn.get(upn.lower())
        if clash is not None:
            self.ctx.error(
                target_mark,
                f"{target} would get the UPN {upn}, already the UPN of {clash.target}"
                f" ({where(clash.mark)}); give one of them a different local part",
            )
            return
        mailbox = Declared(source, target, upn, source_mark)
        self.mailboxes.append(mailbox)
        self.by_source[skey] = mailbox
        self.by_target[tkey] = mailbox
        self.by_upn[upn.lower()] = mailbox


def resolve_identities(ctx: Context, upn_domain: str | None) -> Identities:
    rules, rules_ok = resolve_rules(ctx)
    complete = rules_ok
    registry = _Registry(ctx, upn_domain)
    for i in range(ctx.items(_MAILBOXES)):
        path = (*_MAILBOXES, i)
        entry = ctx.piece(_ENTRY, path)
        if entry is None:
            complete = False
        elif isinstance(entry, str):
            target = rules.forward(entry)
            if target is None:
                domain = entry.rpartition("@")[2].lower()
                if rules_ok:
                    ctx.error(
                        ctx.at(path),
                        f"{dotted(path)}: no rewrite rule covers {domain}, so the target of"
                        f" {entry} is unknown; add a rule under identities.rewrite or write"
                        " {source: …, target: …}",
                    )
                complete = False
                continue
            registry.add(entry, target, ctx.at(path), ctx.at(path))
        elif isinstance(entry, MailboxPairDoc):
            registry.add(
                entry.source, entry.target, ctx.at((*path, "source")), ctx.at((*path, "target"))
            )
        else:
            loaded = ctx.csv_file(entry.csv, ctx.at((*path, "csv")), dotted((*path, "csv")))
            if loaded is None:
                complete = False
                continue
            complete = _add_csv(ctx, registry, rules, rules_ok, *loaded) and complete
    return Identities(rules, registry.mailboxes, registry.by_source, registry.by_target, complete)


def _add_csv(
    ctx: Context,
    registry: _Registry,
    rules: RewriteRules,
    rules_ok: bool,
    table: CsvTable,
    display: str,
) -> bool:
    ok = table.dropped == 0
    for row in table.rows:
        target_mark = Mark(display, row.target_line, row.target_col)
        if row.source is not None:
            source_mark = Mark(display, row.source_line, row.source_col)
            registry.add(row.source, row.target, source_mark, target_mark)
            continue
        reversal = rules.reverse(row.target)
        if reversal.source is None:
            if rules_ok:
                ctx.error(target_mark, reversal.problem or "cannot derive the source address")
            ok = False
            continue
        registry.add(reversal.source, row.target, target_mark, target_mark)
    return ok
