"""t2t's own clients against the sandbox over real HTTPS: msal tokens, InvokeCommand, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from t2t.clients import (
    AuthError,
    ExchangeClient,
    ExchangeError,
    HttpLayer,
    MsalTokenSource,
    ObjectNotFound,
    PermissionDenied,
    WriteForbidden,
    connect,
    sandbox_hosts,
)
from t2t.probes import read_relationships
from tests.real_clients import admin_identity

T = TypeVar("T")


@asynccontextmanager
async def _exchange(
    sandbox: Any, name: str = "contoso", *, page_size: int = 1000, secret: str | None = None
) -> AsyncIterator[ExchangeClient]:
    hosts = sandbox_hosts(sandbox.profile)
    async with HttpLayer(ca_file=hosts.ca_file) as http:
        clients = connect(http, hosts, admin_identity(sandbox, name, secret=secret))
        client = ExchangeClient(
            http,
            base_url=hosts.exchange,
            tenant=clients.tenant_id,
            tokens=clients.tokens,
            resource=hosts.exchange_resource,
            page_size=page_size,
        )
        try:
            yield client
        finally:
            clients.tokens.close()


def run(sandbox: Any, body: Callable[[ExchangeClient], Awaitable[T]], **kw: Any) -> T:
    async def go() -> T:
        async with _exchange(sandbox, **kw) as client:
            return await body(client)

    return asyncio.run(go())


def test_msal_ignores_a_global_ca_bundle(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """REQUESTS_CA_BUNDLE pointing elsewhere must not break the sandbox CA (wire-protocols §3.7)."""
    bogus = tmp_path / "other-ca.pem"
    bogus.write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bogus))
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, "contoso")
    source = MsalTokenSource(ident.tenant_id, ident.client_id, ident.credential, hosts)
    token = asyncio.run(source.token(hosts.exchange_resource))
    source.close()
    assert token.count(".") == 2  # a JWT


def test_wrong_secret_is_an_auth_error_with_the_aadsts_code(sandbox: Any) -> None:
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, "contoso", secret="definitely-wrong")
    source = MsalTokenSource(ident.tenant_id, ident.client_id, ident.credential, hosts)
    with pytest.raises(AuthError, match="invalid_client: AADSTS7000215"):
        asyncio.run(source.token(hosts.exchange_resource))
    source.close()


def test_get_organization_config_drops_companion_keys(sandbox: Any) -> None:
    result = run(sandbox, lambda c: c.invoke("Get-OrganizationConfig"))
    assert len(result.values) == 1
    record = result.values[0]
    assert record["IsDehydrated"] is False
    assert not [k for k in record if "@odata." in k or "@data." in k]


def test_paging_follows_next_links_with_the_same_body(sandbox: Any) -> None:
    async def body(client: ExchangeClient) -> int:
        for i in range(5):
            await client.invoke(
                "New-OrganizationRelationship",
                {"Name": f"rel-{i}", "DomainNames": [f"partner{i}.example.com"]},
            )
        result = await client.invoke("Get-OrganizationRelationship")
        return len(result.values)

    before = sandbox.stats()["byCmdlet"].get("Get-OrganizationRelationship", 0)
    assert run(sandbox, body, page_size=2) == 5
    pages = sandbox.stats()["byCmdlet"]["Get-OrganizationRelationship"] - before
    assert pages == 3  # 2 + 2 + 1


def test_an_apps_requests_are_anchored_on_the_tenants_system_mailbox(sandbox: Any) -> None:
    """App-only, t2t anchors as the module does (wire-protocols.md §1.2): on the system mailbox
    of the tenant it calls; the sandbox's request log shows the header as received."""
    run(sandbox, lambda c: c.invoke("Get-OrganizationConfig"))
    log = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests").json()["requests"]
    tenant = sandbox.tenant("contoso")["tenantId"]
    assert [(e["cmdlet"], e["anchor"]) for e in log] == [
        (
            "Get-OrganizationConfig",
            f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tenant}",
        )
    ]


def test_missing_object_is_object_not_found(sandbox: Any) -> None:
    with pytest.raises(ObjectNotFound) as info:
        run(sandbox, lambda c: c.invoke("Get-OrganizationRelationship", {"Identity": "nope"}))
    assert info.value.short_type == "ManagementObjectNotFoundException"
    assert info.value.status == 404


def test_unknown_parameter_keeps_exchange_words(sandbox: Any) -> None:
    with pytest.raises(ExchangeError) as info:
        run(sandbox, lambda c: c.invoke("Get-OrganizationRelationship", {"Bogus": 1}))
    assert info.value.message == "A parameter cannot be found that matches parameter name 'Bogus'."
    assert info.value.status == 400


def test_read_only_client_refuses_writes_before_sending(sandbox: Any) -> None:
    before = sandbox.stats()

    async def body(client: ExchangeClient) -> None:
        await client.reader().invoke(
            "New-OrganizationRelationship", {"Name": "x", "DomainNames": ["x.example.com"]}
        )

    with pytest.raises(WriteForbidden):
        run(sandbox, body)
    after = sandbox.stats()
    assert after["writes"] == before["writes"]
    assert after["byService"].get("exchange", 0) == before["byService"].get("exchange", 0)


def test_a_token_of_another_tenant_is_refused(sandbox: Any) -> None:
    """Contoso's admin token against Fabrikam's InvokeCommand: 401 → PermissionDenied."""
    hosts = sandbox_hosts(sandbox.profile)
    fabrikam = sandbox.tenant("fabrikam")["tenantId"]

    async def go() -> None:
        async with HttpLayer(ca_file=hosts.ca_file) as http:
            contoso = connect(http, hosts, admin_identity(sandbox, "contoso"))
            client = ExchangeClient(
                http,
                base_url=hosts.exchange,
                tenant=fabrikam,
                tokens=contoso.tokens,
                resource=hosts.exchange_resource,
            )
            try:
                await client.invoke("Get-OrganizationConfig")
            finally:
                contoso.tokens.close()

    with pytest.raises(PermissionDenied) as info:
        asyncio.run(go())
    assert info.value.status == 401


def test_probe_failure_is_unknown_never_absent(sandbox: Any) -> None:
    """A read that fails yields unknown with the reason (lessons-from-peers.md §1)."""
    fact = run(sandbox, read_relationships, secret="wrong-secret")
    assert fact.status == "unknown"
    assert "AADSTS7000215" in (fact.reason or "")
