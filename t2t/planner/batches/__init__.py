"""Per spec batch: New-MigrationBatch, then the phase's steps (start, complete, CompleteAfter)."""

from t2t.planner.batches import catalogue as _catalogue  # noqa: F401  (registers the codes)
from t2t.planner.batches.desire import (
    BatchDesire,
    batch_observed,
    needs_readd,
    next_step,
    step_call,
)
from t2t.planner.batches.domain import BATCHES, plan_batches, wave_batch_index

__all__ = [
    "BATCHES",
    "BatchDesire",
    "batch_observed",
    "needs_readd",
    "next_step",
    "plan_batches",
    "step_call",
    "wave_batch_index",
]
