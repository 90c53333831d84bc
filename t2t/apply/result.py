"""What happened to each action, and the run's summary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["done", "noop", "failed", "skipped", "blocked"]


class ActionResult(BaseModel):
    id: str
    status: Status
    message: str = ""
    warnings: list[str] = Field(default_factory=list)
    request_ids: list[str] = Field(default_factory=list)
    seconds: float = 0.0


class ApplyReport(BaseModel):
    results: list[ActionResult] = Field(default_factory=list)
    interrupted: bool = False
    """Stopped by the operator: what was in flight finished, the rest did not start."""

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not any(r.status in ("failed", "skipped", "blocked") for r in self.results)
