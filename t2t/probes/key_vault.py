"""The spec's resource group, vault and certificate (keyVaultCertificate mode), read through
azure-mgmt-keyvault and azure-keyvault-certificates, and their parsers (pure).

ARM: the vault's GET tells the three cases apart — the vault; 404 ResourceGroupNotFound (no
group); 404 ResourceNotFound (no vault; the group is then read too, azure-mgmt-resource's
Resource Groups - Get, so that the answer never rests on one code alone) — as ARM answers them
("Resolve errors for resource not found", learn.microsoft.com/azure/azure-resource-manager/
troubleshooting/error-not-found; a vault's GET in a missing group: Azure/azure-powershell
#4067, hashicorp/terraform-provider-azurerm #15327). Any other refusal (403 AuthorizationFailed,
404 SubscriptionNotFound, 503) leaves the part unknown, never absent.

Key Vault: the certificate's latest version (with its DER), its versions and its pending
operation. Only Key Vault's own codes mean "not there": 404 CertificateNotFound, and for the
pending operation 404 PendingCertificateNotFound ("Monitor and manage certificate creation",
learn.microsoft.com/azure/key-vault/certificates/create-certificate-scenarios); any other 404
(a wrong URL) and 403 (no access policy or role for t2t's identity) leave the part unknown.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from t2t.clients.azure import AzureClients
from t2t.clients.errors import AzureNotFound, ClientError
from t2t.state import Fact
from t2t.state.azure import (
    POLICY_OBJECT_TYPES,
    AccessPolicy,
    CertificateOperation,
    CertificateVersion,
    ResourceGroup,
    Vault,
    VaultCertificate,
)

#: ARM's codes for a 404 on a resource (error-not-found): the group, or the resource in it.
NO_RESOURCE_GROUP = "resourcegroupnotfound"
NO_RESOURCE = "resourcenotfound"
#: Key Vault's codes for a certificate, or a pending operation, that is not there.
NO_CERTIFICATE = "certificatenotfound"
NO_PENDING = "pendingcertificatenotfound"


def _absent(exc: AzureNotFound, code: str) -> None:
    """Return quietly when the 404 says `code`; raise it again otherwise."""
    if exc.code.lower() != code:
        raise exc


def _plain(value: Any) -> Any:
    """An SDK enum member as its wire value ("get"), anything else as it is."""
    return value.value if isinstance(value, Enum) else value


def _str(value: Any) -> str | None:
    value = _plain(value)
    return None if value is None else str(value)


def _permissions(values: Any) -> tuple[str, ...]:
    return tuple(sorted({str(_plain(v)).lower() for v in values or ()}))


def parse_access_policy(p: Mapping[str, Any]) -> AccessPolicy:
    """One `properties.accessPolicies` entry as ARM returns it."""
    permissions = p.get("permissions") or {}
    return AccessPolicy(
        tenant_id=str(p.get("tenantId") or "").lower(),
        object_id=str(p.get("objectId") or "").lower(),
        application_id=(_str(p.get("applicationId")) or "").lower() or None,
        **{t: _permissions(permissions.get(t)) for t in POLICY_OBJECT_TYPES},
    )


def parse_vault(v: Mapping[str, Any]) -> Vault:
    """`Microsoft.KeyVault/vaults` as ARM's GET returns it (or azure-mgmt's Vault model, which
    is a mapping of that JSON)."""
    props = v.get("properties") or {}
    acls = props.get("networkAcls") or {}
    soft_delete = props.get("enableSoftDelete")
    return Vault(
        id=str(v.get("id") or ""),
        name=str(v.get("name") or ""),
        location=str(v.get("location") or ""),
        vault_uri=str(props.get("vaultUri") or ""),
        tenant_id=str(props.get("tenantId") or "").lower(),
        enable_rbac_authorization=props.get("enableRbacAuthorization") is True,
        access_policies=tuple(parse_access_policy(p) for p in props.get("accessPolicies") or ()),
        provisioning_state=_str(props.get("provisioningState")),
        enable_soft_delete=soft_delete if isinstance(soft_delete, bool) else None,
        public_network_access=_str(props.get("publicNetworkAccess")),
        network_default_action=_str(acls.get("defaultAction")),
        network_bypass=_str(acls.get("bypass")),
    )


def _when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_certificate_properties(
    p: Any, cer: bytes | bytearray | None = None
) -> CertificateVersion:
    """azure-keyvault-certificates' CertificateProperties (and the DER, when read)."""
    thumbprint = p.x509_thumbprint
    return CertificateVersion(
        id=str(p.id or ""),
        version=str(p.version or ""),
        thumbprint=bytes(thumbprint).hex().upper() if thumbprint else None,
        enabled=p.enabled is not False,
        not_before=_when(p.not_before),
        expires=_when(p.expires_on),
        created=_when(p.created_on),
        cer=base64.b64encode(bytes(cer)).decode("ascii") if cer else None,
    )


def parse_certificate(c: Any) -> CertificateVersion | None:
    """A KeyVaultCertificate (GET /certificates/{name}[/{version}]): its version with the DER;
    None while it has no certificate yet (its creation still pending)."""
    if c.properties is None or not c.cer:
        return None
    return parse_certificate_properties(c.properties, c.cer)


def parse_operation(o: Any) -> CertificateOperation | None:
    """A CertificateOperation (GET /certificates/{name}/pending); None once completed."""
    status = str(o.status or "")
    if status.lower() == "completed":
        return None
    error = o.error
    return CertificateOperation(
        status=status,
        status_details=o.status_details,
        error_code=error.code if error is not None else None,
        error_message=error.message if error is not None else None,
    )


def _oldest_first(versions: Iterable[CertificateVersion]) -> tuple[CertificateVersion, ...]:
    return tuple(sorted(versions, key=lambda v: (v.created or "", v.version)))


async def read_key_vault(
    azure: AzureClients, subscription_id: str, resource_group: str, name: str
) -> Fact[tuple[ResourceGroup, ...]]:
    """The spec's resource group and vault: (), (group without the vault), (group, vault)."""
    where = f"vault {name} in resource group {resource_group} of subscription {subscription_id}"
    try:
        found = await azure.read(
            f"GET {where}", lambda: azure.vaults(subscription_id).vaults.get(resource_group, name)
        )
    except AzureNotFound as exc:
        code = exc.code.lower()
        if code == NO_RESOURCE_GROUP:
            return Fact.present(())
        if code != NO_RESOURCE:
            return Fact.unknown(f"{exc.code or 'HTTP 404'}: {exc.message}")
        return await _group_without_vault(azure, subscription_id, resource_group)
    except ClientError as exc:
        return Fact.unknown(str(exc))
    try:
        vault = parse_vault(found)
    except (ValueError, TypeError, AttributeError) as exc:
        return Fact.unknown(f"GET {where} returned an unreadable vault: {exc}")
    return Fact.present((ResourceGroup(subscription_id, resource_group, vault),))


async def _group_without_vault(
    azure: AzureClients, subscription_id: str, resource_group: str
) -> Fact[tuple[ResourceGroup, ...]]:
    """No vault there: the group itself, read (Resource Groups - Get) so that a vault's 404
    without ARM's group check still tells the two cases apart."""
    groups = azure.resources(subscription_id).resource_groups
    try:
        await azure.read(
            f"GET resource group {resource_group} of subscription {subscription_id}",
            lambda: groups.get(resource_group),
        )
    except AzureNotFound as exc:
        if exc.code.lower() == NO_RESOURCE_GROUP:
            return Fact.present(())
        return Fact.unknown(f"{exc.code or 'HTTP 404'}: {exc.message}")
    except ClientError as exc:
        return Fact.unknown(str(exc))
    return Fact.present((ResourceGroup(subscription_id, resource_group, None),))


async def read_vault_certificate(
    azure: AzureClients, vault: Vault, name: str
) -> Fact[tuple[VaultCertificate, ...]]:
    """The spec's certificate in the spec's vault: () when there is none."""
    client = azure.certificates(vault.vault_uri)
    where = f"certificate {name} in vault {vault.name}"
    try:
        try:
            bundle = await azure.read(f"GET {where}", lambda: client.get_certificate(name))
        except AzureNotFound as exc:
            _absent(exc, NO_CERTIFICATE)
            bundle = None
        try:
            operation = await azure.read(
                f"GET {where}: its pending operation",
                lambda: client.get_certificate_operation(name),
            )
        except AzureNotFound as exc:
            _absent(exc, NO_PENDING)
            operation = None
        if bundle is None and operation is None:
            return Fact.present(())
        listed = []
        if bundle is not None:  # none before its first version is issued
            listed = await azure.read(
                f"GET {where}: its versions",
                lambda: list(client.list_properties_of_certificate_versions(name)),
            )
        versions = _oldest_first(parse_certificate_properties(p) for p in listed)
        current = parse_certificate(bundle) if bundle is not None else None
        if current is None:  # the newest version is pending: the newest that is a certificate
            ready = [v for v in versions if v.thumbprint]
            if ready:
                latest = ready[-1].version
                current = parse_certificate(
                    await azure.read(
                        f"GET {where}, version {latest}",
                        lambda: client.get_certificate_version(name, latest),
                    )
                )
    except AzureNotFound as exc:  # a 404 Key Vault does not mean as "none", or a removal
        return Fact.unknown(f"{exc.code or 'HTTP 404'}: {exc.message}")
    except ClientError as exc:
        return Fact.unknown(str(exc))
    except (ValueError, TypeError, AttributeError) as exc:
        return Fact.unknown(f"{where}: an unreadable answer: {exc}")
    return Fact.present(
        (
            VaultCertificate(
                vault_name=vault.name,
                name=name,
                current=current,
                versions=versions,
                operation=parse_operation(operation) if operation is not None else None,
            ),
        )
    )
