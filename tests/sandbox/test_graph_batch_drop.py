"""A ``drop`` rule naming an item of a Graph ``$batch`` loses the whole answer (one HTTP
exchange carries every item): with ``afterHandling`` the items were run, without it the batch
stopped at that item (graph/batch.py). Before this, the drop fired on nothing and the batch
answered normally."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import GRAPH_SCOPE, SandboxHandle

UPN = "debra@contoso.com"


def _graph(sandbox: SandboxHandle, method: str, path: str, body: object = None) -> httpx.Response:
    return sandbox.http.request(
        method,
        f"{sandbox.base_url}/v1.0{path}",
        json=body,
        headers={"Authorization": f"Bearer {sandbox.token('contoso', GRAPH_SCOPE)}"},
    )


@pytest.mark.parametrize("after", [True, False])
def test_a_dropped_batch_item_loses_the_batch_answer(sandbox: SandboxHandle, after: bool) -> None:
    user = _graph(sandbox, "GET", f"/users/{UPN}?$select=id,usageLocation").json()
    rule = {
        "kind": "drop",
        "count": 1,
        "afterHandling": after,
        "match": {"service": "graph", "method": "PATCH", "path": user["id"]},
    }
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()
    batch = {
        "requests": [
            {
                "id": "1",
                "method": "PATCH",
                "url": f"/users/{user['id']}",
                "headers": {"Content-Type": "application/json"},
                "body": {"usageLocation": "NL"},
            }
        ]
    }
    with pytest.raises(httpx.RemoteProtocolError):
        _graph(sandbox, "POST", "/$batch", batch)
    assert sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()["rules"] == []
    now = _graph(sandbox, "GET", f"/users/{UPN}?$select=id,usageLocation").json()
    assert (now["usageLocation"] == "NL") is after
    assert user["usageLocation"] != "NL"
