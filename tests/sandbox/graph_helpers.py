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


#: More tries than the sandbox refuses by default (t2t/sandbox/replication.py: 2).
REPLICATION_TRIES = 6


def not_replicated(response: httpx.Response) -> bool:
    """Graph's answer to a write naming an object made moments ago (replication.py): 404
    ``Request_ResourceNotFound``, or 400 "Not a valid reference update."."""
    if response.status_code == 404:
        return True
    return response.status_code == 400 and "Not a valid reference update." in response.text


def graph_write(
    sandbox: SandboxHandle, tenant: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """A Graph write as any client must send it: again while Microsoft answers that an
    object it names has not replicated yet (an arrangement, not what a test asserts)."""
    r = graph(sandbox, tenant, method, path, **kwargs)
    for _ in range(REPLICATION_TRIES - 1):
        if not not_replicated(r):
            break
        r = graph(sandbox, tenant, method, path, **kwargs)
    return r


def error_of(response: httpx.Response) -> tuple[str, str]:
    body: dict[str, Any] = response.json()
    assert set(body["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    return body["error"]["code"], body["error"]["message"]
