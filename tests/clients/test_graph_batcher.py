"""The apply's `$batch` coalescer (t2t/apply/graph_batch.py) against the sandbox: while its
`$batch` requests in flight are at their bound, calls queue for the next one instead of
leaving in small batches; 20 queued leave at once; no call waits past ``max_wait``. Reads of
single users that leave together are merged into filtered list reads of at most 15 keys, each
caller answered as ``GET /users/{key}`` would answer it, and never by a read that left before it.

The first `$batch` is kept open by a sandbox ``hold`` rule (faults.py), so "in flight" lasts
exactly as long as the test says; the sandbox's counters (``POST /$batch`` and
``batchItems``) show what arrived. A held request has not reached Graph yet: it counts once
released."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from t2t.apply.graph_batch import GraphBatcher
from t2t.clients import GraphClient
from t2t.clients.odata import IN_LIMIT
from t2t.probes import directory_objects as dirobj
from t2t.probes.targeted import read_user
from t2t.state.directory import DirectoryUser
from tests.conftest import SandboxHandle
from tests.real_clients import with_clients

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


def _run(
    sandbox: SandboxHandle,
    use: Callable[[GraphBatcher, GraphClient], Awaitable[Any]],
    tenant: str = "fabrikam",
    **kw: Any,
) -> Any:
    """`use(batcher, graph)` on the tenant's real Graph client (tokens fetched first)."""
    return with_clients(
        sandbox,
        tenant,
        "graph",
        lambda clients: use(GraphBatcher(clients.graph, **kw), clients.graph),
    )


def _release(sandbox: SandboxHandle) -> None:
    """Every hold released (``DELETE /_sandbox/faults``: the spent rule is gone already)."""
    assert sandbox.http.delete(f"{sandbox.base_url}/_sandbox/faults").status_code == 204


def test_calls_queue_behind_a_batch_in_flight_and_twenty_leave_at_once(
    sandbox: SandboxHandle,
) -> None:
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=HOLD_BATCH).raise_for_status()
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher, _graph: GraphClient) -> None:
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

    async def use(batcher: GraphBatcher, _graph: GraphClient) -> None:
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


def test_with_callers_enough_at_work_a_batch_waits_to_fill(sandbox: SandboxHandle) -> None:
    """Nothing in flight, but 20 callers at work (`companions`): the calls wait for each other
    and leave as one `$batch` of 20; with 19 at work a lone call leaves at once; and no call
    waits past ``max_wait`` for companions that do not come."""
    busy = [20]
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher, _graph: GraphClient) -> None:
        calls = []
        for _ in range(19):
            calls.append(asyncio.ensure_future(batcher.call("GET", "/organization")))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # 15 times the batcher's own wait, nothing in flight
        seen["19 queued"] = await asyncio.to_thread(_batches, sandbox)
        calls.append(asyncio.ensure_future(batcher.call("GET", "/organization")))
        await asyncio.wait_for(asyncio.gather(*calls), 30)
        seen["20th came"] = await asyncio.to_thread(_batches, sandbox)
        busy[0] = 19
        await asyncio.wait_for(batcher.call("GET", "/organization"), 5)  # not max_wait's 30
        seen["19 at work"] = await asyncio.to_thread(_batches, sandbox)

    _run(sandbox, use, in_flight=1, max_wait=30.0, companions=lambda: busy[0])
    assert seen == {"19 queued": (0, 0), "20th came": (1, 20), "19 at work": (2, 21)}

    busy[0] = 500

    async def alone(batcher: GraphBatcher, _graph: GraphClient) -> float:
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(batcher.call("GET", "/organization"), 30)
        return asyncio.get_running_loop().time() - started

    waited = _run(sandbox, alone, in_flight=1, max_wait=0.5, companions=lambda: busy[0])
    assert 0.5 <= waited < 5
    assert _batches(sandbox) == (3, 22)


def _user_ops(sandbox: SandboxHandle) -> dict[str, int]:
    """Graph's user reads served so far, single (`GET /users/{id}`) and listed (`GET /users`)."""
    by = sandbox.stats()["byOperation"]
    return {op: by.get(op, 0) for op in ("GET /users/{id}", "GET /users")}


def _key(user: dict[str, Any] | None) -> DirectoryUser | None:
    return None if user is None else dirobj.parse_user(user)


async def _users(graph: GraphClient) -> list[dict[str, Any]]:
    """Every user of the tenant (id, UPN, usageLocation), in the directory's order."""
    return await graph.list_all("/users", {"$select": "id,userPrincipalName,usageLocation"})


def test_user_reads_that_leave_together_merge_into_list_reads_of_fifteen_answered_as_gets(
    sandbox: SandboxHandle,
) -> None:
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher, graph: GraphClient) -> None:
        users = await _users(graph)
        upns = [u["userPrincipalName"] for u in users][: IN_LIMIT + 1]
        ids = [u["id"] for u in users][-2:]
        assert len(set(upns) | set(ids)) == IN_LIMIT + 3
        keys = [
            *upns,
            upns[0].upper(),  # the same user again, any case
            "nobody@contoso.com",  # absent, by UPN
            *ids,
            str(uuid.uuid4()),  # absent, by id
        ]
        before = (
            await asyncio.to_thread(_batches, sandbox),
            await asyncio.to_thread(_user_ops, sandbox),
        )
        merged = await asyncio.gather(*(batcher.read_user(k, dirobj.USER_SELECT) for k in keys))
        after = (
            await asyncio.to_thread(_batches, sandbox),
            await asyncio.to_thread(_user_ops, sandbox),
        )
        seen["batches"] = tuple(a - b for a, b in zip(after[0], before[0], strict=True))
        seen["user reads"] = {op: after[1][op] - before[1][op] for op in after[1]}
        seen["as gets"] = [_key(u) for u in merged] == [await read_user(graph, k) for k in keys]
        seen["found"] = [u is not None for u in merged]

    _run(sandbox, use, tenant="contoso")
    assert seen == {
        # 17 distinct UPNs in filters of 15 and 2, 3 ids in one: three operations, one $batch
        "batches": (1, 3),
        "user reads": {"GET /users/{id}": 0, "GET /users": 3},
        "as gets": True,
        "found": [True] * (IN_LIMIT + 2) + [False, True, True, False],
    }


def test_merged_reads_fill_a_batch_by_its_operations_not_its_callers(
    sandbox: SandboxHandle,
) -> None:
    """Behind a held `$batch`, 15 user reads and 18 other calls queue: 19 operations, so they
    wait; the 19th other call makes 20, and the 34 leave at once in one `$batch`."""
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher, graph: GraphClient) -> None:
        upns = [u["userPrincipalName"] for u in await _users(graph)][:IN_LIMIT]
        await asyncio.to_thread(
            lambda: sandbox.http.post(
                f"{sandbox.base_url}/_sandbox/faults", json=HOLD_BATCH
            ).raise_for_status()
        )
        first = asyncio.ensure_future(batcher.call("GET", "/organization"))
        await _until_held(sandbox)
        before = await asyncio.to_thread(_batches, sandbox)
        reads = [asyncio.ensure_future(batcher.read_user(u, "id")) for u in upns]
        queued = [asyncio.ensure_future(batcher.call("GET", "/organization")) for _ in range(18)]
        await asyncio.sleep(0.3)  # 15 times the batcher's own wait: 33 calls, 19 operations
        seen["before the last call"] = sum(q.done() for q in [*queued, *reads])
        queued.append(asyncio.ensure_future(batcher.call("GET", "/organization")))
        await asyncio.wait_for(asyncio.gather(*queued, *reads), 30)
        after = await asyncio.to_thread(_batches, sandbox)
        seen["answered"] = (after[0] - before[0], after[1] - before[1])
        seen["found"] = [r is not None for r in reads] == [True] * IN_LIMIT
        seen["first done"] = first.done()
        await asyncio.to_thread(_release, sandbox)
        await asyncio.wait_for(first, 30)

    _run(sandbox, use, tenant="contoso", in_flight=1, max_wait=30.0)
    assert seen == {
        "before the last call": 0,
        "answered": (1, 20),  # 19 calls and one list read of 15 users, at once
        "found": True,
        "first done": False,
    }


def test_a_user_read_made_while_another_is_in_flight_sees_a_write_made_after_it(
    sandbox: SandboxHandle,
) -> None:
    """The first read's `$batch` is held (it left before the write); usageLocation is then
    changed; a second read of the same user leaves in a `$batch` of its own and shows the
    change while the first is still held — what a verify after a write needs."""
    seen: dict[str, Any] = {}

    async def use(batcher: GraphBatcher, graph: GraphClient) -> None:
        users = await _users(graph)
        upn = next(u["userPrincipalName"] for u in users if u.get("usageLocation") != "IS")
        await asyncio.to_thread(
            lambda: sandbox.http.post(
                f"{sandbox.base_url}/_sandbox/faults", json=HOLD_BATCH
            ).raise_for_status()
        )
        first = asyncio.ensure_future(batcher.read_user(upn, dirobj.USER_SELECT))
        await _until_held(sandbox)
        await graph.write("PATCH", f"/users/{upn}", {"usageLocation": "IS"})
        second = await asyncio.wait_for(batcher.read_user(upn, dirobj.USER_SELECT), 30)
        seen["second"] = (second or {}).get("usageLocation")
        seen["first done"] = first.done()
        await asyncio.to_thread(_release, sandbox)
        seen["first"] = ((await asyncio.wait_for(first, 30)) or {}).get("usageLocation")

    _run(sandbox, use, in_flight=1, max_wait=0.3)
    # the held read reached Graph only once released, after the write: it shows it too
    assert seen == {"second": "IS", "first done": False, "first": "IS"}
