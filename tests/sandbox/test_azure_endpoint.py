"""An ``AppSecretKeyVaultUrl`` migration endpoint (issue 12): Exchange accepts it when the link
works — the vault exists in the target's Azure, Exchange Online's service principal may read the
certificate's secret, the version exists, is enabled and valid, and the certificate is on the
migration app — refuses each broken link, and the move re-checks the link at every step
(t2t/sandbox/azure/link.py, moves/credentials.py). Azure through the real SDKs, Exchange through
InvokeCommand, the app through Graph, all over HTTPS."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from azure.keyvault.certificates import KeyVaultCertificate
from cryptography import x509

from t2t.sandbox.azure.link import URL_FORMAT_TEXT
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.server import SandboxServer
from tests.conftest import SandboxHandle
from tests.sandbox.azure_helpers import (
    ADMIN,
    ADMIN_OID,
    RG,
    arm_client,
    certificate_client,
    create_certificate,
    grant_role,
    owner_seed,
    policy,
    put_resource_group,
    vault_body,
)
from tests.sandbox.exchange_setup import (
    APP_ID,
    ENDPOINT,
    EXCHANGE_ONLINE_APP_ID,
    FABRIKAM_ID,
    advance_clock,
    batch_status,
    new_batch,
    ok,
    prepare_user,
    service_principal,
    set_pace,
    setup_organizations,
    user_status,
    wait_out_secret_delay,
)
from tests.sandbox.graph_helpers import graph
from tests.sandbox.helpers import error_detail

STEP = 60
VAULT = "fabrikam-t2t-kv"
KV_ENDPOINT = "contoso-kv"
SOURCE, TARGET = "debra@contoso.com", "debra.berger@fabrikam.com"
OFFICER = "a4417e6f-fecd-4de8-b567-7b0420556985"  # Key Vault Certificates Officer
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"  # Key Vault Secrets User
EXCHANGE_ACCESS = {"secrets": ["get", "list"], "certificates": ["get", "list"]}
"""What SetupCrossTenantRelationshipForTargetTenant.ps1 grants Exchange Online's principal."""


@dataclass
class Link:
    url: str
    version: str
    exchange_oid: str
    cer: bytes


def _skip(sandbox: SandboxHandle) -> Callable[[], None]:
    return lambda: advance_clock(sandbox, 5)


def _set_app_keys(sandbox: SandboxHandle, *certificates: tuple[bytes, str]) -> None:
    """PATCH the migration app's keyCredentials (the whole collection), then wait out the
    propagation of a new key (the token endpoint's rule, as for secrets)."""
    keys = [
        {
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "key": base64.b64encode(der).decode(),
            "endDateTime": end,
        }
        for der, end in certificates
    ]
    r = graph(
        sandbox,
        "fabrikam",
        "PATCH",
        f"/applications(appId='{APP_ID}')",
        json={"keyCredentials": keys},
    )
    assert r.status_code == 204, r.text
    wait_out_secret_delay(sandbox)


def _certificate_on_app(sandbox: SandboxHandle, cert: KeyVaultCertificate) -> bytes:
    """The vault certificate's public certificate as the migration app's only key, ending
    with it; returns its DER."""
    assert cert.cer is not None and cert.properties.expires_on is not None
    der = bytes(cert.cer)
    _set_app_keys(sandbox, (der, cert.properties.expires_on.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return der


def _link(sandbox: SandboxHandle) -> Link:
    """Both organizations set up (secret endpoint included), then the walkthrough's Azure part:
    resource group, access-policy vault (t2t's admin: certificates; Exchange Online: the
    script's permissions), a self-signed certificate, its public certificate on the app."""
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    exchange = service_principal(sandbox, "fabrikam", EXCHANGE_ONLINE_APP_ID)["id"]
    policies = [
        policy(FABRIKAM_ID, ADMIN_OID, certificates=["get", "list", "create", "update"]),
        policy(FABRIKAM_ID, exchange, **EXCHANGE_ACCESS),
    ]
    with arm_client(sandbox.profile) as arm:
        put_resource_group(arm)
        arm.vaults.begin_create_or_update(RG, VAULT, vault_body(FABRIKAM_ID, policies)).result()
    with certificate_client(sandbox.profile, VAULT) as kv:
        cert = create_certificate(kv, skip_wait=_skip(sandbox))
    der = _certificate_on_app(sandbox, cert)
    version = cert.properties.version or ""
    url = f"https://{VAULT}.vault.azure.net:443/certificates/t2t-cert/{version}"
    return Link(url, version, exchange, der)


def _endpoint(url: str, name: str = KV_ENDPOINT) -> dict[str, Any]:
    return {
        "Name": name,
        "ExchangeRemoteMove": True,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": "contoso.onmicrosoft.com",
        "ApplicationId": APP_ID,
        "AppSecretKeyVaultUrl": url,
    }


def _moving_through(sandbox: SandboxHandle, link: Link) -> dict[str, Any]:
    """The endpoint at the link, debra prepared and her batch started on it; returns the
    endpoint as New-MigrationEndpoint answered."""
    [ep] = ok(sandbox, "fabrikam", "New-MigrationEndpoint", _endpoint(link.url))
    prepare_user(sandbox, SOURCE, TARGET)
    new_batch(sandbox, "wave", TARGET, AutoStart=True, SourceEndpoint=KV_ENDPOINT)
    return dict(ep)


def _thumbprint(der: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")


def test_a_working_link_is_accepted_and_the_move_signs_in_with_the_certificate(
    sandbox: SandboxHandle,
) -> None:
    link = _link(sandbox)
    ep = _moving_through(sandbox, link)
    assert (ep["AppSecretKeyVaultUrl"], ep["ApplicationId"], ep["Username"]) == (
        link.url,
        APP_ID,
        None,
    )
    advance_clock(sandbox, 2 * STEP)
    assert batch_status(sandbox, "wave") == "Synced"
    ok(sandbox, "fabrikam", "Complete-MigrationBatch", {"Identity": "wave", "Confirm": False})
    advance_clock(sandbox, 3 * STEP)
    assert user_status(sandbox, TARGET)["Status"] == "Completed"


def test_a_url_outside_microsofts_pattern_is_refused(sandbox: SandboxHandle) -> None:
    link = _link(sandbox)
    for bad in (
        link.url.rsplit("/", 1)[0],  # no version
        link.url.replace("vault.azure.net", "vault.example.net"),
        link.url.replace("https://", "http://"),
    ):
        r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", _endpoint(bad))
        _eid, exc, text = error_detail(r)
        assert (r.status_code, exc, text) == (
            400,
            spec("MigrationPermanentException").full_type,
            URL_FORMAT_TEXT,
        )


def _exchange_access(sandbox: SandboxHandle, link: Link, operation: str) -> None:
    """Exchange Online's access policy (the script's permissions) added to or removed from
    the vault (Vaults - Update Access Policy, operation ``add`` or ``remove``)."""
    with arm_client(sandbox.profile) as arm:
        arm.vaults.update_access_policy(
            RG,
            VAULT,
            operation,
            {
                "properties": {
                    "accessPolicies": [policy(FABRIKAM_ID, link.exchange_oid, **EXCHANGE_ACCESS)]
                }
            },
        )


def _no_exchange_access(sandbox: SandboxHandle, link: Link) -> str:
    _exchange_access(sandbox, link, "remove")
    return (
        f"The user, group or application 'appid={EXCHANGE_ONLINE_APP_ID};oid={link.exchange_oid};"
        f"iss=https://sts.windows.net/{FABRIKAM_ID}/' does not have secrets get permission on key "
        f"vault '{VAULT};location=northeurope'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287"
    )


def _no_key_credential(sandbox: SandboxHandle, link: Link) -> str:
    _set_app_keys(sandbox)
    return (
        "The certificate with identifier used to sign the client assertion is not registered on "
        f"application. [Reason - The key was not found., Thumbprint of key used by client: "
        f"'{_thumbprint(link.cer)}', Please visit the Azure Portal, Graph Explorer or directly "
        f"use MS Graph to see configured keys for app Id '{APP_ID}'.]"
    )


def _disabled(sandbox: SandboxHandle, link: Link) -> str:
    with certificate_client(sandbox.profile, VAULT) as kv:
        kv.update_certificate_properties("t2t-cert", link.version, enabled=False)
    return "Operation get is not allowed on a disabled secret."


def _expired(sandbox: SandboxHandle, link: Link) -> str:
    advance_clock(sandbox, 370 * 86400)  # past the certificate's 12 months
    cert = x509.load_der_x509_certificate(link.cer)  # the key: the certificate's own dates
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return (
        "Client assertion contains an invalid signature. [Reason - The key used is expired., "
        f"Thumbprint of key used by client: '{hashlib.sha1(link.cer).hexdigest().upper()}', "
        f"Found key 'Start={start:%m/%d/%Y %H:%M:%S}, End={end:%m/%d/%Y %H:%M:%S}', Please visit "
        "the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for "
        f"app Id '{APP_ID}'.]"
    )


def _rbac_without_role(sandbox: SandboxHandle, link: Link) -> str:
    with arm_client(sandbox.profile) as arm:
        arm.vaults.update(RG, VAULT, {"properties": {"enableRbacAuthorization": True}})
    return "Caller is not authorized to perform action on resource."


def _another_version(sandbox: SandboxHandle, link: Link) -> str:
    link.url = link.url.replace(link.version, "0" * 32)
    return f"A secret with (name/id) t2t-cert/{'0' * 32} was not found in this key vault."


def _no_vault(sandbox: SandboxHandle, link: Link) -> str:
    link.url = link.url.replace(VAULT, "nosuch-kv")
    return "KeyVault: nosuch-kv not found"


BREAKS: dict[str, tuple[Callable[[SandboxHandle, Link], str], str, str | None]] = {
    # name: (break it, expected catalogue entry, AADSTS code of a sign-in refusal)
    "no vault": (_no_vault, "EndpointCertificateUnreadable", None),
    "exchange's access removed": (_no_exchange_access, "EndpointCertificateUnreadable", None),
    "rbac vault, no role for exchange": (_rbac_without_role, "EndpointCertificateUnreadable", None),
    "version unknown": (_another_version, "EndpointCertificateUnreadable", None),
    "version disabled": (_disabled, "EndpointCertificateUnreadable", None),
    "key credential missing": (_no_key_credential, "EndpointCredentialRefused", "700027"),
    "certificate expired": (_expired, "EndpointCredentialRefused", "700027"),
}


@pytest.mark.parametrize("broken", list(BREAKS))
def test_new_migration_endpoint_refuses_each_broken_link(
    sandbox: SandboxHandle, broken: str
) -> None:
    link = _link(sandbox)
    breaker, entry, code = BREAKS[broken]
    text = breaker(sandbox, link)
    r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", _endpoint(link.url))
    _eid, exc, message = error_detail(r)
    assert (r.status_code, exc) == (400, spec(entry).full_type)
    if code is None:
        prefix = spec(entry).render(url=link.url, text="")
        assert message.startswith(prefix) and text in message.removeprefix(prefix), message
    else:
        assert message == spec(entry).render(code=code, text=text)
    r = sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {"Identity": KV_ENDPOINT})
    assert r.status_code == 404  # nothing was created
    # -SkipVerification takes it as it is (the move will fail, below)
    ok(
        sandbox,
        "fabrikam",
        "New-MigrationEndpoint",
        {**_endpoint(link.url), "SkipVerification": True},
    )


def test_a_link_broken_after_the_endpoint_was_created_fails_the_move(
    sandbox: SandboxHandle,
) -> None:
    link = _link(sandbox)
    _moving_through(sandbox, link)
    advance_clock(sandbox, STEP)
    assert user_status(sandbox, TARGET)["Status"] == "Syncing"
    text = _no_exchange_access(sandbox, link)
    advance_clock(sandbox, STEP)
    failed = user_status(sandbox, TARGET)
    s = spec("EndpointCertificateUnreadable")
    assert (failed["Status"], failed["ErrorSummary"]) == (
        "Failed",
        f"MigrationServerConnectionFailedException: {s.render(url=link.url, text=text)}",
    )
    [stats] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": TARGET})
    assert stats["Error"] == failed["ErrorSummary"]
    assert batch_status(sandbox, "wave") == "Failed"
    # repaired (the script re-applies the access policy), the restarted batch moves on
    _exchange_access(sandbox, link, "add")
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "wave"})
    advance_clock(sandbox, 2 * STEP)
    assert batch_status(sandbox, "wave") == "Synced"


def test_a_key_credential_removed_after_the_sync_fails_the_completion(
    sandbox: SandboxHandle,
) -> None:
    link = _link(sandbox)
    _moving_through(sandbox, link)
    advance_clock(sandbox, 2 * STEP)
    assert batch_status(sandbox, "wave") == "Synced"
    text = _no_key_credential(sandbox, link)
    ok(sandbox, "fabrikam", "Complete-MigrationBatch", {"Identity": "wave", "Confirm": False})
    advance_clock(sandbox, STEP)
    failed = user_status(sandbox, TARGET)
    refused = spec("EndpointCredentialRefused").render(code="700027", text=text)
    assert (failed["Status"], failed["ErrorSummary"]) == (
        "Failed",
        f"MigrationServerConnectionFailedException: {refused}",
    )


def test_set_migration_endpoint_moves_a_secret_endpoint_to_the_certificate(
    sandbox: SandboxHandle,
) -> None:
    """One credential per endpoint: -AppSecretKeyVaultUrl alone replaces the secret, after the
    same link check."""
    link = _link(sandbox)
    with certificate_client(sandbox.profile, VAULT) as kv:
        kv.update_certificate_properties("t2t-cert", link.version, enabled=False)
    r = sandbox.invoke(
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": ENDPOINT, "AppSecretKeyVaultUrl": link.url},
    )
    assert error_detail(r)[1] == spec("EndpointCertificateUnreadable").full_type
    [unchanged] = ok(sandbox, "fabrikam", "Get-MigrationEndpoint", {"Identity": ENDPOINT})
    assert (unchanged["AppSecretKeyVaultUrl"], unchanged["Username"]) == (None, APP_ID)
    with certificate_client(sandbox.profile, VAULT) as kv:
        kv.update_certificate_properties("t2t-cert", link.version, enabled=True)
    ok(
        sandbox,
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": ENDPOINT, "AppSecretKeyVaultUrl": link.url},
    )
    [moved] = ok(sandbox, "fabrikam", "Get-MigrationEndpoint", {"Identity": ENDPOINT})
    assert (moved["AppSecretKeyVaultUrl"], moved["Username"]) == (link.url, None)
    prepare_user(sandbox, SOURCE, TARGET)
    new_batch(sandbox, "wave", TARGET, AutoStart=True)
    advance_clock(sandbox, 2 * STEP)
    assert batch_status(sandbox, "wave") == "Synced"


@pytest.fixture(scope="module")
def owner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A sandbox whose Fabrikam admin app is Owner of the subscription, so a test can grant
    Exchange Online a Key Vault role."""
    directory = tmp_path_factory.mktemp("owner-endpoint")
    seed = owner_seed(directory, ADMIN)
    server = SandboxServer(directory / "state", seed=seed).start()
    handle = SandboxHandle(server=server, profile=json.loads(server.profile_path.read_text()))
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


def test_an_rbac_vault_links_through_exchanges_role_and_not_without_it(
    owner: SandboxHandle,
) -> None:
    """The RBAC model of the link: Key Vault Secrets User for Exchange Online at the vault
    (rbac-guide), the Certificates Officer role for t2t's admin to make the certificate."""
    sandbox = owner
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    exchange = service_principal(sandbox, "fabrikam", EXCHANGE_ONLINE_APP_ID)["id"]
    with arm_client(sandbox.profile) as arm:
        put_resource_group(arm)
        vault = arm.vaults.begin_create_or_update(RG, VAULT, vault_body(FABRIKAM_ID, rbac=True))
        vault_id = vault.result().id
        grant_role(arm, vault_id, "5a0c6e1d-2b3f-4c5d-9e6f-7a8b9c0d1e2f", OFFICER, ADMIN_OID)
    with certificate_client(sandbox.profile, VAULT) as kv:
        cert = create_certificate(kv, skip_wait=_skip(sandbox))
    _certificate_on_app(sandbox, cert)
    url = f"https://{VAULT}.vault.azure.net/certificates/t2t-cert/{cert.properties.version}"
    r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", _endpoint(url))
    _eid, exc, text = error_detail(r)
    assert exc == spec("EndpointCertificateUnreadable").full_type
    assert "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'" in text
    assert f"appid={EXCHANGE_ONLINE_APP_ID};oid={exchange};" in text
    with arm_client(sandbox.profile) as arm:
        grant_role(arm, vault_id, "6b1d7f2e-3c4a-4d5e-8f7a-8b9c0d1e2f3a", SECRETS_USER, exchange)
    [ep] = ok(sandbox, "fabrikam", "New-MigrationEndpoint", _endpoint(url))
    assert ep["AppSecretKeyVaultUrl"] == url
