"""One executor per action kind; each is idempotent and verifies its own write.

Each module registers its executors with `@executes(...)` (registry.py); importing them all
here and checking the table complete makes a kind without an executor an import error.
"""

from __future__ import annotations

from t2t.apply.executors import (  # noqa: F401  (each registers its executors)
    app,
    batch,
    batch_remove,
    consent,
    endpoint,
    endpoint_remove,
    group,
    invitation,
    key_vault,
    licensing,
    mailuser,
    migration_user,
    org,
    orgrel,
)
from t2t.apply.executors.registry import EXECUTORS, Executor, check_complete

check_complete()

__all__ = ["EXECUTORS", "Executor"]
