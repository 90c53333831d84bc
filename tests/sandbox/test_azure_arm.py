"""The sandbox's Azure Resource Manager (issue 12) through the real azure-identity and
azure-mgmt-keyvault 14.1.0 over HTTPS: resource groups, vaults as a long-running PUT, access
policies, the RBAC default of the SDK's api-version, global vault names, soft delete, and
ARM's refusals (t2t/sandbox/azure/arm*.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.rest import HttpRequest

from t2t.sandbox.model import derived_guid
from t2t.sandbox.server import SandboxServer
from tests.conftest import SandboxHandle
from tests.sandbox.azure_helpers import (
    ADMIN_OID,
    FABRIKAM,
    READER,
    RG,
    RG_API,
    SUBSCRIPTION,
    arm_client,
    error_body,
    policy,
    put_resource_group,
    vault_body,
)

NO_ROLE = "998c92df-0521-4e3f-8f35-ff16f79a59ce"


def test_resource_group_vault_and_access_policy_through_azure_mgmt_keyvault(
    sandbox: SandboxHandle,
) -> None:
    with arm_client(sandbox.profile) as arm:
        assert put_resource_group(arm) == 201
        assert put_resource_group(arm) == 200  # create or update: not long-running
        before = sandbox.stats()["byOperation"]
        poller = arm.vaults.begin_create_or_update(
            RG,
            "fabrikam-t2t-kv",
            vault_body(FABRIKAM, [policy(FABRIKAM, ADMIN_OID, certificates=["get", "list"])]),
        )
        vault = poller.result()
        ops = sandbox.stats()["byOperation"]
        get_vault = (
            "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
            "/providers/Microsoft.KeyVault/vaults/{vaultName}"
        )
        # the poller asked again until provisioningState left RegisteringDns
        assert ops.get(get_vault, 0) - before.get(get_vault, 0) >= 1
        assert vault.id == (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}"
            "/providers/Microsoft.KeyVault/vaults/fabrikam-t2t-kv"
        )
        p = vault.properties
        assert (p.provisioning_state, p.vault_uri, p.tenant_id) == (
            "Succeeded",
            "https://fabrikam-t2t-kv.vault.azure.net/",
            FABRIKAM,
        )
        assert (p.enable_rbac_authorization, p.enable_soft_delete) == (False, True)
        assert p.soft_delete_retention_in_days == 90
        added = arm.vaults.update_access_policy(
            RG,
            "fabrikam-t2t-kv",
            "add",
            {
                "properties": {
                    "accessPolicies": [
                        policy(FABRIKAM, ADMIN_OID, certificates=["create"], secrets=["get"])
                    ]
                }
            },
        )
        assert added.id.endswith("/vaults/fabrikam-t2t-kv/accessPolicies/add")
        read = arm.vaults.get(RG.lower(), "FABRIKAM-T2T-KV")  # names are case-insensitive
        [entry] = read.properties.access_policies
        assert (entry.object_id, entry.tenant_id) == (ADMIN_OID, FABRIKAM)
        assert entry.permissions.certificates == ["get", "list", "create"]
        assert entry.permissions.secrets == ["get"]
        arm.vaults.update_access_policy(
            RG,
            "fabrikam-t2t-kv",
            "remove",
            {
                "properties": {
                    "accessPolicies": [
                        policy(
                            FABRIKAM,
                            ADMIN_OID,
                            certificates=["get", "list", "create"],
                            secrets=["get"],
                        )
                    ]
                }
            },
        )
        assert arm.vaults.get(RG, "fabrikam-t2t-kv").properties.access_policies == []
        patched = arm.vaults.update(
            RG, "fabrikam-t2t-kv", {"properties": {"enableRbacAuthorization": True}}
        )
        assert patched.properties.enable_rbac_authorization is True
    writes = sandbox.stats()["byKind"]["write"]
    assert writes == 6  # 2 groups, 1 vault, 2 policy changes, 1 patch: every GET a read


def test_rbac_is_the_default_of_the_sdks_api_version_and_not_of_older_ones(
    sandbox: SandboxHandle,
) -> None:
    """Learn, access-control-default: from api-version 2026-02-01 a create without
    enableRbacAuthorization makes an RBAC vault; azure-mgmt-keyvault 14.1.0 sends 2026-05-15."""
    with arm_client(sandbox.profile) as arm:
        put_resource_group(arm)
        new = arm.vaults.begin_create_or_update(
            RG, "kv-default-new", vault_body(FABRIKAM, rbac=None)
        )
        assert new.result().properties.enable_rbac_authorization is True
        # an update leaves the model as it is
        again = arm.vaults.begin_create_or_update(
            RG, "kv-default-new", vault_body(FABRIKAM, rbac=None)
        )
        assert again.result().properties.enable_rbac_authorization is True
    with arm_client(sandbox.profile, api_version="2025-05-01") as old:
        made = old.vaults.begin_create_or_update(
            RG, "kv-default-old", vault_body(FABRIKAM, rbac=None)
        )
        assert made.result().properties.enable_rbac_authorization is False


def test_vault_names_are_global_and_kept_by_a_soft_deleted_vault(sandbox: SandboxHandle) -> None:
    with arm_client(sandbox.profile) as arm:
        put_resource_group(arm)
        put_resource_group(arm, "OtherRG")
        arm.vaults.begin_create_or_update(RG, "fabrikam-t2t-kv", vault_body(FABRIKAM)).result()
        with pytest.raises(ResourceExistsError) as taken:
            arm.vaults.begin_create_or_update("OtherRG", "Fabrikam-T2T-KV", vault_body(FABRIKAM))
        error = error_body(taken.value)
        assert error["code"] == "VaultAlreadyExists"
        assert error["message"].startswith(
            "The vault name 'Fabrikam-T2T-KV' is already in use. Vault names are globally unique"
        )
        arm.vaults.delete(RG, "fabrikam-t2t-kv")
        with pytest.raises(ResourceNotFoundError):
            arm.vaults.get(RG, "fabrikam-t2t-kv")
        [deleted] = list(arm.vaults.list_deleted())
        assert (deleted.name, deleted.properties.vault_id.endswith("/fabrikam-t2t-kv")) == (
            "fabrikam-t2t-kv",
            True,
        )
        with pytest.raises(ResourceExistsError):  # soft delete keeps the name
            arm.vaults.begin_create_or_update("OtherRG", "fabrikam-t2t-kv", vault_body(FABRIKAM))
        arm.vaults.begin_purge_deleted("fabrikam-t2t-kv", "northeurope").result()
        moved = arm.vaults.begin_create_or_update(
            "OtherRG", "fabrikam-t2t-kv", vault_body(FABRIKAM)
        )
        assert moved.result().id.split("/")[4] == "OtherRG"
        with pytest.raises(HttpResponseError) as bad:
            arm.vaults.begin_create_or_update(RG, "9-not-a-name", vault_body(FABRIKAM))
        assert error_body(bad.value)["code"] == "VaultNameNotValid"


def test_without_a_role_arm_answers_authorization_failed(sandbox: SandboxHandle) -> None:
    """A Fabrikam app without any Azure role, and the plan identity (Reader) writing."""
    with arm_client(sandbox.profile) as admin:
        put_resource_group(admin)
    no_role_oid = derived_guid(FABRIKAM, "sp", NO_ROLE)
    with (
        arm_client(sandbox.profile, client_id=NO_ROLE) as arm,
        pytest.raises(HttpResponseError) as refused,
    ):
        arm.vaults.begin_create_or_update(RG, "kv-no-role", vault_body(FABRIKAM))
    assert refused.value.status_code == 403
    scope = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}"
        "/providers/Microsoft.KeyVault/vaults/kv-no-role"
    )
    assert error_body(refused.value) == {
        "code": "AuthorizationFailed",
        "message": f"The client '{no_role_oid}' with object id '{no_role_oid}' does not have "
        f"authorization to perform action 'Microsoft.KeyVault/vaults/write' over scope "
        f"'{scope}' or the scope is invalid. If access was recently granted, please refresh "
        "your credentials.",
    }
    with arm_client(sandbox.profile, client_id=READER) as reader:
        assert list(reader.vaults.list_by_resource_group(RG)) == []  # reading is allowed
        with pytest.raises(HttpResponseError) as write:
            put_resource_group(reader, "ReaderRG")
        assert error_body(write.value)["code"] == "AuthorizationFailed"
        assert (
            "'Microsoft.Resources/subscriptions/resourceGroups/write'"
            in error_body(write.value)["message"]
        )


def test_role_assignments_need_more_than_contributor(sandbox: SandboxHandle) -> None:
    with arm_client(sandbox.profile) as arm:
        put_resource_group(arm)
        request = HttpRequest(
            "PUT",
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Authorization"
            f"/roleAssignments/0e6f1c3a-3d4b-4f5a-9b8c-7d6e5f4a3b2c?api-version=2022-04-01",
            json={
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft."
                    "Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
                    "principalId": ADMIN_OID,
                }
            },
        )
        answer = arm.send_request(request)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "AuthorizationFailed"
    assert "'Microsoft.Authorization/roleAssignments/write'" in answer.json()["error"]["message"]


def test_unknown_subscription_and_another_tenants_subscription(sandbox: SandboxHandle) -> None:
    unknown = "00000000-1111-4222-8333-444444444444"
    with (
        arm_client(sandbox.profile, subscription=unknown) as arm,
        pytest.raises(ResourceNotFoundError) as missing,
    ):
        arm.vaults.get(RG, "anything")
    assert error_body(missing.value) == {
        "code": "SubscriptionNotFound",
        "message": "The subscription '00000000-1111-4222-8333-444444444444' could not be found.",
    }
    with (
        arm_client(sandbox.profile, tenant="contoso") as contoso,
        pytest.raises(ClientAuthenticationError) as foreign,
    ):
        contoso.vaults.get(RG, "anything")
    assert error_body(foreign.value)["code"] == "InvalidAuthenticationTokenTenant"
    assert (
        f"associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{FABRIKAM}'"
        in error_body(foreign.value)["message"]
    )


def test_arm_wants_a_bearer_for_its_audience_and_an_api_version(sandbox: SandboxHandle) -> None:
    url = (
        f"{sandbox.base_url}/subscriptions/{SUBSCRIPTION}/resourcegroups/{RG}?api-version={RG_API}"
    )
    bare = sandbox.http.get(url)
    assert (bare.status_code, bare.json()["error"]["code"]) == (401, "AuthenticationFailed")
    assert bare.headers["WWW-Authenticate"].startswith(
        'Bearer authorization_uri="https://login.windows.net/"'
    )
    graph_token = sandbox.token("fabrikam", "https://graph.microsoft.com/.default")
    wrong = sandbox.http.get(url, headers={"Authorization": f"Bearer {graph_token}"})
    assert wrong.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"
    arm_token = sandbox.token("fabrikam", "https://management.azure.com/.default")
    versionless = sandbox.http.get(
        url.split("?")[0], headers={"Authorization": f"Bearer {arm_token}"}
    )
    assert versionless.status_code == 400
    assert versionless.json()["error"] == {
        "code": "MissingApiVersionParameter",
        "message": "The api-version query parameter (?api-version=) is required for all requests.",
    }


def test_a_vault_survives_a_restart_in_an_owner_only_state_file(tmp_path: Path) -> None:
    state = tmp_path / "sandbox"
    with SandboxServer(state) as server:
        profile = json.loads(server.profile_path.read_text())
        with arm_client(profile) as arm:
            put_resource_group(arm)
            arm.vaults.begin_create_or_update(RG, "kv-restart", vault_body(FABRIKAM)).result()
    assert (state / "state.json").stat().st_mode & 0o077 == 0
    with SandboxServer(state) as server:
        profile = json.loads(server.profile_path.read_text())
        with arm_client(profile) as arm:
            again = arm.vaults.get(RG, "kv-restart")
    assert again.properties.vault_uri == "https://kv-restart.vault.azure.net/"


def test_a_vault_in_a_missing_resource_group_names_the_group(sandbox: SandboxHandle) -> None:
    """ARM answers a vault GET under a group that does not exist with ResourceGroupNotFound
    (Azure/azure-powershell #4067; terraform-provider-azurerm #15327), a missing vault in an
    existing group with ResourceNotFound: t2t's probe tells the two apart by that code."""
    with arm_client(sandbox.profile) as arm:
        with pytest.raises(ResourceNotFoundError) as no_group:
            arm.vaults.get("NoSuchRG", "fabrikam-t2t-kv")
        assert error_body(no_group.value) == {
            "code": "ResourceGroupNotFound",
            "message": "Resource group 'NoSuchRG' could not be found.",
        }
        assert put_resource_group(arm) == 201
        with pytest.raises(ResourceNotFoundError) as no_vault:
            arm.vaults.get(RG, "fabrikam-t2t-kv")
        assert error_body(no_vault.value)["code"] == "ResourceNotFound"
