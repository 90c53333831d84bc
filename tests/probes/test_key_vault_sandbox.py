"""The Key Vault parts against the sandbox over real HTTPS, through the real SDKs
(azure-identity, azure-mgmt-keyvault, azure-keyvault-certificates): present, absent at each
level (no resource group, no vault, no certificate), and unknown — never absent — when t2t's
identity has no Azure role, when the data plane refuses it, or when Azure stays unavailable.

The objects are made the way t2t's executors make them: the SDKs' own calls (the resource group
through the management client's pipeline: azure-mgmt-keyvault has no resource-group operation).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.core.rest import HttpRequest
from azure.keyvault.certificates import CertificatePolicy
from azure.mgmt.keyvault.models import (
    AccessPolicyEntry,
    Permissions,
    Sku,
    VaultCreateOrUpdateParameters,
    VaultProperties,
)

from t2t.clients import HttpLayer, TenantIdentity, connect, sandbox_hosts
from t2t.clients.azure import AzureClients
from t2t.probes import SOURCE_PARTS, TARGET_PARTS, ProbeRequest, read_snapshot, read_tenant
from t2t.render.snapshot import render_snapshot_json
from t2t.spec import load_spec
from t2t.state import Fact, Snapshot, TenantState
from t2t.state.azure import ResourceGroup
from t2t.state.load import snapshot_from_json
from tests.real_clients import identity_of

SPEC = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")
KV = SPEC.relationship.key_vault
assert KV is not None
TARGET = SPEC.target.tenant_id
PLAN_IDENTITY = "4a9c5e6f-7b8c-4d9e-8f01-2b3c4d5e6f70"  # the seed's Reader on the subscription
NO_ROLE = "998c92df-0521-4e3f-8f35-ff16f79a59ce"  # the seed's client with no Azure role
VAULT_URI = f"https://{KV.name}.vault.azure.net/"


def _identity(
    sandbox: Any, client_id: str | None = None, *, tenant_name: str = "fabrikam"
) -> TenantIdentity:
    return identity_of(sandbox.tenant(tenant_name), client_id)


def _azure(sandbox: Any, client_id: str | None = None, **kw: Any) -> AzureClients:
    return AzureClients(_identity(sandbox, client_id), sandbox_hosts(sandbox.profile), **kw)


def _object_id(azure: AzureClients) -> str:
    """t2t's own service principal in the target: the `oid` of its ARM token."""
    token = azure.credential().get_token("https://management.azure.com/.default").token
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["oid"])


def _run(azure: AzureClients, what: str, call: Callable[[], Any]) -> Any:
    return asyncio.run(azure.write(what, call))


def make_resource_group(azure: AzureClients) -> None:
    client = azure.vaults(KV.subscription_id)
    path = f"/subscriptions/{KV.subscription_id}/resourcegroups/{KV.resource_group}"
    request = HttpRequest(
        "PUT", f"{path}?api-version=2025-04-01", json={"location": KV.location, "tags": {}}
    )
    response = _run(azure, "PUT resource group", lambda: client.send_request(request))
    assert response.status_code in (200, 201), response.text()


def make_vault(azure: AzureClients, *, with_own_policy: bool = True) -> None:
    policies = []
    if with_own_policy:
        policies.append(
            AccessPolicyEntry(
                tenant_id=TARGET,
                object_id=_object_id(azure),
                permissions=Permissions(certificates=["get", "list", "create", "update"]),
            )
        )
    parameters = VaultCreateOrUpdateParameters(
        location=KV.location,
        properties=VaultProperties(
            tenant_id=TARGET,
            sku=Sku(family="A", name="standard"),
            access_policies=policies,
            enable_rbac_authorization=False,
        ),
    )
    vaults = azure.vaults(KV.subscription_id).vaults
    _run(
        azure,
        "PUT vault",
        lambda: vaults.begin_create_or_update(
            KV.resource_group, KV.name, parameters, polling_interval=0.05
        ).result(),
    )


def start_certificate(azure: AzureClients) -> None:
    client = azure.certificates(VAULT_URI)
    policy = CertificatePolicy(
        issuer_name="Self", subject=KV.certificate_subject, validity_in_months=12
    )
    _run(
        azure,
        "create certificate",
        lambda: client.begin_create_certificate(KV.certificate_name, policy, _polling_interval=0),
    )


def finish_pending_operations(sandbox: Any) -> None:
    """The sandbox completes a self-signed certificate a few of its clock's seconds later."""
    sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": 120}
    ).raise_for_status()


def started_certificate(sandbox: Any) -> None:
    """The spec's resource group and vault made by the admin, and its certificate's creation
    started (pending)."""
    admin = _azure(sandbox)
    make_resource_group(admin)
    make_vault(admin)
    start_certificate(admin)
    admin.close()


def issued_certificate(sandbox: Any) -> None:
    """The spec's resource group, vault and certificate, made by the admin and issued."""
    started_certificate(sandbox)
    finish_pending_operations(sandbox)


def read(sandbox: Any, azure: AzureClients | None = None) -> TenantState:
    """The target as `t2t show` reads it for the walkthrough's spec."""
    hosts = sandbox_hosts(sandbox.profile)
    azure = azure or _azure(sandbox)
    request = ProbeRequest(
        SPEC.source.tenant_id,
        TARGET,
        target_parts=TARGET_PARTS,
        app_id=SPEC.relationship.app.app_id,
        key_vault=KV,
    )

    async def go() -> TenantState:
        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            clients = connect(http, hosts, _identity(sandbox))
            try:
                return await read_tenant(
                    "target",
                    TARGET,
                    clients.exchange,
                    clients.graph,
                    parts=TARGET_PARTS,
                    request=request,
                    azure=azure,
                )
            finally:
                clients.close()

    try:
        return asyncio.run(go())
    finally:
        azure.close()


def test_no_resource_group(sandbox: Any) -> None:
    target = read(sandbox)
    assert (target.key_vault, target.vault_certificates) == (Fact.present(()), Fact.present(()))
    assert sandbox.stats()["writes"] == 0


def test_a_resource_group_without_the_vault(sandbox: Any) -> None:
    admin = _azure(sandbox)
    make_resource_group(admin)
    admin.close()
    target = read(sandbox)
    assert target.key_vault == Fact.present(
        (ResourceGroup(KV.subscription_id, KV.resource_group, None),)
    )
    assert target.vault_certificates == Fact.present(())


def test_a_vault_without_the_certificate(sandbox: Any) -> None:
    admin = _azure(sandbox)
    make_resource_group(admin)
    make_vault(admin)
    oid = _object_id(admin)
    admin.close()
    target = read(sandbox)
    assert target.key_vault is not None
    (group,) = target.key_vault.get()
    vault = group.vault
    assert vault is not None
    assert (vault.id.lower(), vault.name, vault.location, vault.vault_uri, vault.tenant_id) == (
        f"/subscriptions/{KV.subscription_id}/resourcegroups/{KV.resource_group}"
        f"/providers/microsoft.keyvault/vaults/{KV.name}".lower(),
        KV.name,
        KV.location,
        VAULT_URI,
        TARGET,
    )
    assert (vault.enable_rbac_authorization, vault.provisioning_state) == (False, "Succeeded")
    assert [(p.object_id, p.certificates, p.secrets) for p in vault.access_policies] == [
        (oid.lower(), ("create", "get", "list", "update"), ())
    ]
    assert target.vault_certificates == Fact.present(())


def test_the_certificate_pending_then_current(sandbox: Any) -> None:
    started_certificate(sandbox)
    pending = read(sandbox)
    assert pending.vault_certificates is not None
    (cert,) = pending.vault_certificates.get()
    assert (cert.vault_name, cert.name, cert.current) == (KV.name, KV.certificate_name, None)
    assert cert.operation is not None and cert.operation.status == "inProgress"

    finish_pending_operations(sandbox)
    done = read(sandbox)
    assert done.vault_certificates is not None
    (cert,) = done.vault_certificates.get()
    current = cert.current
    assert current is not None and cert.operation is None
    assert current.id == f"{VAULT_URI}certificates/{KV.certificate_name}/{current.version}"
    assert current.cer is not None
    der = base64.b64decode(current.cer)
    assert current.thumbprint == hashlib.sha1(der).hexdigest().upper()
    assert current.enabled and current.not_before and current.expires
    assert [v.id for v in cert.versions] == [current.id]
    assert [v.cer for v in cert.versions] == [None]


def test_no_azure_role_is_unknown_not_absent(sandbox: Any) -> None:
    admin = _azure(sandbox)
    make_resource_group(admin)
    make_vault(admin)
    admin.close()
    target = read(sandbox, _azure(sandbox, NO_ROLE, budget_seconds=1))
    assert target.key_vault is not None and target.key_vault.status == "unknown"
    assert "AuthorizationFailed" in (target.key_vault.reason or "")
    assert target.vault_certificates is not None
    assert target.vault_certificates.status == "unknown"


def test_a_reader_without_an_access_policy_sees_the_vault_not_the_certificate(
    sandbox: Any,
) -> None:
    issued_certificate(sandbox)
    target = read(sandbox, _azure(sandbox, PLAN_IDENTITY, budget_seconds=1))
    assert target.key_vault is not None and target.key_vault.status == "present"
    assert target.vault_certificates is not None
    assert target.vault_certificates.status == "unknown"
    assert "403" in (target.vault_certificates.reason or "")


@pytest.mark.parametrize("where", ["^/subscriptions/", "^/keyvault/"])
def test_azure_unavailable_is_unknown_not_absent(sandbox: Any, where: str) -> None:
    issued_certificate(sandbox)
    rule = {"kind": "error", "status": 503, "match": {"path": where}}
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()
    target = read(sandbox, _azure(sandbox, budget_seconds=0.5))
    assert target.vault_certificates is not None
    assert target.vault_certificates.status == "unknown"
    assert target.key_vault is not None
    assert target.key_vault.status == ("unknown" if where == "^/subscriptions/" else "present")


def test_the_apps_key_credentials_come_with_their_key(sandbox: Any) -> None:
    """Graph returns `key` only for one app's `$select=keyCredentials`: read that way in this
    mode, so the app's key can be compared with the vault's certificate."""
    issued_certificate(sandbox)
    cert = read(sandbox).vault_certificates
    assert cert is not None
    current = cert.get()[0].current
    assert current is not None and current.cer is not None
    graph_token = sandbox.token("fabrikam", "https://graph.microsoft.com/.default")
    apps = sandbox.http.get(
        f"{sandbox.base_url}/v1.0/applications",
        params={"$filter": f"appId eq '{SPEC.relationship.app.app_id}'"},
        headers={"Authorization": f"Bearer {graph_token}"},
    ).json()["value"]
    patched = sandbox.http.patch(
        f"{sandbox.base_url}/v1.0/applications/{apps[0]['id']}",
        json={
            "keyCredentials": [
                {
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                    "key": current.cer,
                    "displayName": KV.certificate_subject,
                }
            ]
        },
        headers={"Authorization": f"Bearer {graph_token}"},
    )
    assert patched.status_code == 204, patched.text
    target = read(sandbox)
    assert target.applications is not None
    (app,) = target.applications.get()
    assert [(k.thumbprint, k.key, k.type) for k in app.key_credentials] == [
        (current.thumbprint, current.cer, "AsymmetricX509Cert")
    ]


def test_show_json_round_trips_the_azure_parts(sandbox: Any) -> None:
    """What `t2t show --format json` writes for them reads back equal (t2t/state/load.py: the
    planner cases' loader)."""
    issued_certificate(sandbox)
    hosts = sandbox_hosts(sandbox.profile)
    request = ProbeRequest(
        SPEC.source.tenant_id,
        TARGET,
        source_parts=SOURCE_PARTS,
        target_parts=TARGET_PARTS,
        app_id=SPEC.relationship.app.app_id,
        key_vault=KV,
    )

    async def go() -> Snapshot:
        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            src = connect(http, hosts, _identity(sandbox, tenant_name="contoso"))
            tgt = connect(http, hosts, _identity(sandbox))
            try:
                return await read_snapshot(
                    request, (src.exchange, src.graph), (tgt.exchange, tgt.graph), azure=tgt.azure
                )
            finally:
                src.close()
                tgt.close()

    snapshot = asyncio.run(go())
    assert snapshot.unknowns() == []
    assert snapshot.source.key_vault is None  # target only
    assert snapshot.target.key_vault is not None and snapshot.target.key_vault.get()
    assert snapshot.target.vault_certificates is not None
    assert snapshot.target.vault_certificates.get()[0].current is not None
    assert snapshot_from_json(render_snapshot_json(snapshot)) == snapshot
