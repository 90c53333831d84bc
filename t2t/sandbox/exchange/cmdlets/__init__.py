"""Every emulated cmdlet, registered into one registry."""

from __future__ import annotations

from t2t.sandbox.exchange.cmdlets import groups, organization
from t2t.sandbox.exchange.registry import Registry


def build_registry() -> Registry:
    registry = Registry()
    for module in (organization, groups):
        module.register(registry)
    return registry
