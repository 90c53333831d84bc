"""The HTTP layer under the sandbox's faults: Retry-After honoured, retries bounded by time
— the action's deadline inside apply, the request's own outside it — never by a count of
attempts, and a dead collection reported as unknown rather than absent."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.clients import deadline as action_deadline
from t2t.clients.errors import DeadlineReached
from t2t.probes import read_relationships
from t2t.state import Fact
from tests.real_clients import admin_identity


def _read(
    sandbox: Any, within: float | None = None, **http_options: Any
) -> tuple[Fact[Any], int, float]:
    """Read the relationships once; `within`: as an apply action with that deadline."""
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, "fabrikam")

    async def go() -> tuple[Fact[Any], int, float]:
        async with HttpLayer(ca_file=hosts.ca_file, **http_options) as http:
            clients = connect(http, hosts, ident)
            await clients.tokens.token(hosts.exchange_resource)  # not part of the timing
            started = time.monotonic()
            try:
                if within is None:
                    fact = await read_relationships(clients.exchange.reader())
                else:
                    with action_deadline.within(within):
                        fact = await read_relationships(clients.exchange.reader())
            finally:
                clients.tokens.close()
            return fact, http.counter.retries, time.monotonic() - started

    return asyncio.run(go())


def _fault(sandbox: Any, rule: dict[str, Any]) -> None:
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()


def test_retry_after_is_honoured(sandbox: Any) -> None:
    _fault(
        sandbox,
        {
            "kind": "error",
            "status": 429,
            "retryAfter": 1,
            "count": 1,
            "match": {"service": "exchange"},
        },
    )
    fact, retries, seconds = _read(sandbox)
    assert fact.status == "present"
    assert retries == 1
    assert seconds >= 1.0


def test_a_service_that_stays_down_ends_in_unknown_after_the_deadline(sandbox: Any) -> None:
    _fault(sandbox, {"kind": "error", "status": 503, "match": {"service": "exchange"}})
    fact, retries, seconds = _read(sandbox, deadline_seconds=1.0, backoff_base=0.05)
    assert fact.status == "unknown"
    assert "gave up after" in (fact.reason or "")
    assert "HTTP 503" in (fact.reason or "")
    assert retries >= 2
    assert seconds < 5


def test_dropped_connections_are_retried(sandbox: Any) -> None:
    _fault(sandbox, {"kind": "drop", "count": 2, "match": {"service": "exchange"}})
    fact, retries, _ = _read(sandbox, backoff_base=0.01)
    assert fact.status == "present"
    assert retries == 2


def test_retries_are_bounded_by_the_action_deadline_not_by_a_count(sandbox: Any) -> None:
    """Twelve 503s in a row: more attempts than any fixed count t2t ever had (eight)."""
    rule = {"kind": "error", "status": 503, "retryAfter": 0, "count": 12}
    _fault(sandbox, {**rule, "match": {"service": "exchange"}})
    fact, retries, _ = _read(sandbox, within=60.0)
    assert fact.status == "present"
    assert retries == 12


def test_a_request_still_failing_at_the_action_deadline_reaches_it(sandbox: Any) -> None:
    _fault(sandbox, {"kind": "error", "status": 503, "match": {"service": "exchange"}})
    started = time.monotonic()
    with pytest.raises(DeadlineReached) as raised:
        _read(sandbox, within=1.5, backoff_base=0.05)
    # It retries until the next attempt (backoff 0.05 × 2^n, ±50 % jitter: the last one
    # declined is at most 1.2 s) would come after the 1.5 s deadline, and not past it.
    assert 0.3 <= time.monotonic() - started < 3.0
    assert str(raised.value).startswith("POST /adminapi/beta/")
    assert "the next attempt would come after the deadline" in str(raised.value)
    assert "HTTP 503" in str(raised.value)


def test_nothing_is_sent_once_the_action_deadline_has_passed(sandbox: Any) -> None:
    sandbox.http.delete(f"{sandbox.base_url}/_sandbox/stats").raise_for_status()
    with pytest.raises(DeadlineReached, match="the deadline was reached before it could be sent"):
        _read(sandbox, within=0.0)
    assert sandbox.stats()["byService"].get("exchange", 0) == 0
