"""A lost answer to New-MigrationEndpoint, under read-after-write lag, never costs the
endpoint its secret (found in review: the secret was removed as 'unused')."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.apply.test_orgsetup_executors import MERGER, _cycle, _fault, _graph


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
