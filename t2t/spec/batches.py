"""``batches``: waves of declared mailboxes, each with its phase.

Batches may only name mailboxes declared under ``identities.mailboxes`` (by source or
target address). This is the stricter of the two possible rules, chosen on purpose: a
typo in a wave file then fails review instead of silently declaring a new mailbox to move.
A mailbox belongs to at most one batch. A batch larger than Microsoft's 2,000 mailboxes
(microsoft-t2t.md §8) is accepted: the planner splits it into sub-batches.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import TypeAdapter

from t2t.spec.context import Context
from t2t.spec.desired import DesiredBatch, Origin
from t2t.spec.errors import Mark
from t2t.spec.mailboxes import Declared, Identities
from t2t.spec.messages import dotted
from t2t.spec.models import BatchDoc, CsvRefDoc

_BATCH = TypeAdapter(BatchDoc)


def _utc(value: datetime | None) -> datetime | None:
    """Microsoft reads -CompleteAfter without a zone as UTC (microsoft-t2t.md §6)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class _Members:
    """Collects one batch's mailboxes, refusing undeclared ones and ones already batched."""

    def __init__(self, ctx: Context, ids: Identities, name: str, label: str) -> None:
        self.ctx, self.ids, self.name, self.label = ctx, ids, name, label
        self.targets: list[str] = []
        self.marks: dict[str, Mark] = {}
        self.seen = 0  # entries met, valid or not
        self.failed = False  # a CSV could not be read (already reported)

    def add(self, address: str, mark: Mark, source: str | None = None) -> None:
        self.seen += 1
        key = address.lower()
        mailbox: Declared | None = self.ids.by_target.get(key)
        if mailbox is None and source is None:
            mailbox = self.ids.by_source.get(key)
        if mailbox is None:
            if self.ids.complete:
                self.ctx.error(
                    mark,
                    f"{self.label}: {address} is not declared under identities.mailboxes;"
                    " declare it there first (batches only name declared mailboxes)",
                )
            return
        if source is not None and source.lower() != mailbox.source.lower():
            self.ctx.error(
                mark,
                f"{self.label}: this row moves {source} to {address}, but identities declares"
                f" {mailbox.source} for {address} ({self.ctx.where(mailbox.mark)})",
            )
            return
        if mailbox.batch == self.name:
            self.ctx.error(
                mark,
                f"{self.label}: {address} is listed twice in this batch"
                f" (first at {self.ctx.where(self.marks[mailbox.target.lower()])})",
            )
            return
        if mailbox.batch is not None:
            self.ctx.error(
                mark,
                f"{self.label}: {address} is already in batch '{mailbox.batch}'; a mailbox"
                " moves in one batch",
            )
            return
        mailbox.batch = self.name
        self.marks[mailbox.target.lower()] = mark
        self.targets.append(mailbox.target)

    def add_csv(self, ref: CsvRefDoc, mark: Mark) -> None:
        loaded = self.ctx.csv_file(ref.csv, mark, f"{self.label}.csv")
        if loaded is None:
            self.failed = True
            return
        table, display = loaded
        self.seen += table.dropped
        for row in table.rows:
            row_mark = Mark(display, row.target_line, row.target_col)
            self.add(row.target, row_mark, row.source)


def resolve_batches(ctx: Context, ids: Identities) -> list[DesiredBatch]:
    out: list[DesiredBatch] = []
    names: dict[str, Mark] = {}
    for i in range(ctx.items(("batches",))):
        path: tuple[str | int, ...] = ("batches", i)
        batch = ctx.piece(_BATCH, path)
        if batch is None:
            continue
        label = f"batches[{i}]"
        name_mark = ctx.at((*path, "name"))
        if batch.name.lower() in names:
            ctx.error(
                name_mark,
                f"{dotted((*path, 'name'))}: a batch named '{batch.name}' already exists"
                f" (line {names[batch.name.lower()].line})",
            )
            continue
        names[batch.name.lower()] = name_mark
        if batch.complete_after is not None and batch.phase != "complete":
            ctx.error(
                ctx.key_at((*path, "completeAfter")),
                f"{label}: completeAfter only applies with phase: complete (this batch has"
                f" phase: {batch.phase}); it becomes New-MigrationBatch -CompleteAfter",
            )
        members = _Members(ctx, ids, batch.name, f"{label}.mailboxes")
        if isinstance(batch.mailboxes, CsvRefDoc):
            members.add_csv(batch.mailboxes, ctx.at((*path, "mailboxes", "csv")))
        else:
            for j, entry in enumerate(batch.mailboxes):
                entry_path = (*path, "mailboxes", j)
                if isinstance(entry, CsvRefDoc):
                    members.add_csv(entry, ctx.at((*entry_path, "csv")))
                else:
                    members.add(entry, ctx.at(entry_path))
        if members.seen == 0 and not members.failed:
            ctx.error(ctx.key_at((*path, "mailboxes")), f"{label}: the batch has no mailboxes")
        out.append(
            DesiredBatch(
                name=batch.name,
                mailboxes=tuple(members.targets),
                target_delivery_domain=batch.target_delivery_domain,
                phase=batch.phase,
                complete_after=_utc(batch.complete_after),
                origin=Origin(path=name_mark.path, line=name_mark.line, col=name_mark.col),
            )
        )
    return out
