"""/_sandbox/ endpoints: counters and reset (not Microsoft's)."""

from __future__ import annotations

from tests.conftest import EXCHANGE_SCOPE, SandboxHandle
from tests.sandbox.graph_helpers import graph


def test_stats_count_reads_writes_and_services(sandbox: SandboxHandle) -> None:
    sandbox.msal_app("fabrikam").acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    sandbox.invoke("contoso", "Get-OrganizationRelationship")
    sandbox.invoke("contoso", "Get-OrganizationRelationship")
    sandbox.invoke(
        "contoso", "New-OrganizationRelationship", {"Name": "n", "DomainNames": ["n.example"]}
    )
    sandbox.invoke("contoso", "Set-OrganizationRelationship", {"Identity": "n", "Enabled": False})
    stats = sandbox.stats()
    assert stats["reads"] == 2
    assert stats["writes"] == 2
    assert stats["byKind"] == {"read": 2, "write": 2}
    assert stats["byCmdlet"] == {
        "Get-OrganizationRelationship": 2,
        "New-OrganizationRelationship": 1,
        "Set-OrganizationRelationship": 1,
    }
    assert stats["byService"]["exchange"] == 4
    assert stats["byService"]["identity"] >= 2  # discovery + token, neither read nor write
    assert stats["byTenant"]["contoso"] >= 4
    assert stats["total"] == sum(stats["byService"].values())


def test_delete_stats_zeroes(sandbox: SandboxHandle) -> None:
    sandbox.invoke("contoso", "Get-OrganizationConfig")
    assert sandbox.http.delete(f"{sandbox.base_url}/_sandbox/stats").status_code == 204
    assert sandbox.stats()["total"] == 0


def test_reset_restores_seed_and_zeroes(sandbox: SandboxHandle) -> None:
    sandbox.invoke(
        "contoso", "New-OrganizationRelationship", {"Name": "n", "DomainNames": ["n.example"]}
    )
    sandbox.reset()
    assert sandbox.stats()["total"] == 0
    assert sandbox.invoke("contoso", "Get-OrganizationRelationship").json()["value"] == []


def test_stats_count_batch_items_apart_from_http_requests(sandbox: SandboxHandle) -> None:
    """A `$batch` of three is one HTTP request and three operations: `total - batchItems` is
    what reached the sandbox over HTTP (the apply benchmark's requests per mailbox)."""
    graph(sandbox, "fabrikam", "GET", "/organization")  # the token first: counted apart
    before = sandbox.stats()
    batch = {
        "requests": [{"id": str(i), "method": "GET", "url": "/users?$top=1"} for i in range(1, 3)]
        + [{"id": "3", "method": "GET", "url": "/no-such-segment"}]
    }
    r = graph(sandbox, "fabrikam", "POST", "/$batch", json=batch)
    assert r.status_code == 200, r.text
    graph(sandbox, "fabrikam", "GET", "/organization")
    after = sandbox.stats()
    assert after["batchItems"] - before["batchItems"] == 3
    assert after["total"] - before["total"] == 5  # the $batch, its three items, one GET
    assert after["byOperation"]["POST /$batch"] - before["byOperation"].get("POST /$batch", 0) == 1
