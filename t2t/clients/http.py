"""The one HTTP layer under every t2t client: TLS, bounded concurrency, retries, counting.

Retries follow Microsoft's guidance: 429 and 503 honour `Retry-After` (seconds) and otherwise back
off exponentially with jitter (wire-protocols.md §1.5, §2.9); dropped connections are retried; all
of it under one overall deadline so a throttled run fails loudly instead of hanging
(lessons-from-peers.md §3, Microsoft365DSC #7273). Headers and bodies are never logged.

Pacing, so a run keeps Microsoft's budgets saturated without tripping them:
- a 429's `Retry-After` holds back every request of the same limit key and kind (write or
  read), not only the one refused: "Microsoft Graph continues to log resource usage while a
  client is being throttled" (microsoft-graph-docs-contrib concepts/throttling.md), so the
  companions of a refused request must not go first. A `$batch` answer's inner 429s do the
  same ("retry each failed request … using the value provided in the retry-after response
  header from the JSON content", throttling.md "Throttling and batching");
- writes are paced client-side to the documented budgets (`DEFAULT_PACE`): Graph identity
  writes 3,000 per 150 s per app and tenant, each `$batch` item counted on its own
  (concepts/throttling-limits.md "Identity and access service limits"); Exchange InvokeCommand
  calls per tenant by the sandbox's assumed budget (t2t/sandbox/throttle.py, README open
  questions). A slot is taken just before the request leaves, and the window is kept a little
  longer than the service's so a request that travels slower than the next never lands early.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import time
from collections import Counter, deque
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


@dataclass(frozen=True)
class Pace:
    """At most `limit` costed requests per `window_seconds` for one limit key."""

    limit: int
    window_seconds: float


#: Microsoft's budgets per service (see the module docstring); a limit key is one app in one
#: tenant (`graph:<tenant>`, `exchange:<tenant>`).
DEFAULT_PACE: dict[str, Pace] = {
    "graph": Pace(3000, 150.0),
    "exchange": Pace(2400, 60.0),
}
#: How much longer than the service's window the client keeps a slot (travel-time jitter).
PACE_MARGIN_SECONDS = 0.5


def request_cost(service: str, method: str, url: str, json_body: Any) -> int:
    """Budget slots a request takes: Graph writes (each `$batch` write item), Exchange calls."""
    method = method.upper()
    if service == "exchange":
        return 1 if method == "POST" else 0
    if service != "graph" or method == "GET":
        return 0
    if httpx.URL(url).path.rstrip("/").endswith("/$batch") and isinstance(json_body, dict):
        items = json_body.get("requests") or []
        return sum(
            1 for i in items if isinstance(i, dict) and str(i.get("method", "GET")).upper() != "GET"
        )
    return 1


class _Window:
    """A sliding window of send times (monotonic clock) for one limit key."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self.times: deque[float] = deque()

    def wait_for(self, cost: int, now: float) -> float:
        """Seconds until `cost` slots are free (0: free now)."""
        window = self.pace.window_seconds + PACE_MARGIN_SECONDS
        while self.times and self.times[0] <= now - window:
            self.times.popleft()
        cost = min(cost, self.pace.limit)
        over = len(self.times) + cost - self.pace.limit
        if over <= 0:
            return 0.0
        return self.times[over - 1] + window - now

    def take(self, cost: int, now: float) -> None:
        self.times.extend([now] * min(cost, self.pace.limit))


def _batch_retry_after(result: HttpResult) -> float | None:
    """The longest `Retry-After` among a `$batch` answer's inner 429s."""
    try:
        data = result.json()
    except ValueError:
        return None
    longest: float | None = None
    for item in (data or {}).get("responses") or [] if isinstance(data, dict) else []:
        if not isinstance(item, dict) or item.get("status") != 429:
            continue
        headers = {str(k).lower(): v for k, v in (item.get("headers") or {}).items()}
        try:
            seconds = float(headers.get("retry-after", ""))
        except ValueError:
            continue
        longest = seconds if longest is None else max(longest, seconds)
    return longest


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
        pace: dict[str, Pace] | None = None,
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
        self._pace = DEFAULT_PACE if pace is None else pace
        self._windows: dict[str, _Window] = {}
        self._held_until: dict[tuple[str, bool], float] = {}
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

    def _hold(self, key: tuple[str, bool], seconds: float) -> None:
        """Nothing of `key` leaves before `seconds` from now (a 429's Retry-After)."""
        until = time.monotonic() + seconds
        self._held_until[key] = max(self._held_until.get(key, 0.0), until)

    async def _wait_turn(
        self, service: str, limit_key: str, cost: int, started: float, what: str
    ) -> None:
        """Sleep out a hold on this key and kind, then take pacing slots (module docstring)."""
        hold_key = (limit_key, cost > 0)
        pace = self._pace.get(service) if cost else None
        while True:
            now = time.monotonic()
            wait = self._held_until.get(hold_key, 0.0) - now
            window = None
            if pace is not None:
                window = self._windows.get(limit_key)
                if window is None:
                    window = self._windows[limit_key] = _Window(pace)
                wait = max(wait, window.wait_for(cost, now))
            if wait <= 0:
                if window is not None:
                    window.take(cost, now)
                return
            if now - started + wait > self._deadline:
                raise TransportError(
                    f"{what}: gave up after {now - started:.1f}s: the service's budget "
                    f"leaves no room for {wait:.1f}s more"
                )
            log.debug("http.pace", service=service, delay=round(wait, 2))
            await asyncio.sleep(wait)

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
        cost = request_cost(service, method, url, json_body)
        what = f"{method} {httpx.URL(url).path}"
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            problem: str
            retry_after: str | None = None
            async with self._limit(limit_key):
                await self._wait_turn(service, limit_key, cost, started, what)
                self.counter.by_service[service] += 1
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
                    if result.status == 429:
                        self._hold(
                            (limit_key, cost > 0),
                            self._delay(attempt - 1, result.headers.get("Retry-After")),
                        )
                    if result.status == 200 and cost and what.rstrip("/").endswith("/$batch"):
                        inner = _batch_retry_after(result)
                        if inner is not None:
                            self._hold((limit_key, True), inner)
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
