"""t2t's real clients under Microsoft's budgets (t2t/sandbox/throttle.py), lowered so the
test is short: every write lands, nothing is resent before the Retry-After it was given
(the sandbox's ``earlyRetries``), and with pacing at the service's budget nothing is even
refused (t2t/clients/http.py ``Pace``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from t2t.apply.graph_batch import GraphBatcher
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.clients.http import DEFAULT_PACE, Pace
from tests.real_clients import admin_identity


def _throttle(sandbox: Any, **budgets: dict[str, float]) -> dict[str, Any]:
    url = f"{sandbox.base_url}/_sandbox/throttle"
    if budgets:
        sandbox.http.post(url, json={"budgets": budgets}).raise_for_status()
    data: dict[str, Any] = sandbox.http.get(url).json()
    return data


def _write_many(sandbox: Any, pace: dict[str, Pace], title: str) -> dict[str, str]:
    """PATCH 45 users' displayName: 40 through `$batch` (the apply's batcher) and 5 alone,
    all at once; then read them back."""
    hosts = sandbox_hosts(sandbox.profile)

    async def go() -> dict[str, str]:
        async with HttpLayer(ca_file=hosts.ca_file, pace=pace) as http:
            clients = connect(http, hosts, admin_identity(sandbox, "contoso"))
            try:
                g = clients.graph
                users = await g.list_all("/users", {"$select": "id", "$top": "100"})
                ids = [u["id"] for u in users][:45]
                assert len(ids) == 45
                batcher = GraphBatcher(g)
                await asyncio.gather(
                    *(
                        batcher.call("PATCH", f"/users/{i}", {"displayName": title})
                        for i in ids[:40]
                    ),
                    *(g.write("PATCH", f"/users/{i}", {"displayName": title}) for i in ids[40:]),
                )
                seen = await g.list_all("/users", {"$select": "id,displayName", "$top": "100"})
                return {u["id"]: u.get("displayName") for u in seen if u["id"] in ids}
            finally:
                clients.tokens.close()

    return asyncio.run(go())


def test_the_default_pace_is_microsofts_documented_budget() -> None:
    assert DEFAULT_PACE["graph"] == Pace(3000, 150.0)
    assert DEFAULT_PACE["exchange"] == Pace(2400, 60.0)


def test_writes_over_the_budget_converge_and_never_resend_early(sandbox: Any) -> None:
    _throttle(sandbox, graphAppTenant={"limit": 20, "windowSeconds": 1})
    titles = _write_many(sandbox, {}, "throttled")  # no client-side pacing: only Retry-After
    assert set(titles.values()) == {"throttled"}
    state = _throttle(sandbox)
    assert state["refusals"].get("graphAppTenant", 0) > 0  # the budget was overrun…
    assert state["earlyRetries"] == 0  # …and no refused write came back before its time
    assert state["admitted"]["graphAppTenant"] == 45


def test_pacing_at_the_budget_keeps_it_saturated_without_tripping_it(sandbox: Any) -> None:
    _throttle(sandbox, graphAppTenant={"limit": 20, "windowSeconds": 1})
    titles = _write_many(sandbox, {"graph": Pace(20, 1.0)}, "paced")
    assert set(titles.values()) == {"paced"}
    state = _throttle(sandbox)
    assert state["refusals"] == {}
    assert state["admitted"]["graphAppTenant"] == 45


def test_exchange_calls_over_the_tenant_budget_converge(sandbox: Any) -> None:
    _throttle(sandbox, exchangeTenant={"limit": 3, "windowSeconds": 1})
    hosts = sandbox_hosts(sandbox.profile)

    async def go() -> list[int]:
        async with HttpLayer(ca_file=hosts.ca_file, pace={}) as http:
            clients = connect(http, hosts, admin_identity(sandbox, "fabrikam"))
            try:
                x = clients.exchange.reader()
                results = await asyncio.gather(
                    *(x.invoke("Get-OrganizationConfig") for _ in range(8))
                )
                return [len(r.values) for r in results]
            finally:
                clients.tokens.close()

    assert asyncio.run(go()) == [1] * 8
    state = _throttle(sandbox)
    assert state["refusals"].get("exchangeTenant", 0) > 0
    assert state["earlyRetries"] == 0


def _with_clients(sandbox: Any, use: Any, **http: Any) -> Any:
    """Run `use(http, clients)` with fabrikam's clients on a fresh HTTP layer."""
    hosts = sandbox_hosts(sandbox.profile)

    async def go() -> Any:
        async with HttpLayer(ca_file=hosts.ca_file, **http) as layer:
            clients = connect(layer, hosts, admin_identity(sandbox, "fabrikam"))
            try:
                await clients.tokens.token(hosts.exchange_resource)  # tokens are not measured
                await clients.tokens.token(hosts.graph_resource)
                return await use(layer, clients)
            finally:
                clients.tokens.close()

    return asyncio.run(go())


def test_one_429_holds_every_request_of_its_key_and_no_other(sandbox: Any) -> None:
    rule = {"kind": "error", "status": 429, "retryAfter": 2, "count": 1}
    match = {"service": "exchange", "cmdlet": "Get-OrganizationConfig"}
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json={**rule, "match": match})

    async def use(http: HttpLayer, clients: Any) -> tuple[float, float, float]:
        key = f"exchange:{clients.tenant_id}"
        refused = asyncio.ensure_future(clients.exchange.reader().invoke("Get-OrganizationConfig"))
        while http.held_for(key, write=False) == 0:  # until its 429 is in
            await asyncio.sleep(0.01)
        held = http.held_for(key, write=False)
        started = time.monotonic()
        await clients.graph.get("/organization")  # another key: not held
        graph = time.monotonic() - started
        await clients.exchange.reader().invoke("Get-AcceptedDomain")  # another cmdlet, held
        exchange = time.monotonic() - started
        await refused
        return held, graph, exchange

    held, graph, exchange = _with_clients(sandbox, use)
    assert 1.5 < held <= 2.0
    assert graph < 1.0
    assert exchange >= held - 0.05  # left only once the hold ended


def test_a_graph_write_quota_429_holds_the_writes_and_lets_reads_go(sandbox: Any) -> None:
    _throttle(sandbox, graphAppTenant={"limit": 1, "windowSeconds": 3})

    async def use(http: HttpLayer, clients: Any) -> tuple[float, float, float]:
        key = f"graph:{clients.tenant_id}"
        g = clients.graph
        users = await g.list_all("/users", {"$select": "id", "$top": "2"})
        first, second = users[0]["id"], users[1]["id"]
        await g.write("PATCH", f"/users/{first}", {"displayName": "first"})
        later = asyncio.ensure_future(g.write("PATCH", f"/users/{second}", {"displayName": "2"}))
        while http.held_for(key, write=True) == 0:  # its 429 names the write quota
            await asyncio.sleep(0.01)
        reads_held = http.held_for(key, write=False)
        started = time.monotonic()
        await g.get("/organization")
        read = time.monotonic() - started
        writes_held = http.held_for(key, write=True)
        await later
        return reads_held, read, writes_held

    reads_held, read, writes_held = _with_clients(sandbox, use, pace={})
    assert reads_held == 0.0 and read < 1.0
    assert writes_held > 0.5
    assert _throttle(sandbox)["earlyRetries"] == 0


def test_the_in_flight_limit_halves_under_a_harsh_budget_and_grows_back(sandbox: Any) -> None:
    """AIMD on the key's requests in flight: 40 reads at once against 5 per second — every
    one lands, none early, few refused; then, the budget gone, the limit climbs back."""
    _throttle(sandbox, exchangeTenant={"limit": 5, "windowSeconds": 1})

    async def use(http: HttpLayer, clients: Any) -> tuple[list[int], float, float]:
        key = f"exchange:{clients.tenant_id}"
        x = clients.exchange.reader()
        burst = await asyncio.gather(*(x.invoke("Get-OrganizationConfig") for _ in range(40)))
        after_burst = http.in_flight_limit(key)
        _throttle(sandbox, exchangeTenant={"limit": 100_000, "windowSeconds": 1})
        await asyncio.sleep(2.1)  # it grows again only after two holds of 1 s
        for _ in range(60):
            await x.invoke("Get-OrganizationConfig")
        return [len(r.values) for r in burst], after_burst, http.in_flight_limit(key)

    sizes, after_burst, recovered = _with_clients(sandbox, use, pace={})
    assert sizes == [1] * 40
    assert after_burst < 8  # halved on refusals
    assert recovered == 8.0  # +1/limit per answer, up to max_concurrency
    state = _throttle(sandbox)
    assert state["earlyRetries"] == 0
    # 35 requests past the budget; 8 at once with no adaptation lose about 26 of them
    assert 0 < state["refusals"]["exchangeTenant"] <= 21
