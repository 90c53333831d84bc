"""Has a tenant consented to the migration app? (microsoft-t2t.md §3.3)

Consent = the app's service principal in that tenant holds an app-role assignment of
``Mailbox.Migration`` (appRoleId ``f7264778-fba9-422d-8e9e-2675a2c4b513``) on the Exchange
Online service principal (appId ``00000002-0000-0ff1-ce00-000000000000``); a service
principal alone is not consent. The directory objects are the Graph surface's model; this
function only reads them.
"""

from __future__ import annotations

from typing import Any

from t2t.sandbox.model import Tenant

MAILBOX_MIGRATION_ROLE_ID = "f7264778-fba9-422d-8e9e-2675a2c4b513"
EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


def app_consented(tenant: Tenant, app_id: str) -> bool:
    """True when ``tenant`` holds the Mailbox.Migration assignment for ``app_id``.

    Until the Graph surface models service principals (no ``service_principals`` on the
    tenant), every app counts as consented, so the Exchange surface works on its own.
    """
    sps = _attr(tenant, "service_principals")
    if sps is None:
        return True
    app_sp = next((sp for sp in sps if str(_attr(sp, "app_id")).lower() == app_id.lower()), None)
    exo_sp = next((sp for sp in sps if _attr(sp, "app_id") == EXCHANGE_ONLINE_APP_ID), None)
    if app_sp is None or exo_sp is None:
        return False
    assignments = _attr(tenant, "app_role_assignments")
    if assignments is None:
        assignments = _attr(app_sp, "app_role_assignments") or []
    for a in assignments:
        if (
            str(_attr(a, "principal_id")).lower() == str(_attr(app_sp, "id")).lower()
            and str(_attr(a, "resource_id")).lower() == str(_attr(exo_sp, "id")).lower()
            and str(_attr(a, "app_role_id")).lower() == MAILBOX_MIGRATION_ROLE_ID
        ):
            return True
    return False
