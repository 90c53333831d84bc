"""The JSON Schema of `t2t plan --format json`, checked into ``schemas/t2t-plan.schema.json``.

Generated from the models `render_plan_json` dumps: `Plan` (with its actions, changes, findings
and unknowns) and `PlanSummary`. The planner's models carry no field descriptions, so theirs are
kept here, and generation fails when a field has none. `model_dump` writes every field of those
models and nothing else, so each of them is closed (``additionalProperties: false``) with every
field required; what an action sends, wants and saw (``parameters``, ``desired``, ``observed``)
stays open. A test fails when the file and the models drift. Regenerate with::

    python -m t2t.render.plan_schema > schemas/t2t-plan.schema.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from t2t.planner import Plan
from t2t.render.json_plan import PlanSummary

SCHEMA_ID = "https://t2t.invalid/schemas/t2t-plan.schema.json"

FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Plan": {
        "format": "The version of this document's shape.",
        "spec_name": "The spec's `name`.",
        "spec_path": "The spec file that was planned, as given to `t2t plan`; in a plan saved "
        "with `--out`, relative to the saved plan's folder with `/` between folders (absolute "
        "only where no relative path exists: another drive).",
        "source_tenant": "The source tenant's id (a GUID), from the spec.",
        "target_tenant": "The target tenant's id (a GUID), from the spec.",
        "actions": "Every step apply would take, in the order it takes them; the blocked ones "
        "too, each with the checks that hold it.",
        "findings": "Every check that fired, once per object it fired on.",
        "unknowns": "The parts of a tenant that could not be read; nothing is planned on top of "
        "them.",
        "notices": "Notes for the reader that are neither checks nor actions (a batch's status, "
        "a domain that planned nothing).",
        "permissions": "What t2t's own identity needs to apply this plan, per tenant role "
        "(`source`, `target`): one description per permission.",
        "spec_fingerprint": "SHA-256 (`sha256:…`) of everything the spec resolved to, CSV "
        "contents included: a saved plan is refused once the spec changed.",
        "summary": "The counts a CI job reads first.",
        "waves": "The waves (spec batches) the plan is limited to with `--wave`, in spec order; "
        "empty when it covers every wave. Other waves' batches and mailboxes are neither read "
        "per mailbox nor planned.",
    },
    "Action": {
        "id": "The step's stable id, `<tenant>:<kind>:<key>`.",
        "tenant": "The tenant the step runs in.",
        "kind": "What the step does (an action kind of t2t/planner/kinds.py, e.g. "
        "`mailuser.create`).",
        "key": "The object the step acts on (an address, a name), unique per tenant and kind.",
        "operation": "`create`, `update`, `delete`, or `run` (a step that starts something, "
        "such as a consent or a batch).",
        "cmdlet": "The Exchange cmdlet or Microsoft Graph request the step sends.",
        "parameters": "What the step sends with it, as planned.",
        "changes": "Each field that differs: what it is now and what the step makes it.",
        "desired": "What the spec asks of the object, as the planner resolved it.",
        "observed": "The object as it was read when planned; null when it does not exist.",
        "fingerprint": "SHA-256 (`sha256:…`) of what the step was planned against: apply "
        "refuses a saved plan whose object changed since.",
        "depends_on": "Ids of the actions that must succeed before this one.",
        "risk": "`safe`; `disruptive` when users notice (a batch starts or completes); "
        "`destructive`.",
        "summary": "The step in one line, for people.",
        "blocked_by": "The check codes that hold the step; empty when it can run. A kind "
        "ending `.await` waits for a person (the check says what to do).",
        "unverified": "The wire forms (WIRE-n, t2t/clients/wire.py) the step rests on that no "
        "public source confirms yet.",
    },
    "Change": {
        "field": "The field (or parameter) that differs.",
        "before": "Its value now; null when the object or field does not exist.",
        "after": "Its value once the step ran.",
    },
    "Finding": {
        "code": "The check's stable code (`T2T-E…` an error, `T2T-W…` a warning; the "
        "README's check table).",
        "severity": "`error` or `warning`.",
        "tenant": "The tenant role the check looked at (`source` or `target`).",
        "object": "What the check fired on (an address, a group, a batch, a relationship).",
        "message": "What is wrong with that object.",
        "fix": "How to fix it (or what t2t does about it).",
        "prevents": "The failure at Microsoft this check prevents.",
        "fixed_by_plan": "True when the plan's own actions fix it; an error this plan does not "
        "fix blocks.",
    },
    "Unknown": {
        "tenant": "The tenant that could not be read.",
        "what": "The part that could not be read (t2t/state/parts.py).",
        "reason": "Why (the error met).",
    },
}


def _describe(schema: dict[str, Any], descriptions: dict[str, str] | None) -> None:
    """Close an object schema: every field required, no other field allowed, each described."""
    props: dict[str, Any] = schema["properties"]
    if descriptions is not None:
        if set(descriptions) != set(props):
            raise ValueError(
                f"{schema['title']}: describe exactly its fields; missing "
                f"{sorted(set(props) - set(descriptions))}, "
                f"unknown {sorted(set(descriptions) - set(props))}"
            )
        for name, text in descriptions.items():
            props[name]["description"] = text
    if missing := [name for name, prop in props.items() if not prop.get("description")]:
        raise ValueError(f"{schema['title']}: no description for {missing}")
    schema["required"] = list(props)
    schema["additionalProperties"] = False


def plan_json_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema(mode="serialization")
    defs: dict[str, Any] = schema.pop("$defs")
    defs["PlanSummary"] = PlanSummary.model_json_schema(mode="serialization", by_alias=True)
    schema["properties"]["summary"] = {"$ref": "#/$defs/PlanSummary"}
    for name, model in {"Plan": schema, **defs}.items():
        _describe(model, FIELD_DESCRIPTIONS.get(name))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "t2t plan (t2t plan --format json)",
        "$defs": defs,
    }


def render() -> str:
    """The exact text of the checked-in schema file."""
    return json.dumps(plan_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
