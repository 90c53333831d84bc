"""Helpers shared by cmdlet modules: identity resolution and record building."""

from __future__ import annotations

from t2t.sandbox.exchange.errors import DATA_VALIDATION, CmdletError, not_found
from t2t.sandbox.model import Group, Tenant


def find_group(tenant: Tenant, identity: str) -> Group | None:
    """GroupIdParameter: name, alias, display name, email address, DN or GUID (PSDOC)."""
    key = identity.strip().lower()
    for g in tenant.groups:
        if key in {
            g.name.lower(),
            g.alias.lower(),
            g.display_name.lower(),
            g.primary_smtp_address.lower(),
            g.distinguished_name.lower(),
            g.guid.lower(),
        }:
            return g
    return None


def require_group(tenant: Tenant, identity: str) -> Group:
    group = find_group(tenant, identity)
    if group is None:
        raise not_found(identity)
    return group


def check_length(value: str, maximum: int) -> None:
    """A string property longer than its schema allows: Exchange's DataValidationException
    (the references give each maximum, e.g. Name 64, DisplayName 256)."""
    if len(value) > maximum:
        raise CmdletError(
            400,
            DATA_VALIDATION,
            f"The length of the property is too long. The maximum length is {maximum} and the "
            f"length of the value provided is {len(value)}.",
        )
