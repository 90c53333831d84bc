"""t2t's Graph client against the sandbox: paging, special characters, $batch, read-only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from t2t.clients import (
    GraphClient,
    GraphNotFound,
    HttpLayer,
    WriteForbidden,
    connect,
    sandbox_hosts,
)
from t2t.clients.graph import segment
from t2t.clients.odata import eq
from tests.real_clients import admin_identity

T = TypeVar("T")


def run(sandbox: Any, name: str, body: Callable[[GraphClient], Awaitable[T]]) -> T:
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, name)

    async def go() -> T:
        async with HttpLayer(ca_file=hosts.ca_file) as http:
            clients = connect(http, hosts, ident)
            try:
                return await body(clients.graph)
            finally:
                clients.tokens.close()

    return asyncio.run(go())


def test_apostrophe_upn_by_path_and_by_filter(sandbox: Any) -> None:
    upn = "shaun.o'neil@contoso.com"

    async def body(g: GraphClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        one = await g.get(f"/users/{segment(upn)}", {"$select": "id,userPrincipalName"})
        many = await g.list_all("/users", {"$filter": eq("userPrincipalName", upn)})
        return one, many

    one, many = run(sandbox, "contoso", body)
    assert one["userPrincipalName"] == upn
    assert [u["userPrincipalName"] for u in many] == [upn]


def test_special_characters_round_trip_through_patch_filter_and_path(sandbox: Any) -> None:
    display = "Zoë $+# O'Hara — Ünïcode"
    upn = "shaun.o'neil@contoso.com"

    async def body(g: GraphClient) -> tuple[Any, ...]:
        await g.write("PATCH", f"/users/{segment(upn)}", {"displayName": display})
        by_name = await g.list_all("/users", {"$filter": eq("displayName", display)})
        by_path = await g.get(f"/users/{segment(upn)}", {"$select": "displayName"})
        widened = await g.list_all(
            "/users", {"$filter": eq("displayName", "x' or displayName ne 'y")}
        )
        return by_name, by_path, widened

    by_name, by_path, widened = run(sandbox, "contoso", body)
    assert [u["displayName"] for u in by_name] == [display]
    assert by_path["displayName"] == display
    assert widened == []


def test_path_segments_escape_what_a_url_would_misread() -> None:
    assert segment("a#b$c+d'é@x.com") == "a%23b%24c%2Bd%27%C3%A9@x.com"
    assert segment("../admin") == "..%2Fadmin"


def test_missing_user_is_graph_not_found(sandbox: Any) -> None:
    with pytest.raises(GraphNotFound) as info:
        run(sandbox, "contoso", lambda g: g.get("/users/nobody@contoso.com"))
    assert info.value.code == "Request_ResourceNotFound"


def test_batch_keeps_input_order_over_several_calls(sandbox: Any) -> None:
    """45 requests → three $batch calls of ≤ 20; responses come back in input order."""
    upns = ["debra@contoso.com", "nobody@contoso.com", "alex@contoso.com"] * 15

    async def body(g: GraphClient) -> list[dict[str, Any]]:
        return await g.batch(
            [{"url": f"/users/{segment(u)}?$select=userPrincipalName"} for u in upns]
        )

    before = sandbox.stats()["byService"].get("graph", 0)
    responses = run(sandbox, "contoso", body)
    assert [r["status"] for r in responses] == [200, 404, 200] * 15
    assert responses[0]["body"]["userPrincipalName"] == "debra@contoso.com"
    assert sandbox.stats()["byService"]["graph"] - before >= 3


def test_read_only_graph_refuses_writes(sandbox: Any) -> None:
    with pytest.raises(WriteForbidden):
        run(sandbox, "contoso", lambda g: g.reader().write("POST", "/users", {}))
