"""Executors of the Key Vault certificate chain (keyVaultCertificate mode; planner/shared/
key_vault.py): `azure.resource_group.create`, `keyvault.vault.create`,
`keyvault.access.grant`, `keyvault.certificate.create`, `app.key_credential.add` and a
rotation's last step, `app.key_credential.remove`.

Each is one `replan()` handed to `common.converge`: re-read the object now (through the
target's Azure clients — azure-mgmt-resource, azure-mgmt-keyvault, azure-keyvault-certificates
— or Graph), plan it again from the action's desire with the planner's own function, and send
what that re-plan says; converge never sends twice and re-reads until the re-plan is empty.

Two writes take a while to show, and are waited for by re-reading rather than by the SDK's
pollers, so that the wait is the action's (its deadline, its progress line; waiting.py): a new
vault answers `provisioningState: RegisteringDns` until ARM has it (the PUT is sent with
`polling=False`), and a new certificate version is a pending operation until Key Vault has
made it. A re-plan that finds either under way sends nothing and waits for it.

The removal of an older version's key re-reads the endpoint (Get-MigrationEndpoint), the
certificate's versions and the app's keys, and removes only the keys the reviewed plan named
that are still older than the version the endpoint names now (planner/shared/key_vault/
retire.py): while the endpoint still names one of their versions — its move to the new version
failed, or someone pointed it back — it removes nothing and reports the action blocked, so the
endpoint never names a certificate whose key is gone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from t2t.apply.context import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, Held, Write, converge, read_app
from t2t.apply.executors.registry import executes
from t2t.apply.result import ActionResult
from t2t.clients import CmdletResult
from t2t.clients.azure import AzureClients
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.shared.app import AppDesire
from t2t.planner.shared.key_vault import (
    KEY_SIZE,
    VALIDITY_MONTHS,
    RetireDesire,
    StepDesire,
    VaultDesire,
    access_body,
    kept_key_credential,
    named_version,
    new_key_credential,
    pending,
    plan_access,
    plan_certificate,
    plan_key_credential,
    plan_resource_group,
    plan_vault,
    retirable,
    usable,
    vault_body,
)
from t2t.probes.endpoints import read_endpoints
from t2t.probes.key_vault import read_key_vault, read_vault_certificate
from t2t.state.azure import ResourceGroup, Vault, VaultCertificate
from t2t.state.directory import Application, KeyCredential

_T = TypeVar("_T")

#: ARM's provisioningState of a vault that is ready (VaultProvisioningState: Succeeded,
#: RegisteringDns).
READY = "succeeded"


def _azure(ctx: ApplyContext) -> AzureClients:
    azure = ctx.azure.get("target")
    if azure is None:
        raise ExecutionFailed("no Azure clients for the target tenant")
    return azure


def _step(action: Action, ctx: ApplyContext) -> tuple[AzureClients, AzureClients, VaultDesire]:
    """A chain step's target Azure clients (the writer and its reader) and its vault desire."""
    azure = _azure(ctx)
    return azure, azure.reader(), StepDesire.from_dict(action.desired).vault


def _named(value: _T | None, what: str) -> _T:
    """A part of the action's desire the step cannot run without."""
    if value is None:
        raise ExecutionFailed(f"the action names no {what}")
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _groups(reader: AzureClients, desire: VaultDesire) -> tuple[ResourceGroup, ...]:
    """The spec's resource group and vault as ARM shows them now."""
    fact = await read_key_vault(reader, desire.subscription_id, desire.resource_group, desire.name)
    if fact.status != "present":
        raise ExecutionFailed(f"cannot read the vault {desire.name}: {fact.reason}")
    return fact.get()


async def _vault(reader: AzureClients, desire: VaultDesire) -> Vault:
    """The spec's vault, which the chain created before this step."""
    vault = next((g.vault for g in await _groups(reader, desire) if g.vault is not None), None)
    if vault is None:
        raise ExecutionFailed(
            f"the vault {desire.name} does not exist in resource group {desire.resource_group}"
        )
    return vault


async def _certificate(
    reader: AzureClients, desire: VaultDesire, vault: Vault
) -> VaultCertificate | None:
    fact = await read_vault_certificate(reader, vault, desire.certificate_name)
    if fact.status != "present":
        raise ExecutionFailed(
            f"cannot read the certificate {desire.certificate_key}: {fact.reason}"
        )
    return next(iter(fact.get()), None)


def _write(what: str, azure: AzureClients, call: Callable[[], Any]) -> Write:
    """An SDK write sent once through the Azure clients (its answer is not a cmdlet's)."""

    async def send() -> CmdletResult | None:
        await azure.write(what, call)
        return None

    return Write(what, send)


def _wait(what: str) -> Write:
    """Nothing to send: something under way that converge's re-reads wait for."""

    async def send() -> CmdletResult | None:
        return None

    return Write(what, send, waiting=True)


@executes(K.RESOURCE_GROUP_CREATE)
async def run_resource_group(action: Action, ctx: ApplyContext) -> ActionResult:
    azure, reader, desire = _step(action, ctx)

    async def replan() -> Write | None:
        if plan_resource_group(desire, await _groups(reader, desire)) is None:
            return None
        groups = azure.resources(desire.subscription_id).resource_groups
        return _write(
            f"PUT resource group {desire.resource_group}",
            azure,
            lambda: groups.create_or_update(desire.resource_group, {"location": desire.location}),
        )

    return await converge(action, ctx, replan)


@executes(K.VAULT_CREATE)
async def run_vault(action: Action, ctx: ApplyContext) -> ActionResult:
    azure, reader, desire = _step(action, ctx)

    async def replan() -> Write | None:
        groups = await _groups(reader, desire)
        vault = next((g.vault for g in groups if g.vault is not None), None)
        if vault is not None:
            state = (vault.provisioning_state or READY).lower()
            return None if state == READY else _wait(f"the vault {desire.name} ({state})")
        if plan_vault(desire, groups) is None:  # pragma: no cover - no vault is a create
            return None
        if not groups:
            raise ExecutionFailed(f"the resource group {desire.resource_group} does not exist")
        body = vault_body(desire, await azure.own_object_id())
        vaults = azure.vaults(desire.subscription_id).vaults
        return _write(
            f"PUT vault {desire.name}",
            azure,
            lambda: vaults.begin_create_or_update(
                desire.resource_group, desire.name, body, polling=False
            ).result(),
        )

    return await converge(action, ctx, replan)


@executes(K.VAULT_ACCESS_GRANT)
async def run_access(action: Action, ctx: ApplyContext) -> ActionResult:
    azure, reader, desire = _step(action, ctx)
    exchange = _named(
        StepDesire.from_dict(action.desired).exchange_object_id,
        "service principal for Exchange Online",
    )

    async def replan() -> Write | None:
        outcome = plan_access(desire, await _vault(reader, desire), exchange)
        if outcome.blocked:
            raise ExecutionFailed("; ".join(f.message for f in outcome.findings))
        if outcome.action is None:
            return None
        vaults = azure.vaults(desire.subscription_id).vaults
        return _write(
            f"PUT vault {desire.name} accessPolicies/add",
            azure,
            lambda: vaults.update_access_policy(
                desire.resource_group, desire.name, "add", access_body(desire, exchange)
            ),
        )

    return await converge(action, ctx, replan)


def _policy(desire: VaultDesire) -> Any:
    """The certificate policy (azure-keyvault-certificates' CertificatePolicy): self-signed,
    the spec's subject, 12 months, RSA 2048, exportable, PKCS#12 (CONTENT_TYPE; the plan
    shows it as planner/shared/key_vault.py certificate_policy)."""
    from azure.keyvault.certificates import CertificateContentType, CertificatePolicy, KeyType

    return CertificatePolicy(
        issuer_name="Self",
        subject=desire.certificate_subject,
        validity_in_months=VALIDITY_MONTHS,
        key_type=KeyType.rsa,
        key_size=KEY_SIZE,
        exportable=True,
        content_type=CertificateContentType.pkcs12,
    )


@executes(K.CERTIFICATE_CREATE)
async def run_certificate(action: Action, ctx: ApplyContext) -> ActionResult:
    azure, reader, desire = _step(action, ctx)
    rotation = StepDesire.from_dict(action.desired).rotation  # done once it is replaced

    async def replan() -> Write | None:
        vault = await _vault(reader, desire)
        cert = await _certificate(reader, desire, vault)
        if plan_certificate(desire, cert, _now(), rotation).action is None:
            return None
        if pending(cert):
            return _wait(f"Key Vault to create {desire.certificate_key}")
        client = azure.certificates(vault.vault_uri)
        # begin_create_certificate sends the create and hands back the SDK's poller, left to
        # itself: converge's re-reads are the wait (the action's deadline and progress).
        return _write(
            f"create certificate {desire.certificate_key}",
            azure,
            lambda: client.begin_create_certificate(desire.certificate_name, _policy(desire)),
        )

    return await converge(action, ctx, replan)


def _patch_keys(
    ctx: ApplyContext,
    app: Application,
    kept: Iterable[KeyCredential],
    added: list[dict[str, Any]],
    note: str = "",
) -> Write:
    """PATCH the app's whole keyCredentials collection (Graph replaces it): the keys kept, as
    read with their key, and the added ones. A collection t2t could not read whole is never
    PATCHed (kept_key_credential raises)."""
    try:
        body = {"keyCredentials": [*(kept_key_credential(kc) for kc in kept), *added]}
    except ValueError as exc:
        raise ExecutionFailed(str(exc)) from exc
    graph = ctx.graph["target"]
    path = f"/applications/{app.object_id}"

    async def send() -> CmdletResult | None:
        await graph.write("PATCH", path, body)
        return None

    return Write(f"Graph PATCH {path} keyCredentials{note}", send)


async def _app_with_keys(ctx: ApplyContext, desire: AppDesire) -> Application:
    """The migration app now, with every keyCredential's key."""
    app = await read_app(ctx, desire, with_keys=True)
    if app is None:
        raise ExecutionFailed("the migration app is not in the target")
    return app


@executes(K.KEY_CREDENTIAL_ADD)
async def run_key_credential(action: Action, ctx: ApplyContext) -> ActionResult:
    _, reader, desire = _step(action, ctx)
    app_desire = _named(StepDesire.from_dict(action.desired).app, "migration app")

    async def replan() -> Write | None:
        cert = await _certificate(reader, desire, await _vault(reader, desire))
        current = cert.current if cert is not None else None
        if not usable(current, _now()):
            raise ExecutionFailed(f"the certificate {desire.certificate_key} has no usable version")
        assert current is not None
        app = await _app_with_keys(ctx, app_desire)
        planned = plan_key_credential(desire, app_desire, app, current, app_key=action.key)
        if planned.action is None:
            return None
        return _patch_keys(ctx, app, app.key_credentials, [new_key_credential(desire, current)])

    return await converge(action, ctx, replan)


@executes(K.KEY_CREDENTIAL_REMOVE)
async def run_key_credential_remove(action: Action, ctx: ApplyContext) -> ActionResult:
    azure = _azure(ctx)
    reader = azure.reader()
    retire = RetireDesire.from_dict(action.desired)
    desire, app_desire = retire.step.vault, _named(retire.step.app, "migration app")
    exchange = ctx.exchange["target"]

    async def replan() -> Write | None:
        app = await _app_with_keys(ctx, app_desire)
        planned = [kc for kc in app.key_credentials if kc.key_id in retire.remove]
        if not planned:
            return None
        fact = await read_endpoints(exchange.reader(), None)
        if fact.status != "present":
            raise ExecutionFailed(f"cannot read the endpoints: {fact.reason}")
        endpoints = fact.get()
        ours = next((e for e in endpoints if e.identity.lower() == retire.endpoint.lower()), None)
        names = named_version(desire, ours.app_secret_key_vault_url if ours else None)
        cert = await _certificate(reader, desire, await _vault(reader, desire))
        older = {
            kc.key_id for kc, _ in retirable(desire, app, cert, endpoints, retire.endpoint, names)
        }
        kept_back = [kc.key_id for kc in planned if kc.key_id not in older]
        if kept_back:
            shown = ours.app_secret_key_vault_url if ours else "nothing (no such endpoint)"
            raise Held(
                f"the endpoint {retire.endpoint!r} names {shown}: the key(s) "
                f"{', '.join(kept_back)} may still be in use and are kept until it names a "
                "newer version"
            )
        gone = {kc.key_id for kc in planned}
        kept = [kc for kc in app.key_credentials if kc.key_id not in gone]
        return _patch_keys(ctx, app, kept, [], f" (removing {len(gone)})")

    return await converge(action, ctx, replan)
