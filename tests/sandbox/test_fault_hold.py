"""`hold` (sandbox-only, for crash tests): a request kept open — handled first with
`afterHandling`, not yet without — and listed under `held` until its client goes away or the
hold is released."""

from __future__ import annotations

import concurrent.futures
import socket
import ssl
import time
from typing import Any

import httpx
import pytest

from tests.conftest import SandboxHandle

RELATIONSHIP = {"Name": "held", "DomainNames": ["held.example"]}
NEW = {"service": "exchange", "cmdlet": "New-OrganizationRelationship"}


def _rule(sandbox: SandboxHandle, rule: dict[str, Any]) -> httpx.Response:
    return sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule)


def _faults(sandbox: SandboxHandle) -> dict[str, Any]:
    response = sandbox.http.get(f"{sandbox.base_url}/_sandbox/faults")
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def _names(sandbox: SandboxHandle) -> list[str]:
    r = sandbox.invoke("fabrikam", "Get-OrganizationRelationship", {})
    return [v["Name"] for v in r.json()["value"]]


def _wait_held(sandbox: SandboxHandle, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        held = _faults(sandbox)["held"]
        if len(held) >= count:
            return list(held)
        time.sleep(0.02)
    raise AssertionError("nothing was held")


def _send_raw(sandbox: SandboxHandle, cmdlet: str, params: dict[str, Any]) -> ssl.SSLSocket:
    """Send one InvokeCommand over a socket of our own, which the test closes as a killed
    client's kernel would."""
    request = sandbox._invoke_request("fabrikam", cmdlet, params, None, None, None, None)
    url = request.url
    assert url.port is not None
    tls = sandbox.ssl_context().wrap_socket(
        socket.create_connection((url.host, url.port)), server_hostname=url.host
    )
    head = f"{request.method} {url.raw_path.decode()} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
    tls.sendall(head.encode() + request.content)
    return tls


@pytest.mark.parametrize("after", [True, False])
def test_a_held_request_is_listed_and_ends_when_its_client_goes_away(
    sandbox: SandboxHandle, after: bool
) -> None:
    assert _rule(sandbox, {"kind": "hold", "count": 1, "afterHandling": after, "match": NEW})
    client = _send_raw(sandbox, "New-OrganizationRelationship", RELATIONSHIP)
    [held] = _wait_held(sandbox)
    expected = {
        "service": "exchange",
        "tenant": "fabrikam",
        "method": "POST",
        "cmdlet": "New-OrganizationRelationship",
        "access": "write",
        "afterHandling": after,
    }
    assert {k: held[k] for k in expected} == expected
    assert held.get("status") == (200 if after else None)
    # With afterHandling the service acted; without, it has not seen the request.
    assert _names(sandbox) == (["held"] if after else [])
    client.close()  # the client is killed
    deadline = time.monotonic() + 5
    while _faults(sandbox)["held"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _faults(sandbox)["held"] == []
    assert _names(sandbox) == (["held"] if after else [])  # a request never handled stays so


@pytest.mark.parametrize("after", [True, False])
def test_a_released_hold_serves_the_request_or_loses_its_answer(
    sandbox: SandboxHandle, after: bool
) -> None:
    rule = _rule(sandbox, {"kind": "hold", "afterHandling": after, "match": NEW}).json()
    token = sandbox.token("fabrikam")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        sent = pool.submit(
            lambda: sandbox.invoke(
                "fabrikam", "New-OrganizationRelationship", RELATIONSHIP, token=token
            )
        )
        _wait_held(sandbox)
        deleted = sandbox.http.delete(f"{sandbox.base_url}/_sandbox/faults/{rule['id']}")
        assert deleted.status_code == 204
        if after:
            with pytest.raises(httpx.TransportError):
                sent.result(timeout=10)
        else:
            assert sent.result(timeout=10).status_code == 200
    assert _names(sandbox) == ["held"]
    assert _faults(sandbox)["held"] == []


def test_skip_lets_matching_requests_through_and_access_matches_writes_only(
    sandbox: SandboxHandle,
) -> None:
    rule = {"kind": "hold", "count": 1, "skip": 1, "match": {"access": "write"}}
    created = _rule(sandbox, rule)
    assert created.status_code == 201
    assert created.json()["skip"] == 1 and created.json()["seen"] == 0
    assert _names(sandbox) == []  # a read is not held and not counted
    first = sandbox.invoke("fabrikam", "New-OrganizationRelationship", RELATIONSHIP)
    assert first.status_code == 200  # the one write skipped
    client = _send_raw(
        sandbox, "New-OrganizationRelationship", {"Name": "second", "DomainNames": ["b.example"]}
    )
    [held] = _wait_held(sandbox)
    assert held["cmdlet"] == "New-OrganizationRelationship" and held["access"] == "write"
    assert _faults(sandbox)["rules"] == []  # count 1: spent
    client.close()


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ({"kind": "drop", "skip": 2}, "skip is only valid on hold rules"),
        ({"kind": "hold", "skip": -1}, "skip must be a non-negative number"),
        ({"kind": "hold", "match": {"access": "delete"}}, "match.access must be one of"),
    ],
)
def test_hold_rules_are_validated(sandbox: SandboxHandle, rule: dict[str, Any], error: str) -> None:
    response = _rule(sandbox, rule)
    assert response.status_code == 400
    assert error in response.json()["error"]


def test_a_graph_batch_is_held_whole_and_is_a_write_when_one_item_writes() -> None:
    from t2t.sandbox.faults import access_of

    writes = b'{"requests": [{"id": "1", "method": "GET"}, {"id": "2", "method": "PATCH"}]}'
    reads = b'{"requests": [{"id": "1", "method": "GET", "url": "/users"}]}'
    assert access_of("graph", "POST", "/v1.0/$batch", None, writes) == "write"
    assert access_of("graph", "POST", "/v1.0/$batch", None, reads) == "read"
    assert access_of("graph", "POST", "/v1.0/directoryObjects/getByIds", None, b"") == "read"
    assert access_of("graph", "POST", "/v1.0/applications/x/addPassword", None, b"") == "write"
    assert access_of("exchange", "POST", "/adminapi/beta/t/InvokeCommand", "Get-User", b"") == (
        "read"
    )
    assert access_of("identity", "POST", "/t/oauth2/v2.0/token", None, b"") is None
