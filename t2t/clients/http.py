"""The one HTTP layer under every t2t client: TLS, bounded concurrency, retries, counting.

Retries follow Microsoft's guidance: 429 and 503 honour `Retry-After` (seconds) and otherwise back
off exponentially with jitter (wire-protocols.md §1.5, §2.9); dropped connections are retried.
They are bounded by time, never by a count of attempts: inside an apply action, by the action's
deadline (t2t/clients/deadline.py), so an honest but harsh throttle is waited out; elsewhere by
`deadline_seconds` from the first attempt, so a throttled read fails loudly instead of hanging
(lessons-from-peers.md §3, Microsoft365DSC #7273). Headers and bodies are never logged.

Rate control, so a run keeps Microsoft's budgets saturated without tripping them for long:
- a 429's `Retry-After` holds back every request of the same limit key (one app in one
  tenant and service), not only the one refused: "Microsoft Graph continues to log resource
  usage while a client is being throttled" (microsoft-graph-docs-contrib concepts/throttling.md),
  so the companions of a refused request must not go first. Only a Graph 429 that names its
  write quota (`x-ms-throttle-information: WriteLimitExceeded`, concepts/throttling-limits.md
  "Throttled responses requests") holds the key's writes alone — "you could encounter a scenario
  where writes are throttled but reads are still permitted" (throttling.md). A `$batch`
  answer's inner 429s hold the same way ("retry each failed request … using the value provided
  in the retry-after response header from the JSON content", throttling.md "Throttling and
  batching"); a 503 that names a `Retry-After` holds the key too (throttling.md: 503 may carry
  one);
- the requests of a key in flight at once adapt, additive increase and multiplicative decrease
  (AIMD, RFC 5681 §3.1): a 429 or 503 halves the limit (never below one) — once per congestion
  event: answers to requests sent before the last cut do not cut again — and each answer that
  is neither raises it by 1/limit (up to `max_concurrency`), but only once twice the last cut's
  hold has passed: a budget's window is seconds long where TCP's round trip is milliseconds, so
  growing on every answer would refill the window before the service could say it is full.
  Under a harsh budget the key settles near the rate the service admits instead of every
  waiting request meeting the end of a hold together and being refused together;
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
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog

from t2t.clients import deadline, request_ids
from t2t.clients.errors import DeadlineReached, TransportError
from t2t.clients.trust import Trust, trust_for

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
#: Answers that say the service is overloaded: the key's in-flight limit is halved.
CONGESTION_STATUSES = frozenset({429, 503})
#: Graph's header value for a 429 of the identity write quota (throttling-limits.md).
WRITE_LIMIT_EXCEEDED = "writelimitexceeded"


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


def _writes_only(headers: Any) -> bool:
    """A Graph 429 of the write quota alone (module docstring)."""
    value = str(headers.get("x-ms-throttle-information") or "").lower()
    return WRITE_LIMIT_EXCEEDED in value


def _batch_retry_after(result: HttpResult) -> tuple[float, bool] | None:
    """The longest `Retry-After` among a `$batch` answer's inner 429s, and whether every one of
    them named the write quota alone."""
    try:
        data = result.json()
    except ValueError:
        return None
    longest: float | None = None
    writes_only = True
    for item in (data or {}).get("responses") or [] if isinstance(data, dict) else []:
        if not isinstance(item, dict) or item.get("status") != 429:
            continue
        headers = {str(k).lower(): v for k, v in (item.get("headers") or {}).items()}
        try:
            seconds = float(headers.get("retry-after", ""))
        except ValueError:
            continue
        longest = seconds if longest is None else max(longest, seconds)
        writes_only = writes_only and _writes_only(headers)
    return None if longest is None else (longest, writes_only)


class _Flow:
    """The requests of one limit key in flight, under a limit that adapts (AIMD, see the
    module docstring). FIFO: a request woken for a free place takes it unless one that came
    later got there first, in which case it queues again."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._cut_at = float("-inf")
        self._quiet_until = float("-inf")

    @property
    def allowed(self) -> int:
        return max(1, int(self.limit))

    async def acquire(self) -> None:
        while self.in_flight >= self.allowed:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: hand the place on
                raise
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def congested(self, sent_at: float, hold: float) -> None:
        """A 429/503 to a request sent at `sent_at`: halve the limit, once per event, and keep
        it there for two holds (`hold`: the answer's Retry-After)."""
        now = time.monotonic()
        self._quiet_until = max(self._quiet_until, now + 2 * hold)
        if sent_at < self._cut_at:
            return  # sent under the old limit: the same congestion, already answered
        self.limit = max(1.0, self.limit / 2)
        self._cut_at = now

    def answered(self) -> None:
        """An answer that was not congestion: one more in flight, spread over `limit` answers
        (not while the last cut's hold lasts)."""
        if time.monotonic() >= self._quiet_until:
            self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
        self._wake()

    def _wake(self) -> None:
        room = self.allowed - self.in_flight
        while room > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1


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


class HttpLayer:
    """Async HTTP with retries under a deadline and adaptive per-key concurrency limits."""

    def __init__(
        self,
        *,
        ca_file: Path | None = None,
        trust: Trust | None = None,
        max_concurrency: int = 8,
        deadline_seconds: float = deadline.DEFAULT_REQUEST_SECONDS,
        backoff_base: float = 0.5,
        timeout_seconds: float = 60.0,
        pace: dict[str, Pace] | None = None,
    ) -> None:
        # TLS trust and proxies as trust.py decides (`trust`, else the sandbox's `ca_file`).
        self._trust = trust or trust_for(ca_file)
        self._client = httpx.AsyncClient(
            **self._trust.httpx_options(),
            timeout=timeout_seconds,
            headers={"User-Agent": "t2t/0.1"},
        )
        self._flows: dict[str, _Flow] = {}
        self._max_concurrency = max_concurrency
        self._deadline = deadline_seconds
        self._backoff_base = backoff_base
        self._pace = DEFAULT_PACE if pace is None else pace
        self._windows: dict[str, _Window] = {}
        self._held_until: dict[tuple[str, bool], float] = {}
        """(limit key, writes only) → when the hold a 429 put on it ends (monotonic)."""
        self.counter = RequestCounter()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpLayer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _flow(self, key: str) -> _Flow:
        flow = self._flows.get(key)
        if flow is None:
            flow = self._flows[key] = _Flow(self._max_concurrency)
        return flow

    def in_flight_limit(self, key: str) -> float:
        """The requests of `key` allowed in flight now (AIMD; `max_concurrency` at first)."""
        flow = self._flows.get(key)
        return flow.limit if flow is not None else float(self._max_concurrency)

    def _hold(self, key: str, seconds: float, *, writes_only: bool = False) -> None:
        """Nothing of `key` (only its writes, with `writes_only`) leaves before `seconds`
        from now (a 429's Retry-After)."""
        until = time.monotonic() + seconds
        hold = (key, writes_only)
        self._held_until[hold] = max(self._held_until.get(hold, 0.0), until)

    def held_for(self, key: str, *, write: bool) -> float:
        """Seconds until a request of `key` (a write, or not) may leave: 0 when not held."""
        until = self._held_until.get((key, False), 0.0)
        if write:
            until = max(until, self._held_until.get((key, True), 0.0))
        return max(0.0, until - time.monotonic())

    async def _wait_turn(
        self, service: str, limit_key: str, cost: int, started: float, what: str
    ) -> None:
        """Sleep out a hold on this key, then take pacing slots (module docstring)."""
        pace = self._pace.get(service) if cost else None
        while True:
            now = time.monotonic()
            wait = self.held_for(limit_key, write=cost > 0)
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
            left = deadline.remaining()
            if left is not None and wait >= left:
                raise DeadlineReached(
                    f"{what}: the service's budget holds it {wait:.1f}s more, past the deadline"
                )
            if left is None and now - started + wait > self._deadline:
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
        return deadline.backoff(attempt, self._backoff_base)

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
        write: bool | None = None,
    ) -> HttpResult:
        """Send one request, retrying throttling and transient faults until the deadline:
        the action's (DeadlineReached), or without one `deadline_seconds` (TransportError).

        A write that may have reached the service (the connection broke after sending, or a
        504) is not sent again: a second addPassword or invitation would not be harmless.
        It fails with TransportError and the executor re-reads to find out what happened.
        Reads (GET, and cmdlets that only read) are retried on every transient fault.
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        cost = request_cost(service, method, url, json_body)
        what = f"{method} {httpx.URL(url).path}"
        if write is None:  # a write's request ids go to the action in hand (request_ids.py)
            write = request_ids.is_write(method, idempotent)
        started = time.monotonic()
        flow = self._flow(limit_key)
        attempt = 0
        while True:
            deadline.check(what)
            attempt += 1
            problem: str
            retry_after: str | None = None
            await flow.acquire()
            try:
                await self._wait_turn(service, limit_key, cost, started, what)
                self.counter.by_service[service] += 1
                sent_at = time.monotonic()
                try:
                    result = await self._once(method, url, headers, json_body)
                except _TRANSIENT as exc:
                    refused = self._trust.refusal(exc, url)
                    if refused is not None:  # the same certificate comes back: not transient
                        raise refused from exc
                    problem = f"{type(exc).__name__}: {exc}"
                    if not idempotent and not isinstance(exc, _NOT_SENT):
                        raise TransportError(
                            f"{what}: the answer was lost ({problem}); "
                            "the write may or may not have happened"
                        ) from exc
                else:
                    request_ids.note(result.request_id, write=write)
                    log.debug(
                        "http.response",
                        service=service,
                        method=method,
                        path=httpx.URL(url).path,
                        status=result.status,
                        request_id=result.request_id,
                        attempt=attempt,
                    )
                    self._rate_control(flow, limit_key, cost, what, result, sent_at, attempt)
                    if result.status not in RETRY_STATUSES or (
                        not idempotent and result.status not in NOT_PROCESSED_STATUSES
                    ):
                        return result
                    problem = f"HTTP {result.status}"
                    retry_after = result.headers.get("Retry-After")
            finally:
                flow.release()
            delay = self._delay(attempt - 1, retry_after)
            took = time.monotonic() - started
            log.info("http.retry", service=service, problem=problem, delay=round(delay, 2))
            await deadline.pause(
                delay,
                what=what,
                started=started,
                budget=self._deadline,
                give_up=TransportError(
                    f"{what}: gave up after {attempt} attempts ({took:.1f}s): {problem}"
                ),
            )
            self.counter.retries += 1

    def _rate_control(
        self,
        flow: _Flow,
        limit_key: str,
        cost: int,
        what: str,
        result: HttpResult,
        sent_at: float,
        attempt: int,
    ) -> None:
        """What an answer tells about the key's budget: holds and the in-flight limit."""
        retry_after = result.headers.get("Retry-After")
        if result.status in CONGESTION_STATUSES:
            hold = self._delay(attempt - 1, retry_after)
            flow.congested(sent_at, hold)
            if result.status == 429 or retry_after is not None:
                writes_only = result.status == 429 and _writes_only(result.headers)
                self._hold(limit_key, hold, writes_only=writes_only)
            return
        flow.answered()
        if result.status == 200 and cost and what.rstrip("/").endswith("/$batch"):
            inner = _batch_retry_after(result)
            if inner is not None:
                seconds, writes_only = inner
                self._hold(limit_key, seconds, writes_only=writes_only)

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
