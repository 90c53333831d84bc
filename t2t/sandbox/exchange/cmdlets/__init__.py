"""Every emulated cmdlet, registered into one registry."""

from __future__ import annotations

from t2t.sandbox.exchange.cmdlets import (
    contacts,
    folders,
    groups,
    migration,
    organization,
    permissions,
    recipients,
    storage,
)
from t2t.sandbox.exchange.registry import Registry


def build_registry() -> Registry:
    registry = Registry()
    for module in (
        organization,
        groups,
        recipients,
        folders,
        permissions,
        storage,
        contacts,
        migration,
    ):
        module.register(registry)
    return registry
