"""The spec layer: a YAML migration spec (plus CSV wave files) → :class:`Desired`.

Public API::

    load_spec(path, *, check_git=True) -> Desired     # raises SpecInvalid
    SpecInvalid.errors: list[SpecError]                # every problem, sorted
    str(SpecError) == "PATH:LINE:COL: message"
    spec_json_schema() -> dict                         # schemas/t2t-spec.schema.json
    select_waves(desired, names) -> Desired            # --wave; raises UnknownWave

Imports nothing else of t2t (import-linter enforces it).
"""

from typing import Any

from t2t.spec.desired import (
    AppRef,
    AuthRef,
    Desired,
    DesiredBatch,
    DesiredMailbox,
    DesiredRelationship,
    DesiredTenant,
    EndpointSpec,
    KeyVaultSpec,
    Origin,
    RewriteRule,
    SecretRef,
)
from t2t.spec.errors import SpecError, SpecInvalid
from t2t.spec.loader import load_spec
from t2t.spec.waves import UnknownWave, select_waves


def spec_json_schema() -> dict[str, Any]:
    """The spec's JSON Schema (imported lazily so ``python -m t2t.spec.schema`` runs cleanly)."""
    from t2t.spec.schema import spec_json_schema as build

    return build()


__all__ = [
    "AppRef",
    "AuthRef",
    "Desired",
    "DesiredBatch",
    "DesiredMailbox",
    "DesiredRelationship",
    "DesiredTenant",
    "EndpointSpec",
    "KeyVaultSpec",
    "Origin",
    "RewriteRule",
    "SecretRef",
    "SpecError",
    "SpecInvalid",
    "UnknownWave",
    "load_spec",
    "select_waves",
    "spec_json_schema",
]
