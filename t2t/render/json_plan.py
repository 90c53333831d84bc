"""The plan as JSON: for machines, CI and saved plans (schemas/t2t-plan.schema.json)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field

from t2t.planner import Plan


class PlanSummary(BaseModel):
    """The counts a CI job reads first, beside the plan; taken from the plan, never planned."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    exit_code: int = Field(
        alias="exitCode",
        description="What `t2t plan --detailed-exitcode` exits with for this plan "
        "(the README's exit-code table).",
    )
    runnable: int = Field(ge=0, description="Actions apply would run: those no check blocks.")
    blocked: int = Field(ge=0, description="Actions a check holds (a non-empty `blocked_by`).")
    blocking_findings: int = Field(
        alias="blockingFindings",
        ge=0,
        description="Findings that block: errors this plan does not fix.",
    )
    unknown: int = Field(ge=0, description="Parts of a tenant that could not be read (`unknowns`).")

    @classmethod
    def of(cls, plan: Plan) -> PlanSummary:
        return cls(
            exit_code=plan.exit_code(detailed=True),
            runnable=len(plan.runnable),
            blocked=len(plan.actions) - len(plan.runnable),
            blocking_findings=len(plan.blocking),
            unknown=len(plan.unknowns),
        )


def render_plan_json(plan: Plan) -> str:
    data = plan.model_dump(mode="json")
    data["summary"] = PlanSummary.of(plan).model_dump(mode="json", by_alias=True)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
