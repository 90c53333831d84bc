"""Stable fingerprints of observed objects, so a saved plan can tell when the world moved."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def fingerprint(value: Any) -> str:
    """SHA-256 over canonical JSON (sorted keys, no whitespace); None fingerprints absence."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
