"""The real Azure SDK clients pointed at a sandbox, as t2t's clients will point them (not a
test module): azure-identity's ClientSecretCredential with the sandbox as authority,
azure-mgmt-keyvault's KeyVaultManagementClient with ``base_url`` = the profile's ``arm``, and
azure-keyvault-certificates' CertificateClient at the profile's ``keyVault`` template with
``verify_challenge_resource=False`` (wire-protocols.md §3.5, §4, §5). The CA is passed to
each client, never through the environment (DESIGN.md, "The sandbox")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import yaml
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy, KeyVaultCertificate
from azure.mgmt.keyvault import KeyVaultManagementClient

from t2t.sandbox.model import derived_guid
from t2t.sandbox.seed import load_seed

SUBSCRIPTION = "3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d"
RG = "CrossTenantMoveRG"
VAULT = "fabrikam-t2t-kv"
LOCATION = "northeurope"
RG_API = "2025-04-01"
"""The api-version azure-mgmt-resource 26.0.0 sends for resource groups (wire-protocols.md §4)."""
FABRIKAM = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
"""The default seed's Fabrikam: the tenant its subscription trusts."""
ADMIN = "1d6f2b3c-4d5e-4f60-9b7c-8d9e0f1a2b3c"
"""Fabrikam's admin app, Contributor on the subscription in the default seed."""
READER = "4a9c5e6f-7b8c-4d9e-8f01-2b3c4d5e6f70"
"""A Fabrikam client with Reader on the subscription in the default seed."""
ADMIN_OID = derived_guid(FABRIKAM, "sp", ADMIN)
"""The admin app's service principal in Fabrikam: its token's ``oid``."""


def error_body(exc: HttpResponseError) -> dict[str, Any]:
    """ARM's or Key Vault's ``error`` object (code, message) of a refusal the SDK raised."""
    assert exc.response is not None
    body: dict[str, Any] = exc.response.json()["error"]
    return body


def client_of(profile: dict[str, Any], tenant: str, client_id: str | None = None) -> dict[str, Any]:
    t = next(x for x in profile["tenants"] if x["name"] == tenant)
    if client_id is None or client_id == t["adminApp"]["clientId"]:
        return {"tenantId": t["tenantId"], **t["adminApp"]}
    c = next(x for x in t["clients"] if x["clientId"] == client_id)
    return {"tenantId": t["tenantId"], **c}


def credential(
    profile: dict[str, Any], tenant: str, client_id: str | None = None
) -> ClientSecretCredential:
    c = client_of(profile, tenant, client_id)
    return ClientSecretCredential(
        c["tenantId"],
        c["clientId"],
        c["clientSecret"],
        authority=profile["endpoints"]["login"],
        disable_instance_discovery=True,
        connection_verify=profile["caFile"],
    )


@contextmanager
def arm_client(
    profile: dict[str, Any],
    tenant: str = "fabrikam",
    client_id: str | None = None,
    subscription: str = SUBSCRIPTION,
    **kwargs: Any,
) -> Iterator[KeyVaultManagementClient]:
    with (
        closing(credential(profile, tenant, client_id)) as cred,
        closing(
            KeyVaultManagementClient(
                cred,
                subscription,
                base_url=profile["endpoints"]["arm"],
                connection_verify=profile["caFile"],
                **kwargs,
            )
        ) as client,
    ):
        yield client


@contextmanager
def certificate_client(
    profile: dict[str, Any], vault: str, tenant: str = "fabrikam", client_id: str | None = None
) -> Iterator[CertificateClient]:
    with (
        closing(credential(profile, tenant, client_id)) as cred,
        closing(
            CertificateClient(
                profile["endpoints"]["keyVault"].replace("{name}", vault),
                cred,
                verify_challenge_resource=False,
                connection_verify=profile["caFile"],
            )
        ) as client,
    ):
        yield client


def put_resource_group(arm: KeyVaultManagementClient, name: str = RG) -> int:
    """PUT /subscriptions/{sub}/resourcegroups/{rg} through the SDK's own pipeline
    (azure-mgmt-keyvault has no resource-group operation); returns the status."""
    request = HttpRequest(
        "PUT",
        f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{name}?api-version={RG_API}",
        json={"location": LOCATION},
    )
    response = arm.send_request(request)
    response.raise_for_status()
    return response.status_code


def vault_body(
    tenant_id: str, policies: list[dict[str, Any]] | None = None, *, rbac: bool | None = False
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "tenantId": tenant_id,
        "sku": {"family": "A", "name": "standard"},
        "accessPolicies": policies or [],
    }
    if rbac is not None:
        props["enableRbacAuthorization"] = rbac
    return {"location": LOCATION, "properties": props}


def policy(tenant_id: str, object_id: str, **permissions: list[str]) -> dict[str, Any]:
    return {"tenantId": tenant_id, "objectId": object_id, "permissions": permissions}


def create_certificate(
    client: CertificateClient,
    name: str = "t2t-cert",
    subject: str = "CN=admin_fabrikam",
    *,
    skip_wait: Callable[[], None] | None = None,
) -> KeyVaultCertificate:
    """begin_create_certificate and wait: the poller asks every 5 s (the SDK's default), the
    sandbox completes a self-signed certificate after 3 sandbox seconds. With ``skip_wait``
    (moving the sandbox clock past them) the poller asks every 0.2 s instead (the SDK's
    ``_polling_interval`` keyword), so the test does not wait out the SDK's interval."""
    fast: dict[str, Any] = {"_polling_interval": 0.2} if skip_wait is not None else {}
    poller = client.begin_create_certificate(
        name, CertificatePolicy(issuer_name="Self", subject=subject, validity_in_months=12), **fast
    )
    if skip_wait is not None:
        skip_wait()
    result = poller.result()
    assert isinstance(result, KeyVaultCertificate), result
    return result


def owner_seed(directory: Path, admin_client_id: str) -> Path:
    """The default seed with Fabrikam's admin app Owner of the subscription (it may grant Azure
    roles, which Contributor may not), written to ``directory/seed.yaml``."""
    seed = load_seed().model_dump(mode="json", exclude_defaults=True)
    fabrikam = next(t for t in seed["tenants"] if t["name"] == "fabrikam")
    for assignment in fabrikam["azure"]["roleAssignments"]:
        if assignment["principal"] == admin_client_id:
            assignment["role"] = "Owner"
    path = directory / "seed.yaml"
    path.write_text(yaml.safe_dump(seed))
    return path


def grant_role(
    arm: KeyVaultManagementClient, scope: str, name: str, role_id: str, principal_id: str
) -> None:
    """PUT a role assignment at ``scope`` through the SDK's pipeline (Role Assignments -
    Create); ``name`` is the assignment's GUID."""
    response = arm.send_request(
        HttpRequest(
            "PUT",
            f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
            "?api-version=2022-04-01",
            json={
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft."
                    f"Authorization/roleDefinitions/{role_id}",
                    "principalId": principal_id,
                    "principalType": "ServicePrincipal",
                }
            },
        )
    )
    assert response.status_code == 201, response.text()


def admin_vault(profile: dict[str, Any], **permissions: list[str]) -> None:
    """The resource group and the spec's access-policy vault granting t2t's admin
    ``permissions`` (e.g. certificates=[...], secrets=[...])."""
    with arm_client(profile) as arm:
        put_resource_group(arm)
        body = vault_body(FABRIKAM, [policy(FABRIKAM, ADMIN_OID, **permissions)])
        arm.vaults.begin_create_or_update(RG, VAULT, body).result()
