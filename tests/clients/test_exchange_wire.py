"""t2t's Exchange client on the wire, against the strict sandbox over HTTPS: what the module
sends (wire.py) is what t2t sends, and what only the module's form passes, t2t's passes."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from test_exchange_client import _exchange

from t2t.clients import ExchangeClient, ModuleKeyUnavailable, PermissionDenied, wire

T = TypeVar("T")


def _run(sandbox: Any, name: str, body: Callable[[ExchangeClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with _exchange(sandbox, name) as client:
            return await body(client)

    return asyncio.run(go())


def _fault(sandbox: Any, rule: dict[str, Any]) -> None:
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()


def _count(sandbox: Any, key: str, name: str) -> int:
    return int(sandbox.stats()[key].get(name, 0))


def test_a_401_is_retried_once_with_a_fresh_token(sandbox: Any) -> None:
    """The module asks for a new auth header on every try after a 401 (Execute-Command)."""
    _fault(
        sandbox,
        {"kind": "error", "status": 401, "count": 1, "match": {"cmdlet": "Get-OrganizationConfig"}},
    )

    async def body(client: ExchangeClient) -> int:
        await client.invoke("Get-AcceptedDomain")  # a cached token exists before the 401
        tokens = _count(sandbox, "byService", "identity")
        out = await client.invoke("Get-OrganizationConfig")
        assert len(out.values) == 1
        return _count(sandbox, "byService", "identity") - tokens

    assert _run(sandbox, "fabrikam", body) == 1  # exactly one new token, for the retry


def test_a_401_that_persists_is_not_retried_forever(sandbox: Any) -> None:
    _fault(
        sandbox,
        {"kind": "error", "status": 401, "count": 5, "match": {"cmdlet": "Get-OrganizationConfig"}},
    )

    async def body(client: ExchangeClient) -> int:
        await client.invoke("Get-AcceptedDomain")
        tokens = _count(sandbox, "byService", "identity")
        with pytest.raises(PermissionDenied) as info:
            await client.invoke("Get-OrganizationConfig")
        assert info.value.status == 401
        return _count(sandbox, "byService", "identity") - tokens

    assert _run(sandbox, "fabrikam", body) == 1  # one fresh token, one retry, then the error


def test_the_module_key_is_fetched_once_per_connection(sandbox: Any) -> None:
    before = _count(sandbox, "byCmdlet", "EXOModuleFile")

    async def body(client: ExchangeClient) -> None:
        first = await client.module_key()
        second = await client.module_key()
        assert first is second

    _run(sandbox, "fabrikam", body)
    assert _count(sandbox, "byCmdlet", "EXOModuleFile") == before + 1


def test_no_key_means_nothing_sensitive_is_sent(sandbox: Any) -> None:
    """Microsoft's module throws rather than send a secret unprotected (Encrypt-Value)."""
    _fault(
        sandbox,
        {"kind": "error", "status": 404, "match": {"service": "exchange", "path": "EXOModuleFile"}},
    )
    before = _count(sandbox, "byCmdlet", "New-MailUser")

    async def body(client: ExchangeClient) -> None:
        await client.invoke(
            "New-MailUser",
            {
                "Name": "Nobody",
                "MicrosoftOnlineServicesID": "nobody@fabrikam.onmicrosoft.com",
                "Password": wire.secure_string("Never-Sent-1"),
            },
        )

    with pytest.raises(ModuleKeyUnavailable, match=r"New-MailUser: tenant .*unencrypted"):
        _run(sandbox, "fabrikam", body)
    assert _count(sandbox, "byCmdlet", "New-MailUser") == before


def _requests(sandbox: Any, cmdlet: str) -> list[dict[str, Any]]:
    r = sandbox.http.get(
        f"{sandbox.base_url}/_sandbox/exchange/requests", params={"cmdlet": cmdlet}
    )
    r.raise_for_status()
    entries: list[dict[str, Any]] = r.json()["requests"]
    return entries


def test_secret_and_password_travel_only_encrypted(sandbox: Any) -> None:
    """Through t2t's client: the endpoint's secret and the MailUser's password reach the
    service only as the module's ciphertext (the sandbox's request log keeps every body as
    sent), and the sandbox — which refuses plain text with Microsoft's 500 — accepts them."""
    from tests.sandbox.exchange_setup import APP_ID, consent, migration_secret

    consent(sandbox, "contoso")
    # A real secret of the migration app, past its propagation delay: New-MigrationEndpoint
    # signs in with it (t2t/sandbox/moves/credentials.py).
    secret, password = migration_secret(sandbox), "MailUser-Password-never-plain-4d"

    async def body(client: ExchangeClient) -> None:
        await client.invoke(
            "New-MigrationEndpoint",
            {
                "Name": "wire-test",
                "ExchangeRemoteMove": True,
                "RemoteServer": "outlook.office.com",
                "RemoteTenant": "contoso.onmicrosoft.com",
                "ApplicationId": APP_ID,
                "Credentials": wire.credential(APP_ID, secret),
            },
        )
        await client.invoke(
            "New-MailUser",
            {
                "Name": "Wire Test",
                "MicrosoftOnlineServicesID": "wire.test@fabrikam.onmicrosoft.com",
                "ExternalEmailAddress": "wire.test@contoso.com",
                "Password": wire.secure_string(password),
            },
        )

    _run(sandbox, "fabrikam", body)
    [endpoint] = _requests(sandbox, "New-MigrationEndpoint")
    [mail_user] = _requests(sandbox, "New-MailUser")
    assert (endpoint["status"], mail_user["status"]) == (200, 200)
    for entry, field, plain in (
        (endpoint, "Credentials", secret),
        (mail_user, "Password", password),
    ):
        sent = entry["cmdletInput"]["Parameters"][field]
        assert isinstance(sent, str) and len(base64.b64decode(sent, validate=True)) == 256
        assert plain not in entry["body"]
    every = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests").json()["requests"]
    assert not [e for e in every if secret in e["body"] or password in e["body"]]
