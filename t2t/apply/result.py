"""What happened to each action, and the run's summary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["done", "noop", "failed", "skipped", "blocked", "unknown", "waiting"]
"""`unknown`: the action reached its deadline, or its write's answer was lost and the change
does not show — it may yet happen, so it is not failed, and the next run re-reads it; `waiting`:
not started because an action it depends on is unknown (the next run starts it)."""


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
        return all(r.status in ("done", "noop") for r in self.results)

    @property
    def run_again(self) -> bool:
        """Some outcome is unknown: a second apply re-reads it and starts what waits on it."""
        return self.count("unknown") > 0
