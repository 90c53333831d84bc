"""Helpers for the Graph tests (not a test module)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import GRAPH_SCOPE, SandboxHandle


def graph(
    sandbox: SandboxHandle,
    tenant: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One Graph call as the tenant's admin app (or with ``token``)."""
    url = path if path.startswith("https://") else f"{sandbox.base_url}/v1.0{path}"
    hdrs = {"Authorization": f"Bearer {token or sandbox.token(tenant, GRAPH_SCOPE)}"}
    hdrs.update(headers or {})
    return sandbox.http.request(method, url, headers=hdrs, **kwargs)


def error_of(response: httpx.Response) -> tuple[str, str]:
    body: dict[str, Any] = response.json()
    assert set(body["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    return body["error"]["code"], body["error"]["message"]
