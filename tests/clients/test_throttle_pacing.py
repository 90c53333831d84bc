"""t2t's real clients under Microsoft's budgets (t2t/sandbox/throttle.py), lowered so the
test is short: every write lands, nothing is resent before the Retry-After it was given
(the sandbox's ``earlyRetries``), and with pacing at the service's budget nothing is even
refused (t2t/clients/http.py ``Pace``)."""

from __future__ import annotations

import asyncio
from typing import Any

from t2t.apply.graph_batch import GraphBatcher
from t2t.clients import HttpLayer, TenantIdentity, connect, sandbox_hosts
from t2t.clients.auth import ClientSecret
from t2t.clients.http import DEFAULT_PACE, Pace


def _throttle(sandbox: Any, **budgets: dict[str, float]) -> dict[str, Any]:
    url = f"{sandbox.base_url}/_sandbox/throttle"
    if budgets:
        sandbox.http.post(url, json={"budgets": budgets}).raise_for_status()
    data: dict[str, Any] = sandbox.http.get(url).json()
    return data


def _identity(sandbox: Any, name: str) -> TenantIdentity:
    t = sandbox.tenant(name)
    return TenantIdentity(
        t["tenantId"], t["adminApp"]["clientId"], ClientSecret(t["adminApp"]["clientSecret"])
    )


def _write_many(sandbox: Any, pace: dict[str, Pace], title: str) -> dict[str, str]:
    """PATCH 45 users' displayName: 40 through `$batch` (the apply's batcher) and 5 alone,
    all at once; then read them back."""
    hosts = sandbox_hosts(sandbox.profile)

    async def go() -> dict[str, str]:
        async with HttpLayer(ca_file=hosts.ca_file, pace=pace) as http:
            clients = connect(http, hosts, _identity(sandbox, "contoso"))
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
            clients = connect(http, hosts, _identity(sandbox, "fabrikam"))
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
