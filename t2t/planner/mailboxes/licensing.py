"""usageLocation, then licences — only once the ExchangeGuid is stamped (microsoft-t2t.md §4:
a licence on a MailUser without ExchangeGuid provisions a fresh mailbox and the move fails
for good with "already has a primary mailbox"). Pure; shared by the planner and executors."""

from __future__ import annotations

from typing import Any

from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.state.directory import DirectoryUser


def usage_location_body(d: MailboxDesire, user: DirectoryUser | None) -> dict[str, Any] | None:
    """PATCH /users/{id} body when the user has no usageLocation (Graph refuses assignLicense
    without one). An existing usageLocation is the tenant's own choice and is kept."""
    if not d.license_sku_ids or not d.usage_location:
        return None
    if user is not None and user.usage_location:
        return None
    return {"usageLocation": d.usage_location}


def missing_skus(d: MailboxDesire, user: DirectoryUser | None) -> tuple[str, ...]:
    held = user.sku_ids if user is not None else frozenset()
    return tuple(s for s in d.license_sku_ids if s not in held)


def assign_body(skus: tuple[str, ...]) -> dict[str, Any]:
    """Graph assignLicense: both arrays are required (user-assignlicense.md)."""
    return {"addLicenses": [{"skuId": s, "disabledPlans": []} for s in skus], "removeLicenses": []}
