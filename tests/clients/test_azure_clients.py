"""t2t/clients/azure.py and the Azure half of hosts.py without a network: where t2t connects
per cloud, how the SDKs' failures become t2t's errors, which are retried, and that the probes'
clients send nothing but GET."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import certifi
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)

from t2t.clients import TenantIdentity
from t2t.clients.auth import ClientSecret
from t2t.clients.azure import AzureClients, as_client_error
from t2t.clients.errors import (
    AuthError,
    AzureError,
    AzureNotFound,
    PermissionDenied,
    ProfileError,
    TransportError,
    WriteForbidden,
)
from t2t.clients.hosts import CLOUDS, GLOBAL, sandbox_hosts

PROFILE: dict[str, Any] = {
    "baseUrl": "https://127.0.0.1:8443",
    "caFile": "/tmp/ca.pem",
    "endpoints": {
        "login": "https://127.0.0.1:8443",
        "graph": "https://127.0.0.1:8443/v1.0",
        "exchange": "https://127.0.0.1:8443/adminapi/beta",
        "arm": "https://127.0.0.1:8443/",
        "keyVault": "https://127.0.0.1:8443/keyvault/{name}",
    },
}


def test_arm_per_cloud() -> None:
    assert {name: (h.arm, h.arm_resource) for name, h in CLOUDS.items()} == {
        "global": ("https://management.azure.com", "https://management.azure.com"),
        "usgov": ("https://management.usgovcloudapi.net", "https://management.usgovcloudapi.net"),
        "dod": ("https://management.usgovcloudapi.net", "https://management.usgovcloudapi.net"),
    }


def test_microsofts_cloud_connects_to_the_vault_uri_itself() -> None:
    uri = "https://fabrikam-t2t-kv.vault.azure.net/"
    assert GLOBAL.vault_endpoint(uri) == uri


def test_the_sandbox_maps_a_vault_uri_to_its_key_vault_template() -> None:
    hosts = sandbox_hosts(PROFILE)
    assert (hosts.arm, hosts.arm_resource) == ("https://127.0.0.1:8443", GLOBAL.arm_resource)
    assert hosts.vault_endpoint("https://Fabrikam-T2T-kv.vault.azure.net/") == (
        "https://127.0.0.1:8443/keyvault/fabrikam-t2t-kv"
    )
    assert hosts.vault_endpoint("https://fabrikam-t2t-kv.vault.azure.net:443") == (
        "https://127.0.0.1:8443/keyvault/fabrikam-t2t-kv"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "http://fabrikam-t2t-kv.vault.azure.net/",  # a bearer token never goes over plain http
        "https://fabrikam-t2t-kv.example.com/",
        "https://127.0.0.1:8443/keyvault/x",
        "https://ab.vault.azure.net/",  # a vault name has 3-24 characters
    ],
)
def test_the_sandbox_refuses_what_is_not_a_vault_uri(uri: str) -> None:
    with pytest.raises(ProfileError, match="not a Key Vault URI"):
        sandbox_hosts(PROFILE).vault_endpoint(uri)


def test_an_older_profile_gets_the_designs_paths() -> None:
    older = {
        **PROFILE,
        "endpoints": {
            k: v for k, v in PROFILE["endpoints"].items() if k in ("login", "graph", "exchange")
        },
    }
    hosts = sandbox_hosts(older)
    assert hosts.arm == "https://127.0.0.1:8443"
    assert hosts.vault_endpoint("https://kv-one.vault.azure.net/") == (
        "https://127.0.0.1:8443/keyvault/kv-one"
    )


class _Response:
    """Enough of azure-core's HttpResponse for its exceptions."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.reason = "reason"
        self.headers = headers or {}
        self.content_type = "application/json"
        self._text = json.dumps(body)

    def json(self) -> Any:
        return json.loads(self._text)

    def text(self, encoding: str | None = None) -> str:
        return self._text

    def body(self) -> bytes:
        return self._text.encode()


def _error(status: int, code: str, message: str, **headers: str) -> HttpResponseError:
    response = _Response(status, {"error": {"code": code, "message": message}}, headers)
    kind = ResourceNotFoundError if status == 404 else HttpResponseError
    return kind(response=response)


def _described(exc: BaseException) -> tuple[str, int, str, str]:
    return (
        type(exc).__name__,
        getattr(exc, "status", 0),
        getattr(exc, "code", ""),
        getattr(exc, "message", str(exc)),
    )


def test_sdk_failures_become_t2t_errors_with_microsofts_code() -> None:
    refused = "The client 'x' with object id 'y' does not have authorization to perform action"
    cases = [
        _error(403, "AuthorizationFailed", refused, **{"x-ms-request-id": "r-1"}),
        _error(403, "Forbidden", "Caller is not authorized to perform action on resource."),
        _error(
            404, "ResourceGroupNotFound", "Resource group 'CrossTenantMoveRG' could not be found."
        ),
        _error(404, "CertificateNotFound", "A certificate with (name/id) t2t-cert was not found"),
        _error(503, "ServiceUnavailable", "The service is unavailable."),
        _error(409, "VaultAlreadyExists", "The vault name 'kv' is already in use."),
    ]
    assert [_described(as_client_error(e, "GET x")) for e in cases] == [
        ("PermissionDenied", 403, "AuthorizationFailed", f"GET x: {refused}"),
        (
            "PermissionDenied",
            403,
            "Forbidden",
            "GET x: Caller is not authorized to perform action on resource.",
        ),
        (
            "AzureNotFound",
            404,
            "ResourceGroupNotFound",
            "GET x: Resource group 'CrossTenantMoveRG' could not be found.",
        ),
        (
            "AzureNotFound",
            404,
            "CertificateNotFound",
            "GET x: A certificate with (name/id) t2t-cert was not found",
        ),
        ("AzureError", 503, "ServiceUnavailable", "GET x: The service is unavailable."),
        ("AzureError", 409, "VaultAlreadyExists", "GET x: The vault name 'kv' is already in use."),
    ]
    first = as_client_error(cases[0], "GET x")
    assert isinstance(first, PermissionDenied) and first.request_id == "r-1"


def test_no_answer_a_refused_credential_and_a_local_refusal() -> None:
    unreachable = as_client_error(ServiceRequestError("connection refused"), "GET x")
    credential = as_client_error(
        ClientAuthenticationError("AADSTS7000215: Invalid client secret"), "GET x"
    )
    local = as_client_error(
        ValueError("The challenge resource 'vault.azure.net' does not match"), "GET x"
    )
    assert (type(unreachable), str(unreachable)) == (TransportError, "GET x: connection refused")
    assert type(credential) is AuthError
    assert "AADSTS7000215" in str(credential)
    assert str(local) == "GET x: The challenge resource 'vault.azure.net' does not match"
    other = KeyError("k")
    assert as_client_error(other, "GET x") is other  # a bug stays a bug


def _clients(**kw: Any) -> AzureClients:
    identity = TenantIdentity("t-1", "c-1", ClientSecret("s3cr3t"))
    return AzureClients(identity, sandbox_hosts(PROFILE), backoff_base=0.001, **kw)


def test_a_read_is_asked_again_after_throttling_and_unavailability() -> None:
    answers: list[Exception | str] = [
        _error(429, "TooManyRequests", "slow down", **{"Retry-After": "0"}),
        _error(503, "ServiceUnavailable", "later"),
        ServiceRequestError("reset"),
        "the vault",
    ]
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert asyncio.run(_clients().read("GET vault", call)) == "the vault"
    assert len(calls) == 4


def test_a_refusal_is_not_asked_again_and_a_write_is_sent_once() -> None:
    calls: list[str] = []

    def refused() -> None:
        calls.append("read")
        raise _error(403, "AuthorizationFailed", "no")

    def unavailable() -> None:
        calls.append("write")
        raise _error(503, "ServiceUnavailable", "later")

    clients = _clients()
    with pytest.raises(PermissionDenied):
        asyncio.run(clients.read("GET vault", refused))
    with pytest.raises(AzureError) as caught:
        asyncio.run(clients.write("PUT vault", unavailable))
    assert caught.value.status == 503
    assert calls == ["read", "write"]


def test_a_read_that_keeps_failing_gives_up_after_its_budget() -> None:
    def unavailable() -> None:
        raise _error(503, "ServiceUnavailable", "later")

    with pytest.raises(AzureError, match="later"):
        asyncio.run(_clients(budget_seconds=0.05).read("GET vault", unavailable))


def test_a_missing_object_is_not_retried() -> None:
    calls: list[int] = []

    def missing() -> None:
        calls.append(1)
        raise _error(404, "ResourceNotFound", "not found")

    with pytest.raises(AzureNotFound):
        asyncio.run(_clients().read("GET vault", missing))
    assert calls == [1]


class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("token", 2**31)

    def close(self) -> None:
        pass


def test_the_probes_clients_send_nothing_but_get() -> None:
    from azure.mgmt.keyvault.models import AccessPolicyUpdateKind

    identity = TenantIdentity("t-1", "c-1", ClientSecret("s3cr3t"))
    clients = AzureClients(identity, sandbox_hosts({**PROFILE, "caFile": certifi.where()}))
    clients._credential = _Token()
    reader = clients.reader()
    vaults = reader.vaults("3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d").vaults
    with pytest.raises(
        WriteForbidden, match=re.escape("PUT https://127.0.0.1:8443/subscriptions/")
    ):
        vaults.update_access_policy(
            "rg", "kv", AccessPolicyUpdateKind.ADD, {"properties": {"accessPolicies": []}}
        )
    certificates = reader.certificates("https://kv-one.vault.azure.net/")
    with pytest.raises(
        WriteForbidden, match=re.escape("PATCH https://127.0.0.1:8443/keyvault/kv-one/")
    ):
        certificates.update_certificate_properties("t2t-cert", enabled=False)
    with pytest.raises(WriteForbidden):
        asyncio.run(reader.write("PUT vault", lambda: None))
    clients.close()
