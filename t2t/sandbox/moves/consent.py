"""Has a tenant consented to the migration app? (microsoft-t2t.md §3.3)

Consent = the app's service principal in that tenant holds an app-role assignment of
``Mailbox.Migration`` (appRoleId ``f7264778-fba9-422d-8e9e-2675a2c4b513``) on the Exchange
Online service principal (appId ``00000002-0000-0ff1-ce00-000000000000``); a service
principal alone is not consent. The directory objects are the Graph surface's model
(``Tenant.service_principals``, ``Tenant.app_role_assignments``); this only reads them.
"""

from __future__ import annotations

from t2t.sandbox.model import Tenant

MAILBOX_MIGRATION_ROLE_ID = "f7264778-fba9-422d-8e9e-2675a2c4b513"
EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"


def app_consented(tenant: Tenant, app_id: str) -> bool:
    """True when ``tenant`` holds the Mailbox.Migration assignment for ``app_id``."""
    client = tenant.service_principal(app_id)
    resource = tenant.service_principal(EXCHANGE_ONLINE_APP_ID)
    if client is None or resource is None:
        return False
    return any(
        a.principal_id == client.id
        and a.resource_id == resource.id
        and a.app_role_id.lower() == MAILBOX_MIGRATION_ROLE_ID
        for a in tenant.app_role_assignments
    )
