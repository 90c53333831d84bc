"""Fault injection and the clock under /_sandbox/ (faults.py, clock.py, control.py)."""

from __future__ import annotations

import time

import httpx
import msal
import pytest

from tests.conftest import SandboxHandle
from tests.sandbox.graph_helpers import error_of, graph


def _fault(sandbox: SandboxHandle, rule: dict[str, object]) -> dict[str, object]:
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule)
    assert r.status_code == 201, r.text
    data: dict[str, object] = r.json()
    return data


def _advance(sandbox: SandboxHandle, seconds: float) -> None:
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": seconds})
    assert r.status_code == 200


def test_throttling_is_per_tenant_with_retry_after(sandbox: SandboxHandle) -> None:
    _fault(
        sandbox,
        {"kind": "throttle", "match": {"service": "graph"}, "budget": 3, "windowSeconds": 60},
    )
    for _ in range(3):
        assert graph(sandbox, "contoso", "GET", "/organization").status_code == 200
    r = graph(sandbox, "contoso", "GET", "/organization")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) == 20  # one token refills in 60/3 s
    code, message = error_of(r)
    assert code == "TooManyRequests" and message.startswith("Too many requests from Identifier:")
    # Fabrikam has its own budget
    assert graph(sandbox, "fabrikam", "GET", "/organization").status_code == 200
    _advance(sandbox, 20)
    assert graph(sandbox, "contoso", "GET", "/organization").status_code == 200


def test_throttling_covers_exchange_and_batch_inner_requests(sandbox: SandboxHandle) -> None:
    token = sandbox.token("contoso")
    sandbox.token("contoso", "https://graph.microsoft.com/.default")
    _fault(
        sandbox,
        {
            "kind": "throttle",
            "match": {"tenant": "contoso"},
            "budget": 1,
            "windowSeconds": 10,
            "retryAfter": 7,
        },
    )
    assert sandbox.invoke("contoso", "Get-OrganizationConfig", token=token).status_code == 200
    r = sandbox.invoke("contoso", "Get-OrganizationConfig", token=token)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    body = {"requests": [{"id": "1", "method": "GET", "url": "/organization"}]}
    r = graph(sandbox, "contoso", "POST", "/$batch", json=body)
    assert r.status_code == 200
    (inner,) = r.json()["responses"]
    assert inner["status"] == 429 and inner["headers"]["Retry-After"] == "7"


def test_5xx_with_count_and_cmdlet_match(sandbox: SandboxHandle) -> None:
    rule = _fault(
        sandbox,
        {
            "kind": "error",
            "status": 503,
            "retryAfter": 2,
            "count": 1,
            "match": {"service": "exchange", "cmdlet": "Get-OrganizationConfig"},
        },
    )
    assert rule["id"]
    r = sandbox.invoke("contoso", "Get-OrganizationConfig")
    assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    assert sandbox.invoke("contoso", "Get-OrganizationConfig").status_code == 200
    _fault(
        sandbox,
        {
            "kind": "error",
            "status": 500,
            "match": {"service": "graph", "method": "GET", "path": "^/v1.0/domains"},
        },
    )
    r = graph(sandbox, "contoso", "GET", "/domains")
    assert r.status_code == 500 and error_of(r)[0] == "generalException"
    assert graph(sandbox, "contoso", "GET", "/organization").status_code == 200
    faults = sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()
    assert [x["kind"] for x in faults["rules"]] == ["error"]


def test_dropped_connection(sandbox: SandboxHandle) -> None:
    _fault(sandbox, {"kind": "drop", "count": 1, "match": {"service": "graph"}})
    with pytest.raises(httpx.TransportError):
        graph(sandbox, "contoso", "GET", "/organization")
    assert graph(sandbox, "contoso", "GET", "/organization").status_code == 200


def test_latency(sandbox: SandboxHandle) -> None:
    _fault(
        sandbox, {"kind": "latency", "ms": 300, "match": {"service": "graph", "tenant": "fabrikam"}}
    )
    start = time.monotonic()
    graph(sandbox, "fabrikam", "GET", "/organization")
    assert time.monotonic() - start >= 0.3


def test_latency_with_a_count_slows_only_that_many_requests(sandbox: SandboxHandle) -> None:
    """What a client's timeout meets once (then the rule is spent and removed)."""
    rule = {"kind": "latency", "ms": 600, "count": 1, "match": {"service": "graph"}}
    _fault(sandbox, rule)
    took = []
    for _ in range(2):
        start = time.monotonic()
        graph(sandbox, "fabrikam", "GET", "/organization")
        took.append(time.monotonic() - start)
    assert took[0] >= 0.6 and took[1] < 0.5
    assert sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults").json()["rules"] == []


def test_read_after_write_lag(sandbox: SandboxHandle) -> None:
    _fault(sandbox, {"kind": "lag", "seconds": 6, "match": {"service": "graph"}})
    r = graph(sandbox, "fabrikam", "POST", "/applications", json={"displayName": "lagged"})
    assert r.status_code == 201
    app_id = r.json()["id"]
    assert graph(sandbox, "fabrikam", "GET", f"/applications/{app_id}").status_code == 404
    listed = graph(sandbox, "fabrikam", "GET", "/applications").json()["value"]
    assert app_id not in {a["id"] for a in listed}
    _advance(sandbox, 6)
    assert graph(sandbox, "fabrikam", "GET", f"/applications/{app_id}").status_code == 200


def test_read_after_write_lag_hides_a_new_user_from_the_user_list(sandbox: SandboxHandle) -> None:
    """GET /users lists every user, but not one whose creation a lag rule still hides."""
    every = graph(sandbox, "fabrikam", "GET", "/users", params={"$top": 999}).json()["value"]
    _fault(sandbox, {"kind": "lag", "seconds": 6, "match": {"service": "graph"}})
    invite = {"invitedUserEmailAddress": "lag@contoso.com", "inviteRedirectUrl": "https://x"}
    assert graph(sandbox, "fabrikam", "POST", "/invitations", json=invite).status_code == 201
    listed = graph(sandbox, "fabrikam", "GET", "/users", params={"$top": 999}).json()["value"]
    assert [u["id"] for u in listed] == [u["id"] for u in every]
    _advance(sandbox, 6)
    listed = graph(sandbox, "fabrikam", "GET", "/users", params={"$top": 999}).json()["value"]
    assert [u["id"] for u in listed[:-1]] == [u["id"] for u in every]
    assert listed[-1]["mail"] == "lag@contoso.com"


def test_invalid_rules_and_reset(sandbox: SandboxHandle) -> None:
    base = sandbox.base_url
    assert sandbox.http.post(f"{base}/_sandbox/faults", json={"kind": "meteor"}).status_code == 400
    assert (
        sandbox.http.post(
            f"{base}/_sandbox/faults", json={"kind": "error", "status": 200}
        ).status_code
        == 400
    )
    assert (
        sandbox.http.post(f"{base}/_sandbox/clock", json={"advanceSeconds": -1}).status_code == 400
    )
    rule = _fault(sandbox, {"kind": "error", "match": {"service": "identity"}})
    assert sandbox.http.delete(f"{base}/_sandbox/faults/{rule['id']}").status_code == 204
    assert sandbox.http.delete(f"{base}/_sandbox/faults/{rule['id']}").status_code == 404
    _fault(sandbox, {"kind": "error", "match": {"service": "identity"}})
    _advance(sandbox, 3600)
    assert sandbox.http.get(f"{base}/_sandbox/clock").json()["offsetSeconds"] == 3600
    sandbox.reset()
    assert sandbox.http.get(f"{base}/_sandbox/faults").json()["rules"] == []
    assert sandbox.http.get(f"{base}/_sandbox/clock").json()["offsetSeconds"] == 0


def test_identity_faults_reach_msal(sandbox: SandboxHandle) -> None:
    _fault(
        sandbox,
        {
            "kind": "error",
            "status": 503,
            "count": 1,
            "match": {"service": "identity", "path": "/oauth2/"},
        },
    )
    app = sandbox.msal_app("fabrikam")
    scopes = ["https://graph.microsoft.com/.default"]
    with pytest.raises(msal.exceptions.MsalServiceError, match="503"):
        app.acquire_token_for_client(scopes=scopes)
    assert "access_token" in sandbox.msal_app("fabrikam").acquire_token_for_client(scopes=scopes)
