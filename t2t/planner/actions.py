"""Actions are data: a saved plan can be reviewed, stored and applied later.

Each action names the exact cmdlet and parameters it will send, the observed values it was
planned against (with their fingerprint), what it depends on and its risk (DESIGN.md, "Actions").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Risk = Literal["safe", "disruptive", "destructive"]
Role = Literal["source", "target"]


class Change(BaseModel):
    """One field that differs: what it is now and what the action makes it."""

    model_config = ConfigDict(frozen=True)

    field: str
    before: Any = None
    after: Any = None


class Action(BaseModel):
    """One idempotent step against one tenant."""

    model_config = ConfigDict(frozen=True)

    id: str
    tenant: Role
    kind: str
    key: str
    operation: Literal["create", "update", "delete", "run"]
    cmdlet: str
    parameters: dict[str, Any]
    changes: tuple[Change, ...] = ()
    desired: dict[str, Any] = Field(default_factory=dict)
    observed: dict[str, Any] | None = None
    fingerprint: str
    depends_on: tuple[str, ...] = ()
    risk: Risk = "safe"
    summary: str = ""
    blocked_by: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)
