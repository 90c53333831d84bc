"""Checks on one existing batch of a wave, as functions (scope "batch"): only a batch on the
spec's endpoint is t2t's to complete, start or change, and a wave in phase sync must not carry
a completion time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from t2t.planner.batches.catalogue import group
from t2t.planner.checks import CheckDef, check
from t2t.state.exchange import MigrationBatch

if TYPE_CHECKING:
    from t2t.spec import DesiredBatch


@dataclass(frozen=True)
class NamedBatch:
    """A batch that bears the wave's name (the wave's own, or `<wave>-NN`)."""

    wave: DesiredBatch
    batch: MigrationBatch
    endpoint: str
    """The name of the endpoint in use for the spec's (t2t/state/endpoint_chain.py)."""
    replaced: frozenset[str] = frozenset()
    """The spec's endpoints that point at the wrong tenant (lower case): the batches on them
    are the wave's, moved to the endpoint in use (T2T-E232's remedy)."""

    @property
    def on_spec_endpoint(self) -> bool:
        named = self.batch.source_endpoint
        return named is not None and named.lower() == self.endpoint.lower()

    @property
    def on_replaced_endpoint(self) -> bool:
        named = self.batch.source_endpoint
        return named is not None and named.lower() in self.replaced


@check(
    CheckDef(
        "T2T-E409",
        "batch-name-taken",
        "error",
        "A batch with this wave's name exists but uses another source endpoint",
        "completing or restarting a batch t2t did not create (another migration's mailboxes "
        "cut over)",
        "Rename the wave in the spec, or finish that batch by hand; t2t never completes, "
        "starts or changes a batch on another endpoint, and numbers its own batches past it.",
        "review finding; microsoft-t2t.md §6 (a batch names its SourceEndpoint)",
    ),
    scope="batch",
    tenant="target",
)
def on_another_endpoint(nb: NamedBatch) -> str | None:
    if nb.on_spec_endpoint or nb.on_replaced_endpoint:
        return None
    return f"SourceEndpoint is {nb.batch.source_endpoint or 'not set'}, not {nb.endpoint}"


@check(
    CheckDef(
        "T2T-E410",
        "batch-sync-but-complete-after",
        "error",
        "The wave is in phase sync but its batch still has a CompleteAfter time",
        "Microsoft completes the batch at that time by itself (an unplanned cut-over)",
        "Clear it by hand (Set-MigrationBatch -CompleteAfter $null) or set phase: complete; "
        "t2t does not clear a completion time it cannot prove it set.",
        "microsoft-t2t.md §6 (CompleteAfter; PSDOC-MB)",
    ),
    scope="batch",
    tenant="target",
)
def sync_with_completion_time(nb: NamedBatch) -> str | None:
    b = nb.batch
    if not (nb.on_spec_endpoint and nb.wave.phase == "sync" and b.complete_after):
        return None
    if group(b.status) == "done":
        return None
    return f"CompleteAfter is {b.complete_after} while the wave is in phase sync"
