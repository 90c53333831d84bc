"""The one HTTP layer under every t2t client: TLS, bounded concurrency, retries, counting.

Retries follow Microsoft's guidance: 429 and 503 honour `Retry-After` (seconds) and otherwise back
off exponentially with jitter (wire-protocols.md §1.5, §2.9); dropped connections are retried; all
of it under one overall deadline so a throttled run fails loudly instead of hanging
(lessons-from-peers.md §3, Microsoft365DSC #7273). Headers and bodies are never logged.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog

from t2t.clients.errors import TransportError

log = structlog.get_logger("t2t.http")

RETRY_STATUSES = frozenset({429, 503, 504})
#: Methods whose repetition leaves the same result (RFC 9110 §9.2.2; Graph's PATCH of
#: properties sets values, so it is treated the same).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH"})
#: Answers that say the request was not processed, so even a write may be sent again.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
_TRANSIENT = (httpx.TransportError,)
#: Failures before the request left this machine: safe to resend a write.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class HttpResult:
    """A fully read answer. `content` stays raw bytes: Exchange's 403 body is NUL bytes."""

    status: int
    headers: httpx.Headers
    content: bytes
    request_id: str | None

    def json(self) -> Any:
        return json.loads(self.content.decode("utf-8")) if self.content else None


@dataclass
class RequestCounter:
    """Requests sent per service and method, and retries, for the audit log and benchmarks."""

    by_service: Counter[str] = field(default_factory=Counter)
    retries: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_service.values())


def ssl_context(ca_file: Path | None) -> ssl.SSLContext | bool:
    """Verification is always on; a sandbox CA is trusted explicitly, never via the environment."""
    if ca_file is None:
        return True
    return ssl.create_default_context(cafile=str(ca_file))


class HttpLayer:
    """Async HTTP with retries under a deadline and per-key concurrency limits."""

    def __init__(
        self,
        *,
        ca_file: Path | None = None,
        max_concurrency: int = 8,
        deadline_seconds: float = 300.0,
        max_attempts: int = 8,
        backoff_base: float = 0.5,
        timeout_seconds: float = 60.0,
    ) -> None:
        self._client = httpx.AsyncClient(
            verify=ssl_context(ca_file),
            timeout=timeout_seconds,
            trust_env=ca_file is None,
            headers={"User-Agent": "t2t/0.1"},
        )
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._max_concurrency = max_concurrency
        self._deadline = deadline_seconds
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self.counter = RequestCounter()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpLayer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _limit(self, key: str) -> asyncio.Semaphore:
        sem = self._limits.get(key)
        if sem is None:
            sem = self._limits[key] = asyncio.Semaphore(self._max_concurrency)
        return sem

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                pass
        return float(self._backoff_base * (2**attempt) * (0.5 + random.random()))  # noqa: S311

    async def send(
        self,
        method: str,
        url: str,
        *,
        service: str,
        limit_key: str,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> HttpResult:
        """Send one request, retrying throttling and transient faults until the deadline.

        A write that may have reached the service (the connection broke after sending, or a
        504) is not sent again: a second addPassword or invitation would not be harmless.
        It fails with TransportError and the executor re-reads to find out what happened.
        Reads (GET, and cmdlets that only read) are retried on every transient fault.
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self.counter.by_service[service] += 1
            problem: str
            retry_after: str | None = None
            async with self._limit(limit_key):
                try:
                    result = await self._once(method, url, headers, json_body)
                except _TRANSIENT as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    if not idempotent and not isinstance(exc, _NOT_SENT):
                        raise TransportError(
                            f"{method} {httpx.URL(url).path}: the answer was lost ({problem}); "
                            "the write may or may not have happened"
                        ) from exc
                else:
                    log.debug(
                        "http.response",
                        service=service,
                        method=method,
                        path=httpx.URL(url).path,
                        status=result.status,
                        request_id=result.request_id,
                        attempt=attempt,
                    )
                    if result.status not in RETRY_STATUSES or (
                        not idempotent and result.status not in NOT_PROCESSED_STATUSES
                    ):
                        return result
                    problem = f"HTTP {result.status}"
                    retry_after = result.headers.get("Retry-After")
            delay = self._delay(attempt - 1, retry_after)
            elapsed = time.monotonic() - started
            if attempt >= self._max_attempts or elapsed + delay > self._deadline:
                raise TransportError(
                    f"{method} {httpx.URL(url).path}: gave up after {attempt} attempts "
                    f"({elapsed:.1f}s): {problem}"
                )
            self.counter.retries += 1
            log.info("http.retry", service=service, problem=problem, delay=round(delay, 2))
            await asyncio.sleep(delay)

    async def _once(
        self, method: str, url: str, headers: dict[str, str] | None, json_body: Any
    ) -> HttpResult:
        request = self._client.build_request(method, url, headers=headers, json=json_body)
        response = await self._client.send(request, stream=True)
        try:
            if response.status_code >= 400:
                # Exchange answers some 403s with NUL bytes labelled gzip (wire-protocols.md
                # §1.5): read raw so the status survives a body that cannot be decoded.
                content = b"".join([chunk async for chunk in response.aiter_raw()])
            else:
                content = await response.aread()
        finally:
            await response.aclose()
        request_id = response.headers.get("request-id") or response.headers.get("client-request-id")
        return HttpResult(response.status_code, response.headers, content, request_id)
