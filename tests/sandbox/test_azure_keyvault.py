"""The sandbox's Key Vault data plane (issue 12) through the real azure-identity and
azure-keyvault-certificates 4.12.0 over HTTPS, at the profile's ``keyVault`` path prefix: the
401 challenge, a self-signed certificate from a policy (pending → completed), its versions,
the PKCS#12 secret behind it, disabling, and the refusals of an access-policy vault and of an
RBAC vault (t2t/sandbox/azure/vault_routes.py, authorization.py, certificates.py)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.keyvault.certificates import CertificatePolicy
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from t2t.sandbox.model import derived_guid
from t2t.sandbox.server import SandboxServer
from tests.conftest import SandboxHandle
from tests.sandbox.azure_helpers import (
    ADMIN,
    ADMIN_OID,
    FABRIKAM,
    READER,
    RG,
    SUBSCRIPTION,
    VAULT,
    admin_vault,
    arm_client,
    certificate_client,
    create_certificate,
    error_body,
    grant_role,
    owner_seed,
    policy,
    put_resource_group,
    vault_body,
)
from tests.sandbox.exchange_setup import advance_clock

READER_OID = derived_guid(FABRIKAM, "sp", READER)
ALL_CERTIFICATES = ["get", "list", "create", "update"]


def test_certificate_from_policy_versions_and_secret(sandbox: SandboxHandle) -> None:
    admin_vault(sandbox.profile, certificates=ALL_CERTIFICATES, secrets=["get"])
    with certificate_client(sandbox.profile, VAULT) as kv:
        poller = kv.begin_create_certificate(
            "t2t-cert",
            CertificatePolicy(
                issuer_name="Self", subject="CN=admin_fabrikam", validity_in_months=12
            ),
        )
        pending = kv.get_certificate_operation("t2t-cert")
        assert (pending.status, pending.issuer_name) == ("inProgress", "Self")
        with pytest.raises(ResourceNotFoundError) as not_yet:  # no version until it completes
            kv.get_certificate("t2t-cert")
        assert error_body(not_yet.value)["code"] == "CertificateNotFound"
        first = poller.result()  # the SDK's own 5 s polling
        assert kv.get_certificate_operation("t2t-cert").status == "completed"
        der = bytes(first.cer or b"")
        cert = x509.load_der_x509_certificate(der)
        assert first.id == (
            f"https://{VAULT}.vault.azure.net/certificates/t2t-cert/{first.properties.version}"
        )
        assert len(first.properties.version or "") == 32
        assert first.properties.x509_thumbprint == hashlib.sha1(der).digest()
        assert cert.subject.rfc4514_string() == "CN=admin_fabrikam" == cert.issuer.rfc4514_string()
        life = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert dt.timedelta(days=365) <= life <= dt.timedelta(days=366)
        assert first.properties.expires_on == cert.not_valid_after_utc
        assert first.policy.key_type == "RSA" and first.policy.key_size == 2048
        assert (
            first.policy.exportable is True and first.policy.content_type == "application/x-pkcs12"
        )

        second = create_certificate(kv, skip_wait=lambda: advance_clock(sandbox, 5))
        assert second.properties.version != first.properties.version
        assert kv.get_certificate("t2t-cert").id == second.id  # the latest
        versions = {v.version for v in kv.list_properties_of_certificate_versions("t2t-cert")}
        assert versions == {first.properties.version, second.properties.version}
        assert kv.get_certificate_version("t2t-cert", first.properties.version or "").cer == der

        secret = kv.send_request(
            HttpRequest("GET", f"/secrets/t2t-cert/{first.properties.version}")
        )
        body = secret.json()
        assert (secret.status_code, body["contentType"], body["managed"]) == (
            200,
            "application/x-pkcs12",
            True,
        )
        assert body["id"] == first.secret_id
        key, in_pfx, _ = pkcs12.load_key_and_certificates(base64.b64decode(body["value"]), None)
        assert in_pfx is not None and key is not None
        assert in_pfx.public_bytes(serialization.Encoding.DER) == der
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]

        disabled = kv.update_certificate_properties(
            "t2t-cert", first.properties.version, enabled=False
        )
        assert disabled.properties.enabled is False
        refused = kv.send_request(
            HttpRequest("GET", f"/secrets/t2t-cert/{first.properties.version}")
        )
        assert (refused.status_code, refused.json()["error"]) == (
            403,
            {
                "code": "Forbidden",
                "message": "Operation get is not allowed on a disabled secret.",
                "innererror": {"code": "SecretDisabled"},
            },
        )


def test_the_challenge_names_the_vaults_tenant(sandbox: SandboxHandle) -> None:
    admin_vault(sandbox.profile, certificates=ALL_CERTIFICATES)
    url = sandbox.profile["endpoints"]["keyVault"].replace("{name}", VAULT) + "/certificates"
    bare = sandbox.http.get(url, params={"api-version": "2026-04-01"})
    assert bare.status_code == 401
    assert bare.headers["WWW-Authenticate"] == (
        f'Bearer authorization="{sandbox.base_url}/{FABRIKAM}", resource="https://vault.azure.net"'
    )
    assert bare.json() == {
        "error": {
            "code": "Unauthorized",
            "message": "AKV10000: Request is missing a Bearer or PoP token.",
        }
    }
    contoso = sandbox.token("contoso", "https://vault.azure.net/.default")
    foreign = sandbox.http.get(url, headers={"Authorization": f"Bearer {contoso}"})
    assert foreign.status_code == 401
    assert foreign.json()["error"]["message"].startswith(
        f"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{FABRIKAM}/"
    )
    stats = sandbox.stats()
    # refused before authentication: counted under the service, as no read
    assert stats["byService"]["keyvault"] == 2
    assert not [op for op in stats["byOperation"] if op.startswith("GET /certificates")]


def test_an_access_policy_vault_refuses_what_its_policies_do_not_grant(
    sandbox: SandboxHandle,
) -> None:
    admin_vault(sandbox.profile, certificates=ALL_CERTIFICATES)
    with certificate_client(sandbox.profile, VAULT) as kv:
        made = create_certificate(kv, skip_wait=lambda: advance_clock(sandbox, 5))
        secret = kv.send_request(HttpRequest("GET", f"/secrets/t2t-cert/{made.properties.version}"))
    assert secret.status_code == 403
    assert secret.json()["error"] == {
        "code": "Forbidden",
        "message": f"The user, group or application 'appid={ADMIN};oid={ADMIN_OID};"
        f"iss=https://sts.windows.net/{FABRIKAM}/' does not have secrets get permission on key "
        f"vault '{VAULT};location=northeurope'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287",
        "innererror": {"code": "AccessDenied"},
    }
    with (
        certificate_client(sandbox.profile, VAULT, client_id=READER) as reader,
        pytest.raises(HttpResponseError) as denied,
    ):
        reader.get_certificate("t2t-cert")  # ARM Reader is not a data-plane permission
    assert denied.value.status_code == 403
    assert f"oid={READER_OID};" in error_body(denied.value)["message"]
    assert "does not have certificates get permission" in error_body(denied.value)["message"]


def test_an_rbac_vault_without_a_role_is_forbidden_by_rbac(sandbox: SandboxHandle) -> None:
    """azure-mgmt-keyvault's api-version makes an RBAC vault when the field is left out; its
    creator (Contributor) has no data action there."""
    with arm_client(sandbox.profile) as arm:
        put_resource_group(arm)
        body = vault_body(
            FABRIKAM, [policy(FABRIKAM, ADMIN_OID, certificates=ALL_CERTIFICATES)], rbac=None
        )
        assert (
            arm.vaults.begin_create_or_update(RG, VAULT, body)
            .result()
            .properties.enable_rbac_authorization
        )
    with (
        certificate_client(sandbox.profile, VAULT) as kv,
        pytest.raises(HttpResponseError) as refused,
    ):
        create_certificate(kv)
    error = error_body(refused.value)
    assert (refused.value.status_code, error["code"], error["innererror"]) == (
        403,
        "Forbidden",
        {"code": "ForbiddenByRbac"},
    )
    assert error["message"].startswith("Caller is not authorized to perform action on resource.")
    assert "Action: 'Microsoft.KeyVault/vaults/certificates/create/action'" in error["message"]
    resource = (
        f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RG}/providers/microsoft.keyvault/vaults"
        f"/{VAULT}/certificates/t2t-cert"
    ).lower()
    assert f"Resource: '{resource}'" in error["message"]


@pytest.fixture(scope="module")
def owner_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A sandbox whose Fabrikam admin app is Owner of the subscription (may grant roles)."""
    directory = tmp_path_factory.mktemp("owner-sandbox")
    server = SandboxServer(directory / "state", seed=owner_seed(directory, ADMIN)).start()
    try:
        yield json.loads(Path(server.profile_path).read_text())
    finally:
        server.stop()


def test_an_rbac_vault_answers_to_the_role_assigned_at_its_scope(
    owner_sandbox: dict[str, Any],
) -> None:
    profile = owner_sandbox
    with arm_client(profile) as arm:
        put_resource_group(arm)
        vault = arm.vaults.begin_create_or_update(
            RG, VAULT, vault_body(FABRIKAM, rbac=True)
        ).result()
        officer = "a4417e6f-fecd-4de8-b567-7b0420556985"  # Key Vault Certificates Officer
        grant_role(arm, vault.id, "7f1e2d3c-4b5a-4c6d-8e7f-9a0b1c2d3e4f", officer, ADMIN_OID)
        [held] = [
            a
            for a in arm.send_request(
                HttpRequest(
                    "GET",
                    f"{vault.id}/providers/Microsoft.Authorization/roleAssignments"
                    f"?api-version=2022-04-01&$filter=principalId eq '{ADMIN_OID}'",
                )
            ).json()["value"]
            if a["properties"]["scope"] == vault.id
        ]
        assert held["properties"]["roleDefinitionId"].endswith(officer)
    with certificate_client(profile, VAULT) as kv:
        made = create_certificate(kv)
        assert kv.get_certificate("t2t-cert").id == made.id
        # the Certificates Officer role holds no secret data action
        secret = kv.send_request(HttpRequest("GET", f"/secrets/t2t-cert/{made.properties.version}"))
    assert secret.status_code == 403
    assert (
        "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"
        in secret.json()["error"]["message"]
    )
