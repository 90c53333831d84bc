"""How unkind the sandbox is: Microsoft's worst ordinary day by default.

Why a profile: every test and the demo run on ``STRICT`` (delayed secrets, writes that lag,
throttling, licensing that takes minutes), because that is what production does. ``KIND``
exists only for the planner's pure tests, which read a tenant and never write to it; it is
chosen explicitly (``t2t sandbox serve --profile kind``, ``SandboxServer(profile="kind")``)
and never by default. Each knob cites where the behaviour it governs is implemented; the
behaviour cites Microsoft.

``GET /_sandbox/strictness`` shows the running values; ``POST /_sandbox/strictness`` with
some of the fields changes them (a test arranging a condition, e.g. a longer secret delay);
``POST /_sandbox/reset`` restores the profile's values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Strictness:
    secret_delay_seconds: float
    """A new client secret is refused by the token endpoint this long (sandbox clock) after
    it was created (identity.py)."""
    replication: bool
    """Writes that name an object created moments ago can fail as Microsoft's do
    (replication.py)."""
    throttling: bool
    """Graph identity budgets and Exchange's per-tenant budget are enforced (throttle.py)."""
    licensing_seconds: float
    """A licence assigned on Graph provisions over this much sandbox clock (licensing)."""

    def with_changes(self, changes: dict[str, Any]) -> Strictness:
        """A copy with ``changes`` applied; unknown fields or wrong types are refused."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        out: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in fields:
                raise ValueError(f"unknown strictness field {name!r} (known: {sorted(fields)})")
            current = getattr(self, name)
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
            out[name] = value
        return dataclasses.replace(self, **out)

    def snapshot(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


STRICT = Strictness(
    secret_delay_seconds=10.0,
    replication=True,
    throttling=True,
    licensing_seconds=120.0,
)
"""The default. Values from Microsoft's observed ranges (each field's implementation cites
its source)."""

KIND = Strictness(
    secret_delay_seconds=0.0,
    replication=False,
    throttling=False,
    licensing_seconds=0.0,
)
"""Only for the planner's pure tests (they never write)."""

PROFILES: dict[str, Strictness] = {"strict": STRICT, "kind": KIND}
