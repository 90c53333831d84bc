"""The HTTP layer under the sandbox's faults: Retry-After honoured, a deadline that ends
retrying, and a dead collection reported as unknown rather than absent."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from t2t.clients import HttpLayer, TenantIdentity, connect, sandbox_hosts
from t2t.clients.auth import ClientSecret
from t2t.probes import read_relationships
from t2t.state import Fact


def _read(sandbox: Any, **http_options: Any) -> tuple[Fact[Any], int, float]:
    hosts = sandbox_hosts(sandbox.profile)
    t = sandbox.tenant("fabrikam")
    ident = TenantIdentity(
        t["tenantId"], t["adminApp"]["clientId"], ClientSecret(t["adminApp"]["clientSecret"])
    )

    async def go() -> tuple[Fact[Any], int, float]:
        async with HttpLayer(ca_file=hosts.ca_file, **http_options) as http:
            clients = connect(http, hosts, ident)
            await clients.tokens.token(hosts.exchange_resource)  # not part of the timing
            started = time.monotonic()
            try:
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
