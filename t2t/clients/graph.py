"""Microsoft Graph v1.0: reads with `$select`/`$filter` and `@odata.nextLink` paging, writes,
and `$batch` (at most 20 requests per call, wire-protocols.md §2.8).

Errors keep Graph's `error.code` and message (§2.9). Next links are followed only on the host
we authenticated to, since they carry the bearer token.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from t2t.clients import deadline
from t2t.clients.auth import TokenSource, token_roles, token_scopes
from t2t.clients.errors import (
    GraphError,
    GraphNotFound,
    PermissionDenied,
    ServiceError,
    WriteForbidden,
)
from t2t.clients.http import IDEMPOTENT_METHODS, RETRY_STATUSES, HttpLayer, HttpResult

#: Graph allows at most 20 requests in one $batch (wire-protocols.md §2.8).
BATCH_LIMIT = 20
#: `$top` accepts 1–999 on /users (wire-protocols.md §2.4).
MAX_PAGE = 999


def segment(value: str) -> str:
    """One URL path segment (a UPN may hold `#`, `$`, `'`, non-ASCII)."""
    return quote(value, safe="@")


def _error(result: HttpResult, what: str) -> ServiceError:
    try:
        body = result.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    code = str(err.get("code", "")) if isinstance(err, dict) else ""
    message = str(err.get("message", "")) if isinstance(err, dict) else "unreadable error body"
    if result.status in (401, 403):
        return PermissionDenied(
            result.status, code or "Forbidden", f"{what}: {message}", request_id=result.request_id
        )
    cls = GraphNotFound if result.status == 404 else GraphError
    return cls(result.status, code, f"{what}: {message}", request_id=result.request_id)


class GraphClient:
    """Graph calls in one tenant. A `read_only` client refuses anything but GET."""

    def __init__(
        self,
        http: HttpLayer,
        *,
        base_url: str,
        tenant: str,
        tokens: TokenSource,
        resource: str,
        read_only: bool = False,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._tenant = tenant
        self._tokens = tokens
        self._resource = resource
        self.read_only = read_only

    async def granted_roles(self) -> frozenset[str]:
        """Application permissions t2t's identity holds for this service (from its token)."""
        return token_roles(await self._tokens.token(self._resource))

    async def granted_scopes(self) -> frozenset[str]:
        """Delegated permissions of a person's token for this service (empty for an app's)."""
        return token_scopes(await self._tokens.token(self._resource))

    def reader(self) -> GraphClient:
        return GraphClient(
            self._http,
            base_url=self._base,
            tenant=self._tenant,
            tokens=self._tokens,
            resource=self._resource,
            read_only=True,
        )

    async def _send(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        write: bool | None = None,
    ) -> HttpResult:
        if self.read_only and method != "GET":
            raise WriteForbidden(f"{method} {httpx.URL(url).path}: this client is read-only")
        token = await self._tokens.token(self._resource)
        all_headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "client-request-id": str(uuid.uuid4()),
            **(headers or {}),
        }
        return await self._http.send(
            method,
            url,
            service="graph",
            limit_key=f"graph:{self._tenant}",
            headers=all_headers,
            json_body=body,
            idempotent=idempotent,
            write=write,
        )

    def _url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        url = httpx.URL(self._base + path)
        if params:
            url = url.copy_merge_params(dict(params))
        return str(url)

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One object; GraphNotFound when it does not exist."""
        result = await self._send("GET", self._url(path, params))
        if result.status >= 400:
            raise _error(result, f"GET {path}")
        data = result.json()
        return data if isinstance(data, dict) else {}

    async def list_all(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        eventual: bool = False,
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink` (opaque, same host)."""
        items: list[dict[str, Any]] = []
        async for page in self.pages(path, params, eventual=eventual):
            items.extend(page)
        return items

    async def pages(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        eventual: bool = False,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """A collection one page at a time; `ConsistencyLevel` is resent on every page (it is
        not part of the next link, wire-protocols.md §2.7)."""
        headers = {"ConsistencyLevel": "eventual"} if eventual else None
        url = self._url(path, params)
        while True:
            result = await self._send("GET", url, headers=headers)
            if result.status >= 400:
                raise _error(result, f"GET {path}")
            page = result.json()
            if not isinstance(page, dict):
                raise GraphError(result.status, "Unreadable", f"GET {path}: not a JSON object")
            next_link = page.get("@odata.nextLink")
            yield [v for v in page.get("value") or [] if isinstance(v, dict)]
            if not next_link:
                return
            url = self._same_origin(str(next_link), path)

    async def report(self, path: str) -> bytes:
        """A usage report's CSV: Graph answers "302 Found … a preauthenticated download URL …
        in the Location header … [which does] not require an Authorization header" (Learn,
        reportroot-getmailboxusagedetail, v1.0). The download is sent without the token, since
        it is on another host (reports.office.com), and only over HTTPS."""
        result = await self._send("GET", self._url(path))
        if result.status >= 400:
            raise _error(result, f"GET {path}")
        location = result.headers.get("Location", "")
        if result.status != 302 or httpx.URL(location).scheme != "https":
            raise GraphError(result.status, "Unexpected", f"GET {path}: no HTTPS download URL")
        download = await self._http.send(
            "GET", location, service="graph", limit_key=f"graph-report:{self._tenant}"
        )
        if download.status >= 400:
            raise GraphError(download.status, "Download", f"GET {path}: its download failed")
        return download.content

    def _same_origin(self, link: str, path: str) -> str:
        a, b = httpx.URL(link), httpx.URL(self._base)
        if (a.scheme, a.host, a.port) != (b.scheme, b.host, b.port):
            raise GraphError(200, "BadNextLink", f"GET {path}: next link leaves {b.host}")
        return link

    async def write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """A write; `headers` e.g. `Prefer: create-if-missing` for an upsert by alternate key."""
        result = await self._send(method, self._url(path), body=body, headers=headers)
        if result.status >= 400:
            raise _error(result, f"{method} {path}")
        data = result.json() if result.content else None
        return data if isinstance(data, dict) else None

    async def batch(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send requests in `$batch` calls of at most 20; responses come back in input order.

        Each item is `{"method", "url" (relative), "body"?, "headers"?}`; ids are assigned
        here. Items answered 429/503/504 are retried in a later batch after `Retry-After`,
        until the deadline (t2t/clients/deadline.py); then their last answer is returned.
        """
        if self.read_only and any(r.get("method", "GET") != "GET" for r in requests):
            raise WriteForbidden("$batch with writes: this client is read-only")
        out: dict[int, dict[str, Any]] = {}
        pending = list(range(len(requests)))
        started = time.monotonic()
        attempts = 0
        while pending:
            attempts += 1
            retry: list[int] = []
            wait = 0.0
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start : start + BATCH_LIMIT]
                body = {"requests": [self._batch_item(i, requests[i]) for i in chunk]}
                repeatable = all(
                    str(requests[i].get("method", "GET")).upper() in IDEMPOTENT_METHODS
                    for i in chunk
                )
                writes = any(str(requests[i].get("method", "GET")).upper() != "GET" for i in chunk)
                result = await self._send(
                    "POST", self._url("/$batch"), body=body, idempotent=repeatable, write=writes
                )
                if result.status >= 400:
                    raise _error(result, "POST /$batch")
                data = result.json() or {}
                for response in data.get("responses") or []:
                    index = int(response.get("id"))
                    out[index] = response  # the last answer stands if retrying stops
                    if response.get("status") in RETRY_STATUSES:
                        retry.append(index)
                        after = (response.get("headers") or {}).get("Retry-After")
                        with contextlib.suppress(ValueError):
                            wait = max(wait, float(after)) if after is not None else wait
            pending = sorted(set(retry))
            delay = wait or deadline.backoff(attempts - 1, 1.0)
            if pending and not deadline.allows(delay, started=started):
                break
            if pending:
                await asyncio.sleep(delay)
        return [out[i] for i in range(len(requests))]

    @staticmethod
    def _batch_item(index: int, request: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": str(index),
            "method": request.get("method", "GET"),
            "url": request["url"],
        }
        if "body" in request:
            item["body"] = request["body"]
            item["headers"] = {"Content-Type": "application/json", **request.get("headers", {})}
        elif "headers" in request:
            item["headers"] = request["headers"]
        return item
