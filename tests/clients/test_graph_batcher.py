"""The apply's `$batch` coalescer (t2t/apply/graph_batch.py) against the sandbox: while its
`$batch` requests in flight are at their bound, calls queue for the next one instead of
leaving in small batches; 20 queued leave at once; no call waits past ``max_wait``.

The first `$batch` is kept open by a sandbox ``hold`` rule (faults.py), so "in flight" lasts
exactly as long as the test says; the sandbox's counters (``POST /$batch`` and
``batchItems``) show what arrived. A held request has not reached Graph yet: it counts once
released."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from t2t.apply.graph_batch import GraphBatcher
from t2t.clients import HttpLayer, TenantIdentity, connect, sandbox_hosts
from t2t.clients.auth import ClientSecret
from tests.conftest import SandboxHandle

HOLD_BATCH = {"kind": "hold", "count": 1, "match": {"service": "graph", "path": r"\$batch"}}


def _batches(sandbox: SandboxHandle) -> tuple[int, int]:
    """(`$batch` requests, operations inside them) the sandbox has served."""
    stats = sandbox.stats()
    return stats["byOperation"].get("POST /$batch", 0), stats["batchItems"]


def _held(sandbox: SandboxHandle) -> int:
    return len(sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()["held"])


async def _until_held(sandbox: SandboxHandle) -> None:
    for _ in range(500):
        if await asyncio.to_thread(_held, sandbox):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the first $batch was not held")


def _run(sandbox: SandboxHandle, use: Callable[[GraphBatcher], Awaitable[Any]], **kw: Any) -> Any:
    """`use(batcher)` on fabrikam's real Graph client (tokens fetched first), with the first
    `$batch` held from the moment the batcher exists until the rule is released."""
    hosts = sandbox_hosts(sandbox.profile)
    t = sandbox.tenant("fabrikam")
    identity = TenantIdentity(
        t["tenantId"], t["adminApp"]["clientId"], ClientSecret(t["adminApp"]["clientSecret"])
    )

    async def go() -> Any:
        async with HttpLayer(ca_file=hosts.ca_file) as layer:
            clients = connect(layer, hosts, identity)
            try:
                await clients.tokens.token(hosts.graph_resource)
                return await use(GraphBatcher(clients.graph, **kw))
            finally:
                clients.tokens.close()

    return asyncio.run(go())


def _release(sandbox: SandboxHandle) -> None:
    """Every hold released (``DELETE /_sandbox/faults``: the spent rule is gone already)."""
    assert sandbox.http.delete(f"{sandbox.base_url}/_sandbox/faults").status_code == 204


def test_calls_queue_behind_a_batch_in_flight_and_twenty_leave_at_once(
    sandbox: SandboxHandle,
) -> None:
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=HOLD_BATCH).raise_for_status()
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher) -> None:
        first = asyncio.ensure_future(batcher.call("GET", "/organization"))
        await _until_held(sandbox)
        queued = []
        for _ in range(19):  # one at a time, as chains reach their Graph step
            queued.append(asyncio.ensure_future(batcher.call("GET", "/organization")))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # 15 times the batcher's own wait
        seen["while queued"] = await asyncio.to_thread(_batches, sandbox)
        seen["queued done"] = sum(q.done() for q in queued)
        queued.append(asyncio.ensure_future(batcher.call("GET", "/organization")))  # the 20th
        await asyncio.wait_for(asyncio.gather(*queued), 30)  # answered while the first is held
        seen["first done"] = first.done()
        seen["twenty answered"] = await asyncio.to_thread(_batches, sandbox)
        await asyncio.to_thread(_release, sandbox)
        await asyncio.wait_for(first, 30)

    _run(sandbox, use, in_flight=1, max_wait=30.0)
    assert seen == {
        "while queued": (0, 0),  # nothing left while the held $batch was out
        "queued done": 0,
        "first done": False,
        "twenty answered": (1, 20),  # the 20 in one $batch, at once
    }
    assert _batches(sandbox) == (2, 21)


def test_no_call_waits_past_max_wait(sandbox: SandboxHandle) -> None:
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=HOLD_BATCH).raise_for_status()
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher) -> None:
        first = asyncio.ensure_future(batcher.call("GET", "/organization"))
        await _until_held(sandbox)
        await asyncio.wait_for(batcher.call("GET", "/organization"), 30)
        seen["first done"] = first.done()
        seen["answered"] = await asyncio.to_thread(_batches, sandbox)
        await asyncio.to_thread(_release, sandbox)
        await asyncio.wait_for(first, 30)

    _run(sandbox, use, in_flight=1, max_wait=0.3)
    assert seen == {"first done": False, "answered": (1, 1)}
    assert _batches(sandbox) == (2, 2)
