"""Identity-platform faults are transient like any other (t2t/clients/auth.py): a 429 (whose
body is Entra's plain "Too Many Requests", not OAuth's JSON), a 503, a dropped connection or a
token request that times out is asked again — after the 429's Retry-After, never before — until
the token comes or the action's deadline passes; a refusal of the credential is not retried.
Real MSAL and azure-identity against the sandbox's token endpoint over HTTPS; the faults come
from the sandbox's control API."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from t2t.clients import AuthError, AzureIdentityTokenSource, MsalTokenSource, sandbox_hosts
from t2t.clients import deadline as action_deadline
from t2t.clients.auth import ClientSecret, token_roles
from t2t.clients.errors import DeadlineReached
from tests.conftest import SandboxHandle

EXCHANGE = "https://outlook.office365.com"
TOKEN_PATH = "/oauth2/"


def _fault(sandbox: SandboxHandle, **rule: Any) -> None:
    rule.setdefault("match", {"service": "identity", "path": TOKEN_PATH})
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule)
    assert r.status_code < 300, r.text


def _source(sandbox: SandboxHandle, secret: str | None = None, **options: Any) -> MsalTokenSource:
    t = sandbox.tenant("fabrikam")
    return MsalTokenSource(
        t["tenantId"],
        t["adminApp"]["clientId"],
        ClientSecret(secret if secret is not None else t["adminApp"]["clientSecret"]),
        sandbox_hosts(sandbox.profile),
        **options,
    )


def _token(source: MsalTokenSource | AzureIdentityTokenSource, within: float | None = None) -> str:
    async def get() -> str:
        if within is None:
            return await source.token(EXCHANGE)
        with action_deadline.within(within):
            return await source.token(EXCHANGE)

    try:
        return asyncio.run(get())
    finally:
        source.close()


def _token_requests(sandbox: SandboxHandle) -> int:
    """Token requests the identity surface served (faulted ones never reach it)."""
    ops = sandbox.stats()["byService"]
    return int(ops.get("identity", 0))


def test_a_429_is_waited_out_for_its_retry_after_then_the_token_comes(
    sandbox: SandboxHandle,
) -> None:
    _fault(sandbox, kind="error", status=429, retryAfter=2, count=1)
    started = time.monotonic()
    token = _token(_source(sandbox))
    assert time.monotonic() - started >= 2.0  # not one request before Retry-After
    assert "Exchange.ManageAsApp" in token_roles(token)


def test_the_identity_platforms_throttle_answer_is_its_plain_text(
    sandbox: SandboxHandle,
) -> None:
    """What MSAL meets: 429, Retry-After, "Too Many Requests" as text (faults.py fault_body)."""
    _fault(sandbox, kind="throttle", budget=1, windowSeconds=60, retryAfter=1)
    t = sandbox.tenant("fabrikam")
    url = f"{sandbox.base_url}/{t['tenantId']}/oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": "x", "scope": f"{EXCHANGE}/.default"}
    sandbox.http.post(url, data=form)  # spends the budget (the answer does not matter)
    r = sandbox.http.post(url, data=form)
    assert (r.status_code, r.headers["retry-after"], r.text) == (429, "1", "Too Many Requests")
    assert r.headers["content-type"].startswith("text/plain")


def test_a_throttled_token_endpoint_still_gives_every_token_in_time(
    sandbox: SandboxHandle,
) -> None:
    _fault(sandbox, kind="throttle", budget=1, windowSeconds=2)
    sources = [_source(sandbox) for _ in range(3)]
    started = time.monotonic()
    tokens = [_token(s) for s in sources]
    assert all("Exchange.ManageAsApp" in token_roles(t) for t in tokens)
    assert time.monotonic() - started >= 2.0  # the budget was honoured, not overrun


@pytest.mark.parametrize("status", [500, 503, 504])
def test_an_unavailable_token_endpoint_is_asked_again(sandbox: SandboxHandle, status: int) -> None:
    _fault(sandbox, kind="error", status=status, count=1)
    started = time.monotonic()
    assert "Exchange.ManageAsApp" in token_roles(_token(_source(sandbox)))
    # asked again once MSAL lets go of the answer (5 s without Retry-After), not later
    assert 5.0 <= time.monotonic() - started < 8.0


def test_a_dropped_token_answer_is_asked_again(sandbox: SandboxHandle) -> None:
    _fault(sandbox, kind="drop", count=2)
    assert "Exchange.ManageAsApp" in token_roles(_token(_source(sandbox)))


def test_a_token_request_that_times_out_is_asked_again(sandbox: SandboxHandle) -> None:
    _fault(sandbox, kind="latency", ms=3000, count=1)
    started = time.monotonic()
    token = _token(_source(sandbox, timeout_seconds=1.0))
    took = time.monotonic() - started
    assert "Exchange.ManageAsApp" in token_roles(token)
    assert 1.0 <= took < 3.0  # gave up on the slow answer, did not wait it out


def test_an_unavailable_discovery_is_transient_too(sandbox: SandboxHandle) -> None:
    """MSAL reads the tenant's OIDC metadata first; a 503 there is not a bad authority."""
    _fault(sandbox, kind="error", status=503, count=1, match={"service": "identity"})
    assert "Exchange.ManageAsApp" in token_roles(_token(_source(sandbox)))


def test_an_identity_platform_down_past_the_deadline_is_the_deadline_not_a_crash(
    sandbox: SandboxHandle,
) -> None:
    _fault(sandbox, kind="error", status=503)
    started = time.monotonic()
    with pytest.raises(DeadlineReached) as raised:
        _token(_source(sandbox), within=2.0)
    assert time.monotonic() - started < 4.0
    assert str(raised.value).startswith(f"token for {EXCHANGE} in tenant ")
    assert "token endpoint failed" in str(raised.value)


def test_a_refused_credential_is_not_asked_again(sandbox: SandboxHandle) -> None:
    started = time.monotonic()
    with pytest.raises(AuthError, match="AADSTS7000215") as raised:
        _token(_source(sandbox, secret="wrong"), within=30.0)
    assert not raised.value.transient
    assert time.monotonic() - started < 2.0
    assert _token_requests(sandbox) == 2  # OIDC discovery and one token request


def test_azure_identity_gets_its_token_through_an_unavailable_endpoint(
    sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = sandbox.tenant("fabrikam")
    monkeypatch.setenv("AZURE_TENANT_ID", t["tenantId"])
    monkeypatch.setenv("AZURE_CLIENT_ID", t["adminApp"]["clientId"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", t["adminApp"]["clientSecret"])
    _fault(sandbox, kind="error", status=503, count=3)
    source = AzureIdentityTokenSource(
        t["tenantId"], None, "environment", sandbox_hosts(sandbox.profile)
    )
    assert "Exchange.ManageAsApp" in token_roles(_token(source))
