"""`drop` with `afterHandling`: the service acts, then the answer is lost (a reset after
commit). Without it, a drop happens before the service sees the request."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import SandboxHandle


def _names(sandbox: SandboxHandle) -> list[str]:
    r = sandbox.invoke("fabrikam", "Get-OrganizationRelationship", {})
    return [v["Name"] for v in r.json()["value"]]


@pytest.mark.parametrize("after", [True, False])
def test_drop_before_or_after_the_service_acts(sandbox: SandboxHandle, after: bool) -> None:
    rule = {
        "kind": "drop",
        "count": 1,
        "afterHandling": after,
        "match": {"service": "exchange", "cmdlet": "New-OrganizationRelationship"},
    }
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.invoke(
            "fabrikam", "New-OrganizationRelationship", {"Name": "x", "DomainNames": ["a.example"]}
        )
    assert _names(sandbox) == (["x"] if after else [])


def test_after_handling_must_be_a_boolean(sandbox: SandboxHandle) -> None:
    r = sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/faults", json={"kind": "drop", "afterHandling": "yes"}
    )
    assert r.status_code == 400
    assert "afterHandling must be true or false" in r.text
