"""The planner: pure functions from (Desired, Observed) to a Plan of checks and actions."""

from t2t.planner.actions import Action, Change
from t2t.planner.checks import CATALOGUE, CheckDef, Finding
from t2t.planner.plan import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_LEFT_OUT,
    EXIT_OK,
    EXIT_UNKNOWN,
    SOURCE_NEEDS,
    TARGET_NEEDS,
    Plan,
    Unknown,
    build_plan,
)
from t2t.planner.relationships import SideDesire, plan_side

__all__ = [
    "CATALOGUE",
    "EXIT_BLOCKED",
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_LEFT_OUT",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "SOURCE_NEEDS",
    "TARGET_NEEDS",
    "Action",
    "Change",
    "CheckDef",
    "Finding",
    "Plan",
    "SideDesire",
    "Unknown",
    "build_plan",
    "plan_side",
]
