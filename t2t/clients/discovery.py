"""A tenant's OpenID configuration: the identity platform's metadata document for it.

`GET {login}/{tenant}/v2.0/.well-known/openid-configuration` (wire-protocols.md §3.1: the
document MSAL fetches at sign-in), anonymous. t2t reads its `cloud_instance_name`,
`tenant_region_scope` and `tenant_region_sub_scope` (t2t/state/cloud.py): which Microsoft cloud
the tenant lives in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from t2t.clients.errors import ServiceError
from t2t.clients.http import HttpLayer


async def openid_configuration(http: HttpLayer, login: str, tenant: str) -> dict[str, Any]:
    """The tenant's metadata document; ServiceError when the identity platform refuses it."""
    url = f"{login.rstrip('/')}/{quote(tenant, safe='')}/v2.0/.well-known/openid-configuration"
    result = await http.send("GET", url, service="identity", limit_key=f"identity:{tenant}")
    if result.status >= 400:
        raise ServiceError(result.status, "OpenIdConfiguration", f"{url}: HTTP {result.status}")
    data = result.json()
    if not isinstance(data, dict):
        raise ServiceError(result.status, "OpenIdConfiguration", f"{url}: not a JSON object")
    return data
