"""A lost answer to New-MigrationEndpoint, under read-after-write lag, never costs the
endpoint its secret (found in review: the secret was removed as 'unused')."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from t2t.planner.endpoint import NEW_SECRET, UNKNOWN_IN_USE, secret_marker
from tests.apply.test_orgsetup_executors import MERGER, _cycle, _fault, _graph
from tests.conftest import GRAPH_SCOPE

MARKER = secret_marker("contoso-merger")


def test_lost_endpoint_answer_under_lag_keeps_the_secret(sandbox: Any) -> None:
    match = {"service": "exchange", "cmdlet": "New-MigrationEndpoint"}
    _fault(sandbox, {"kind": "lag", "seconds": 3, "match": match})
    _fault(sandbox, {"kind": "drop", "count": 1, "afterHandling": True, "match": match})
    asyncio.run(_cycle(sandbox, MERGER))
    time.sleep(3.5)  # the endpoint becomes visible
    endpoints = sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {}).json()["value"]
    assert [e["Name"] for e in endpoints] == ["contoso-merger"]
    mine = [a for a in _graph(sandbox, "fabrikam", "/applications") if a.get("uniqueName")]
    assert mine and mine[0]["passwordCredentials"], "the endpoint's secret was removed"


def _markers(sandbox: Any) -> list[str]:
    [mine] = [a for a in _graph(sandbox, "fabrikam", "/applications") if a.get("uniqueName")]
    return [p["keyId"] for p in mine["passwordCredentials"] if p["displayName"] == MARKER]


def test_secrets_an_interrupted_apply_left_are_replaced_then_removed(sandbox: Any) -> None:
    """Killed runs left two more marked secrets beside the one the endpoint holds, and
    Exchange never says which that is: the next apply gives the endpoint a new one (once it
    signs in) and then removes every other, so exactly one is left and the endpoint signs in
    with it (found by the crash sweep: the endpoint's plan was empty and they stayed)."""
    asyncio.run(_cycle(sandbox, MERGER))
    [held] = _markers(sandbox)
    [app] = [a for a in _graph(sandbox, "fabrikam", "/applications") if a.get("uniqueName")]
    for _ in range(2):  # what a run killed after addPassword leaves
        sandbox.http.post(
            f"{sandbox.base_url}/v1.0/applications/{app['id']}/addPassword",
            json={"passwordCredential": {"displayName": MARKER}},
            headers={"Authorization": f"Bearer {sandbox.token('fabrikam', GRAPH_SCOPE)}"},
        ).raise_for_status()
    leftovers = _markers(sandbox)
    assert len(leftovers) == 3 and held in leftovers
    before, report, after = asyncio.run(_cycle(sandbox, MERGER))
    [update] = [a for a in before.actions if a.kind == "endpoint.update"]
    assert update.risk == "safe" and update.parameters["Credentials"] == NEW_SECRET
    assert [c.before for c in update.changes if c.field == UNKNOWN_IN_USE] == [leftovers]
    [result] = [r for r in report.results if r.id == update.id]
    assert result.status == "done" and "removed 3 unused t2t secret(s)" in result.message
    assert after.runnable == ()
    [kept] = _markers(sandbox)
    assert kept not in leftovers
    test = sandbox.invoke(
        "fabrikam", "Test-MigrationServerAvailability", {"Endpoint": "contoso-merger"}
    ).json()["value"][0]
    assert test["Result"] == "Success", test
