"""The JSON Schema of the spec document, for editors (yaml-language-server) and CI.

Generated from :class:`SpecDocument` and checked into ``schemas/t2t-spec.schema.json``; a
test fails when the two drift. Regenerate with::

    python -m t2t.spec.schema > schemas/t2t-spec.schema.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from t2t.spec.models import SpecDocument

SCHEMA_ID = "https://t2t.invalid/schemas/t2t-spec.schema.json"


def spec_json_schema() -> dict[str, Any]:
    schema = SpecDocument.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "t2t migration spec",
    }


def render() -> str:
    """The exact text of the checked-in schema file."""
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
