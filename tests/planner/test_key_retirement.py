"""The keys a rotation retires (t2t/planner/shared/key_vault/retire.py), on the edges the planner
cases do not reach: how an AppSecretKeyVaultUrl is read, an endpoint naming a version the vault
no longer lists, two versions retired at once, and an endpoint the plan has yet to create.

The everyday rotation (one older version removed once the endpoint names the newer one) is a
planner case: tests/planner/cases/endpoint/endpoint-kv-older-keys-after-a-rotation-are-removed.
"""

from __future__ import annotations

import pytest

from t2t.planner.shared.app import AppDesire
from t2t.planner.shared.key_vault import (
    NEWER_VERSION,
    VaultDesire,
    named_version,
    plan_key_retirement,
    retirable,
)
from t2t.state.azure import CertificateVersion, VaultCertificate
from t2t.state.directory import Application, KeyCredential
from t2t.state.exchange import MigrationEndpoint

VAULT = VaultDesire(
    subscription_id="3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d",
    resource_group="CrossTenantMoveRG",
    name="fabrikam-t2t-kv",
    location="northeurope",
    tenant_id="9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60",
    certificate_name="t2t-cert",
    certificate_subject="CN=admin_fabrikam",
)
HOST = "fabrikam-t2t-kv.vault.azure.net"
V1, V2, V3 = "a1" * 16, "b2" * 16, "c3" * 16
THUMBS = {V1: "11" * 20, V2: "22" * 20, V3: "33" * 20}


def _version(v: str) -> CertificateVersion:
    return CertificateVersion(
        id=f"https://{HOST}/certificates/t2t-cert/{v}",
        version=v,
        thumbprint=THUMBS[v],
        enabled=True,
        not_before=None,
        expires=None,
        created=None,
    )


CERT = VaultCertificate(
    vault_name="fabrikam-t2t-kv",
    name="t2t-cert",
    current=_version(V3),
    versions=(_version(V1), _version(V2), _version(V3)),
)


def _key(key_id: str, v: str, display_name: str | None = VAULT.key_marker) -> KeyCredential:
    return KeyCredential(
        key_id=key_id,
        display_name=display_name,
        type="AsymmetricX509Cert",
        usage="Verify",
        start=None,
        end=None,
        custom_key_identifier=None,
        thumbprint=THUMBS[v],
    )


KEYS = (_key("k1", V1), _key("k2", V2), _key("k3", V3), _key("nameless", V1, None))
APP = Application(
    object_id="obj-1",
    app_id="app-1",
    display_name="t2t migration",
    sign_in_audience="AzureADMultipleOrgs",
    required_resource_access=(),
    redirect_uris=(),
    password_credentials=(),
    key_credential_count=len(KEYS),
    key_credentials=KEYS,
)


def _endpoint(name: str, url: str | None) -> MigrationEndpoint:
    return MigrationEndpoint(
        identity=name,
        endpoint_type="ExchangeRemoteMove",
        remote_server=None,
        remote_tenant="contoso.onmicrosoft.com",
        application_id="app-1",
        app_secret_key_vault_url=url,
        max_concurrent_migrations=None,
    )


@pytest.mark.parametrize(
    ("url", "version"),
    [
        (f"https://{HOST}/certificates/t2t-cert/{V2}", V2),
        (f"https://{HOST.upper()}:443/Certificates/T2T-Cert/{V2.upper()}/", V2),
        (f"{HOST}/certificates/t2t-cert/{V2}", V2),  # no scheme: the host comes first
        (f"  https://{HOST}/certificates/t2t-cert/{V2}  ", V2),
        (None, None),
        ("", None),
        (f"https://other-kv.vault.azure.net/certificates/t2t-cert/{V2}", None),
        (f"https://{HOST}.example/certificates/t2t-cert/{V2}", None),
        (f"https://other.example/go://{HOST}/certificates/t2t-cert/{V2}", None),
        (f"https://{HOST}/certificates/t2t-cert", None),
        (f"https://{HOST}/certificates/t2t-cert/{V2}/pending", None),
        (f"https://{HOST}/secrets/t2t-cert/{V2}", None),
        (f"https://{HOST}/keys/t2t-cert/{V2}", None),
        (f"https://{HOST}/certificates/other-cert/{V2}", None),
    ],
)
def test_the_version_a_key_vault_url_names(url: str | None, version: str | None) -> None:
    assert named_version(VAULT, url) == version


def test_a_version_the_vault_no_longer_lists_retires_nothing() -> None:
    """Versions before an unknown one are not known to be older: every key stays."""
    assert retirable(VAULT, APP, CERT, (), "contoso-t2t", "d4" * 16) == ()
    unknown = "d4" * 16
    app = AppDesire("app-1", None, None)
    action = plan_key_retirement(VAULT, app, APP, CERT, (), "contoso-t2t", unknown, app_key="a")
    assert action is None


def test_every_older_version_goes_unless_another_endpoint_names_it() -> None:
    other = _endpoint("other-endpoint", f"https://{HOST}/certificates/t2t-cert/{V1}")
    found = retirable(VAULT, APP, CERT, (other,), "contoso-t2t", V3)
    assert [(kc.key_id, v.version) for kc, v in found] == [("k2", V2)]
    found = retirable(VAULT, APP, CERT, (), "contoso-t2t", V3)
    assert [(kc.key_id, v.version) for kc, v in found] == [("k1", V1), ("k2", V2)]


def test_two_versions_retired_for_an_endpoint_the_plan_creates() -> None:
    """No endpoint yet and the plan makes the version it will name: every t2t key of an
    existing version goes once apply reads the endpoint naming the new one."""
    action = plan_key_retirement(
        VAULT,
        AppDesire("app-1", None, None),
        APP,
        CERT,
        (),
        "contoso-t2t",
        NEWER_VERSION,
        app_key="app-1",
    )
    assert action is not None
    assert action.parameters["remove"] == [
        {"keyId": k, "thumbprint": THUMBS[v], "version": v}
        for k, v in (("k1", V1), ("k2", V2), ("k3", V3))
    ]
    assert action.parameters["keep"] == ["nameless"]
    assert action.observed == {
        "appId": "app-1",
        "keyCredentials": ["k1", "k2", "k3", "nameless"],
        "AppSecretKeyVaultUrl": None,
    }
    assert action.summary == (
        "remove the key(s) of 'fabrikam-t2t-kv/t2t-cert' version(s) "
        f"{V1}, {V2}, {V3} from the migration app once the endpoint 'contoso-t2t' names "
        "the version this plan creates (every other key kept)"
    )
