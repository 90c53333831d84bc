"""The applier: executes a plan's actions against both tenants, idempotently."""

from t2t.apply.context import ApplyContext
from t2t.apply.result import ActionResult, ApplyReport
from t2t.apply.runner import apply_plan

__all__ = ["ActionResult", "ApplyContext", "ApplyReport", "apply_plan"]
