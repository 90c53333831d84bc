"""The migration app's Key Vault certificate (`credential: keyVaultCertificate`): the chain
resource group → vault → Exchange Online's access → certificate → its public key on the app,
which the endpoint's -AppSecretKeyVaultUrl then names (microsoft-t2t.md §3.2).

Microsoft's own steps are the walkthrough script's (microsoft/cross-tenant
SetupCrossTenantRelationshipForTargetTenant.ps1, Create-KeyVaultAndGenerateCertificate and
Create-Application): get-or-create the resource group and the vault; `Set-AzKeyVaultAccessPolicy
-ObjectId <Office 365 Exchange Online's service principal in the target> -PermissionsToSecrets
get,list -PermissionsToCertificates get,list`; `New-AzKeyVaultCertificatePolicy -SubjectName
<subject> -IssuerName Self -ValidityInMonths 12` and `Add-AzKeyVaultCertificate`, then wait for
it; the certificate's public part on the app as a keyCredential (AsymmetricX509Cert, Verify)
ending within the certificate's validity (its first version passed the certificate's expiry and
Graph refused it: "Key credential end date is invalid").

t2t creates its vault with access policies, not Azure RBAC (`enableRbacAuthorization: false`,
the script's model, which Microsoft's verifier checks: "the EXO SP has get, list on
certificates and secrets", VerifySetupDeprecated.ps1), with one policy for t2t's own identity
(certificates get, list, create, update) so that it can create and read the certificate.

Each object is planned by one pure function that plan and apply share (apply re-reads that
object and plans it again from the action's desire: t2t/apply/executors/key_vault.py);
`plan_key_vault` chains them for one plan. Nothing is planned in clientSecret mode.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.domain import action_id, present
from t2t.planner.shared.app import EXCHANGE_APP_ID, KNOWN_AFTER_APPLY, AppDesire
from t2t.state import fingerprint
from t2t.state.azure import (
    CertificateVersion,
    ResourceGroup,
    Vault,
    VaultCertificate,
)
from t2t.state.directory import Application, KeyCredential

if TYPE_CHECKING:
    from t2t.planner.shared.app import AppResolution
    from t2t.spec import Desired
    from t2t.state import Snapshot

#: What the vault access policy gives Office 365 Exchange Online's service principal: the
#: script's `-PermissionsToSecrets get,list -PermissionsToCertificates get,list`.
EXCHANGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "secrets": ("get", "list"),
    "certificates": ("get", "list"),
}
#: What t2t's own identity gets on the vault it creates: read and create the certificate.
OWN_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "certificates": ("create", "get", "list", "update"),
}
#: The access policy's objectId for t2t itself: its token's `oid`, read by apply.
OWN_IDENTITY = "(t2t's own identity: the object id in its token, read at apply)"
#: The certificate policy: the script's (self-signed, 12 months) with the key Key Vault's
#: default self-signed policy has (RSA 2048, exportable: Exchange reads the private key through
#: the certificate's secret).
VALIDITY_MONTHS = 12
KEY_TYPE = "RSA"
KEY_SIZE = 2048
CONTENT_TYPE = "application/x-pkcs12"
#: How long before its expiry the certificate counts as expiring (Entra's horizon for
#: application credentials, as the endpoint's secret: planner/endpoint.py EXPIRY_MARGIN).
EXPIRY_WARNING = dt.timedelta(days=30)
#: displayName of the keyCredentials t2t adds, so that they can be told from the app's others.
KEY_MARKER_PREFIX = "t2t:keyvault:"
#: What a key credential's certificate is shown as before the certificate exists.
NEW_CERTIFICATE = "(the vault certificate's public key, read at apply)"

_WHO = "Office 365 Exchange Online"

register(
    CheckDef(
        "T2T-E238",
        "key-vault-unreadable-by-exchange",
        "error",
        "Office 365 Exchange Online's service principal in the target may not read the "
        "certificate and its secret in the vault (no access policy with secrets get, list and "
        "certificates get, list; or the vault authenticates another tenant)",
        "New-MigrationEndpoint / Set-MigrationEndpoint -AppSecretKeyVaultUrl refused, then "
        "every move fails to sign in to the source: MigrationServerConnectionFailedException "
        "(Exchange cannot get the app's certificate from the vault)",
        "t2t adds the access policy (ARM accessPolicies/add: secrets get, list; certificates "
        "get, list). A vault of another tenant, or a target without Exchange Online's service "
        "principal, is fixed by hand.",
        "microsoft/cross-tenant SetupCrossTenantRelationshipForTargetTenant.ps1 "
        "(Set-AzKeyVaultAccessPolicy -ObjectId <EXO service principal> -PermissionsToSecrets "
        "get,list -PermissionsToCertificates get,list); VerifySetupDeprecated.ps1; "
        "microsoft-t2t.md §3.2, §10.1",
    ),
    CheckDef(
        "T2T-W239",
        "key-vault-rbac-not-verified",
        "warning",
        "The vault uses Azure RBAC (enableRbacAuthorization): its access policies are ignored, "
        "and t2t cannot see whether Exchange Online holds a role that reads the certificate",
        "the same as T2T-E238 when Exchange Online holds no such role",
        "Assign Office 365 Exchange Online's service principal (appId "
        "00000002-0000-0ff1-ce00-000000000000) the Key Vault Secrets User and Key Vault "
        "Certificate User roles on the vault, or use a vault with access policies (t2t creates "
        "one when the spec's vault does not exist).",
        "Microsoft Learn, Azure Key Vault 'Azure RBAC for Key Vault data plane operations' "
        "(access policies are not evaluated on an RBAC vault); microsoft-t2t.md §3.2",
    ),
    CheckDef(
        "T2T-E240",
        "key-vault-certificate-expired",
        "error",
        "The vault certificate's current version has expired or is disabled",
        "every move fails to sign in to the source with the endpoint's certificate: "
        "MigrationServerConnectionFailedException … AADSTS700027 (the client assertion's "
        "certificate is expired or not registered on the application)",
        "t2t creates a new version of the certificate (the same policy), puts its public key "
        "on the app beside the old one and points the endpoint at it.",
        "Key Vault certificate attributes exp / enabled; Entra error AADSTS700027; "
        "microsoft-t2t.md §3.2",
    ),
    CheckDef(
        "T2T-W241",
        "key-vault-certificate-expiring",
        "warning",
        "The vault certificate's current version expires within 30 days",
        "from its expiry on, every move fails to sign in to the source (as T2T-E240)",
        "Create a new version before then (Add-AzKeyVaultCertificate -VaultName <vault> -Name "
        "<certificate> with its policy, or the portal's 'New Version'); the next t2t apply puts "
        "its key on the app and points the endpoint at it.",
        "Entra recommendation applicationCredentialExpiry ('expiring within the next 30 "
        "days'); Key Vault certificate attribute exp",
    ),
    CheckDef(
        "T2T-E242",
        "key-vault-certificate-not-on-app",
        "error",
        "The migration app's keyCredentials lack the vault certificate's current version "
        "(Exchange signs in as the app with that certificate)",
        "every move fails to sign in to the source: MigrationServerConnectionFailedException "
        "… AADSTS700027: The certificate with identifier used to sign the client assertion is "
        "not registered on application. [Reason - The key was not found.]",
        "t2t adds the certificate's public key to the app's keyCredentials (Graph PATCH "
        "/applications/{id}, every existing key kept), ending when the certificate ends.",
        "Graph keyCredential resource type and 'Add a certificate to an app using Microsoft "
        "Graph'; Entra error AADSTS700027 (Microsoft Q&A 'AADSTS700027 error'); "
        "SetupCrossTenantRelationshipForTargetTenant.ps1 Create-Application",
    ),
    scope="organization",
)


def _utc(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class VaultDesire:
    """The spec's vault and certificate, in the target tenant: carried in every action of the
    chain so that apply plans the object again from it."""

    subscription_id: str
    resource_group: str
    name: str
    location: str
    tenant_id: str
    certificate_name: str
    certificate_subject: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VaultDesire:
        return cls(**{k: str(data[k]) for k in cls.__dataclass_fields__})

    @property
    def certificate_key(self) -> str:
        return f"{self.name}/{self.certificate_name}"

    @property
    def key_marker(self) -> str:
        """The displayName of the keyCredential t2t adds for this certificate."""
        return f"{KEY_MARKER_PREFIX}{self.certificate_key}"

    @property
    def where(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/"
            f"providers/Microsoft.KeyVault/vaults/{self.name}"
        )


@dataclass(frozen=True)
class StepDesire:
    """What one action of the chain is planned again from at apply: the vault, and for the
    access grant Exchange Online's service principal, for the key credential the app."""

    vault: VaultDesire
    exchange_object_id: str | None = None
    app: AppDesire | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"vault": self.vault.to_dict()}
        if self.exchange_object_id is not None:
            data["exchange_object_id"] = self.exchange_object_id
        if self.app is not None:
            data["app"] = self.app.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepDesire:
        exchange = data.get("exchange_object_id")
        return cls(
            vault=VaultDesire.from_dict(data["vault"]),
            exchange_object_id=str(exchange) if exchange is not None else None,
            app=AppDesire.from_dict(data["app"]) if data.get("app") else None,
        )


def vault_desire(desired: Desired) -> VaultDesire | None:
    """The spec's vault in keyVaultCertificate mode; None in clientSecret mode."""
    rel = desired.relationship
    kv = rel.key_vault
    if rel.credential != "keyVaultCertificate" or kv is None:
        return None
    return VaultDesire(
        subscription_id=kv.subscription_id.lower(),
        resource_group=kv.resource_group,
        name=kv.name.lower(),
        location=kv.location,
        tenant_id=desired.target.tenant_id.lower(),
        certificate_name=kv.certificate_name,
        certificate_subject=kv.certificate_subject,
    )


def _action(
    kind: K.ActionKind,
    key: str,
    *,
    cmdlet: str,
    parameters: dict[str, Any],
    changes: list[Change],
    desired: dict[str, Any],
    observed: Any,
    summary: str,
    operation: str = "create",
) -> Action:
    return Action.model_validate(
        {
            "id": action_id("target", kind.name, key),
            "tenant": "target",
            "kind": kind.name,
            "key": key,
            "operation": operation,
            "cmdlet": cmdlet,
            "parameters": parameters,
            "changes": changes,
            "desired": desired,
            "observed": observed,
            "fingerprint": fingerprint(observed),
            "summary": summary,
        }
    )


# --- the resource group and the vault (ARM) ------------------------------------------------


def plan_resource_group(desire: VaultDesire, groups: tuple[ResourceGroup, ...]) -> Action | None:
    """`azure.resource_group.create` when the spec's resource group does not exist."""
    if groups:
        return None
    return _action(
        K.RESOURCE_GROUP_CREATE,
        desire.resource_group,
        cmdlet=f"ARM PUT /subscriptions/{desire.subscription_id}/resourcegroups/"
        f"{desire.resource_group}",
        parameters={"location": desire.location},
        changes=[
            Change(field="resourceGroup", after=desire.resource_group),
            Change(field="location", after=desire.location),
        ],
        desired=StepDesire(desire).to_dict(),
        observed=None,
        summary=f"create the resource group {desire.resource_group!r} in subscription "
        f"{desire.subscription_id}",
    )


def vault_body(desire: VaultDesire, own_object_id: str) -> dict[str, Any]:
    """The vault's PUT body (VaultCreateOrUpdateParameters): access policies, not RBAC."""
    return {
        "location": desire.location,
        "properties": {
            "tenantId": desire.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "enableRbacAuthorization": False,
            "accessPolicies": [
                {
                    "tenantId": desire.tenant_id,
                    "objectId": own_object_id,
                    "permissions": {k: list(v) for k, v in OWN_PERMISSIONS.items()},
                }
            ],
        },
    }


def plan_vault(desire: VaultDesire, groups: tuple[ResourceGroup, ...]) -> Action | None:
    """`keyvault.vault.create` when the spec's vault is not in its resource group."""
    if any(g.vault is not None for g in groups):
        return None
    body = vault_body(desire, OWN_IDENTITY)
    return _action(
        K.VAULT_CREATE,
        desire.name,
        cmdlet=f"ARM PUT {desire.where}",
        parameters=body,
        changes=[
            Change(field="vault", after=desire.name),
            Change(field="enableRbacAuthorization", after=False),
            Change(
                field="accessPolicies",
                after=[
                    f"{OWN_IDENTITY}: certificates {', '.join(OWN_PERMISSIONS['certificates'])}"
                ],
            ),
        ],
        desired=StepDesire(desire).to_dict(),
        observed={"resourceGroup": asdict(groups[0]) if groups else None},
        summary=f"create the key vault {desire.name!r} (access policies, not Azure RBAC)",
    )


# --- Exchange Online's access to the vault ---------------------------------------------------


def missing_access(vault: Vault, object_id: str) -> dict[str, tuple[str, ...]]:
    """The permissions Exchange Online lacks on the vault (per object type; empty: none)."""
    policies = vault.policies_of(object_id)
    out: dict[str, tuple[str, ...]] = {}
    for object_type, wanted in EXCHANGE_PERMISSIONS.items():
        lacking = tuple(p for p in wanted if not any(x.allows(object_type, p) for x in policies))
        if lacking:
            out[object_type] = lacking
    return out


@dataclass
class AccessOutcome:
    action: Action | None = None
    findings: list[Finding] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    """Codes that leave Exchange unable to read the vault whatever apply does."""


def access_body(desire: VaultDesire, object_id: str) -> dict[str, Any]:
    """The access policy for Exchange Online (VaultAccessPolicyParameters, operation add)."""
    return {
        "properties": {
            "accessPolicies": [
                {
                    "tenantId": desire.tenant_id,
                    "objectId": object_id,
                    "permissions": {k: list(v) for k, v in EXCHANGE_PERMISSIONS.items()},
                }
            ]
        }
    }


def plan_access(
    desire: VaultDesire, vault: Vault | None, exchange_object_id: str | None
) -> AccessOutcome:
    """Office 365 Exchange Online may read the certificate and its secret (E238, W239).
    ``vault`` None: the vault is created by this plan (with no policy for Exchange yet)."""
    out = AccessOutcome()
    obj = desire.name
    if exchange_object_id is None:
        out.findings.append(
            finding(
                "T2T-E238",
                "target",
                obj,
                f"the target has no service principal for {_WHO} ({EXCHANGE_APP_ID})",
                fixed_by_plan=False,
            )
        )
        out.blocked.append("T2T-E238")
        return out
    if vault is not None and vault.tenant_id and vault.tenant_id != desire.tenant_id:
        out.findings.append(
            finding(
                "T2T-E238",
                "target",
                obj,
                f"the vault authenticates tenant {vault.tenant_id}, not the target "
                f"{desire.tenant_id}",
                fixed_by_plan=False,
            )
        )
        out.blocked.append("T2T-E238")
        return out
    if vault is not None and vault.enable_rbac_authorization:
        out.findings.append(
            finding(
                "T2T-W239",
                "target",
                obj,
                "the vault uses Azure RBAC; t2t reads no role assignments",
                fixed_by_plan=False,
            )
        )
        return out
    lacking = (
        missing_access(vault, exchange_object_id)
        if vault is not None
        else dict(EXCHANGE_PERMISSIONS)
    )
    if not lacking:
        return out
    if vault is not None:
        what = "; ".join(f"{t} {', '.join(p)}" for t, p in lacking.items())
        out.findings.append(
            finding(
                "T2T-E238",
                "target",
                obj,
                f"{_WHO} ({exchange_object_id}) lacks {what}",
                fixed_by_plan=True,
            )
        )
    held = vault.policies_of(exchange_object_id) if vault is not None else ()
    before = {t: sorted({p for x in held for p in getattr(x, t)}) for t in EXCHANGE_PERMISSIONS}
    out.action = _action(
        K.VAULT_ACCESS_GRANT,
        f"{desire.name}/{EXCHANGE_APP_ID}",
        cmdlet=f"ARM PUT {desire.where}/accessPolicies/add",
        parameters=access_body(desire, exchange_object_id),
        changes=[
            Change(
                field=f"accessPolicies[{_WHO}].{t}",
                before=before[t],
                after=sorted(set(before[t]) | set(EXCHANGE_PERMISSIONS[t])),
            )
            for t in EXCHANGE_PERMISSIONS
            if t in lacking
        ],
        desired=StepDesire(desire, exchange_object_id=exchange_object_id).to_dict(),
        observed={"accessPolicies": [asdict(p) for p in held]} if vault is not None else None,
        summary=f"let {_WHO} read the certificate and its secret in {desire.name!r}",
        operation="update" if vault is not None else "create",
    )
    return out


# --- the certificate (Key Vault data plane) ---------------------------------------------------


def certificate_policy(desire: VaultDesire) -> dict[str, Any]:
    """The certificate policy, as the plan shows it (the executor builds the SDK's)."""
    return {
        "issuer": "Self",
        "subject": desire.certificate_subject,
        "validityInMonths": VALIDITY_MONTHS,
        "keyType": KEY_TYPE,
        "keySize": KEY_SIZE,
        "exportable": True,
        "contentType": CONTENT_TYPE,
    }


def usable(version: CertificateVersion | None, now: dt.datetime | None) -> bool:
    """A version Exchange can sign in with: enabled, with a certificate, not expired."""
    if version is None or not version.enabled or not version.cer:
        return False
    return not (now is not None and version.expires and _utc(version.expires) <= now)


def pending(cert: VaultCertificate | None) -> bool:
    """A create operation is under way (t2t waits for it, never sends another)."""
    return (
        cert is not None
        and cert.operation is not None
        and cert.operation.status.lower() == "inprogress"
    )


@dataclass
class CertificateOutcome:
    action: Action | None = None
    findings: list[Finding] = field(default_factory=list)


def plan_certificate(
    desire: VaultDesire, cert: VaultCertificate | None, now: dt.datetime | None
) -> CertificateOutcome:
    """`keyvault.certificate.create` when the certificate has no usable current version (none
    yet, expired: E240, disabled: E240); W241 when it expires within `EXPIRY_WARNING`. A
    creation under way is waited for, not sent again."""
    out = CertificateOutcome()
    current = cert.current if cert is not None else None
    obj = desire.certificate_key
    if usable(current, now):
        assert current is not None
        if now is not None and current.expires and _utc(current.expires) <= now + EXPIRY_WARNING:
            out.findings.append(
                finding(
                    "T2T-W241",
                    "target",
                    obj,
                    f"version {current.version} expires {current.expires}",
                    fixed_by_plan=False,
                )
            )
        return out
    changes: list[Change] = []
    if current is not None:
        why = "is disabled" if not current.enabled else f"expired {current.expires}"
        out.findings.append(
            finding(
                "T2T-E240", "target", obj, f"version {current.version} {why}", fixed_by_plan=True
            )
        )
        changes.append(
            Change(field="current version", before=current.version, after=KNOWN_AFTER_APPLY)
        )
    elif cert is not None and cert.operation is not None and not pending(cert):
        detail = cert.operation.error_message or cert.operation.status_details or ""
        changes.append(
            Change(
                field="previous creation",
                before=f"{cert.operation.status}{': ' + detail if detail else ''}",
            )
        )
    waiting = pending(cert)
    if waiting:
        changes.append(Change(field="pending operation", before="inProgress", after="completed"))
    else:
        changes.append(
            Change(
                field="certificate",
                after=f"{desire.certificate_subject}, self-signed, {VALIDITY_MONTHS} months",
            )
        )
    observed = asdict(cert) if cert is not None else None
    if observed is not None and observed.get("current"):
        observed["current"].pop("cer", None)  # the DER: in the fingerprint only as the thumbprint
    out.action = _action(
        K.CERTIFICATE_CREATE,
        desire.certificate_key,
        cmdlet=f"Key Vault POST https://{desire.name}.vault.azure.net/certificates/"
        f"{desire.certificate_name}/create",
        parameters={"policy": certificate_policy(desire)},
        changes=changes,
        desired=StepDesire(desire).to_dict(),
        observed=observed,
        summary=(
            f"wait for Key Vault to finish creating the certificate {obj!r}"
            if waiting
            else f"create a {'new version of the ' if current is not None else ''}self-signed "
            f"certificate {obj!r} ({desire.certificate_subject}, {VALIDITY_MONTHS} months)"
        ),
        operation="create" if current is None else "update",
    )
    return out


# --- the certificate's public key on the migration app (Graph) -------------------------------


def holds_key(app: Application, version: CertificateVersion) -> bool:
    """Whether the app's keyCredentials hold this certificate (by thumbprint, or the DER)."""
    for kc in app.key_credentials:
        if version.thumbprint and kc.thumbprint and kc.thumbprint.upper() == version.thumbprint:
            return True
        if version.cer and kc.key and kc.key == version.cer:
            return True
    return False


def new_key_credential(desire: VaultDesire, version: CertificateVersion) -> dict[str, Any]:
    """The keyCredential for the certificate: its DER, t2t's marker as displayName, ending
    when the certificate ends (Graph refuses an endDateTime past it: 'Key credential end date
    is invalid', the walkthrough script's note; keyCredential: endDateTime, key)."""
    credential: dict[str, Any] = {
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": version.cer,
        "displayName": desire.key_marker,
    }
    if version.not_before:
        credential["startDateTime"] = version.not_before
    if version.expires:
        credential["endDateTime"] = version.expires
    return credential


def kept_key_credential(kc: KeyCredential) -> dict[str, Any]:
    """An existing keyCredential as the PATCH must repeat it: Graph replaces the whole
    collection, so every key the app holds is sent back with its own key and dates."""
    if not kc.key:
        raise ValueError(f"Graph returned no key for the app's keyCredential {kc.key_id}")
    out: dict[str, Any] = {
        "keyId": kc.key_id,
        "type": kc.type,
        "usage": kc.usage,
        "key": kc.key,
        "displayName": kc.display_name,
        "startDateTime": kc.start,
        "endDateTime": kc.end,
    }
    if kc.custom_key_identifier:
        out["customKeyIdentifier"] = kc.custom_key_identifier
    return {k: v for k, v in out.items() if v is not None}


@dataclass
class KeyCredentialOutcome:
    action: Action | None = None
    findings: list[Finding] = field(default_factory=list)


def plan_key_credential(
    desire: VaultDesire,
    app_desire: AppDesire,
    app: Application | None,
    version: CertificateVersion | None,
    *,
    app_key: str,
) -> KeyCredentialOutcome:
    """`app.key_credential.add` unless the app already trusts ``version`` (the certificate's
    current version; None: it is created or replaced by this plan, known after apply)."""
    out = KeyCredentialOutcome()
    if app is not None and version is not None and holds_key(app, version):
        return out
    if app is not None and version is not None:
        out.findings.append(
            finding(
                "T2T-E242",
                "target",
                app.display_name or app.app_id,
                f"no keyCredential with the thumbprint {version.thumbprint} of "
                f"{desire.certificate_key} version {version.version}",
                fixed_by_plan=True,
            )
        )
    shown = (
        {
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "key": f"(certificate {version.thumbprint}, DER base64)",
            "displayName": desire.key_marker,
            "startDateTime": version.not_before,
            "endDateTime": version.expires,
        }
        if version is not None
        else {
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "key": NEW_CERTIFICATE,
            "displayName": desire.key_marker,
            "endDateTime": "(the certificate's expiry)",
        }
    )
    kept = [kc.key_id for kc in app.key_credentials] if app is not None else []
    where = f"/applications/{app.object_id}" if app is not None else "/applications/{id}"
    out.action = _action(
        K.KEY_CREDENTIAL_ADD,
        app_key,
        cmdlet=f"Graph PATCH {where} (keyCredentials)",
        parameters={"add": shown, "keep": kept},
        changes=[
            Change(
                field="keyCredentials",
                before=kept,
                after=[
                    *kept,
                    f"{desire.key_marker} {version.thumbprint if version else KNOWN_AFTER_APPLY}",
                ],
            )
        ],
        desired=StepDesire(desire, app=app_desire).to_dict(),
        observed=(
            {"appId": app.app_id, "keyCredentials": [kc.key_id for kc in app.key_credentials]}
            if app is not None
            else None
        ),
        summary=f"add the certificate {desire.certificate_key!r} to the migration app's "
        "keyCredentials (every existing key kept)",
        operation="update",
    )
    return out


# --- the chain, for one plan ------------------------------------------------------------------


@dataclass
class KeyVaultChain:
    """The chain's actions and findings, and what the endpoint needs from it."""

    actions: list[Action] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    certificate_url: str | None = None
    """The certificate version the endpoint names (-AppSecretKeyVaultUrl) when nothing in
    the chain replaces it; None: known after apply."""
    waits_for: tuple[str, ...] = ()
    """The chain's actions an endpoint write waits for."""
    blocked_by: tuple[str, ...] = ()
    """What blocks an endpoint write: the chain's unfixable findings and blocked actions."""


def exchange_object_id(snapshot: Snapshot) -> str | None:
    """Office 365 Exchange Online's service principal in the target (its object id)."""
    sps = present(snapshot.target.service_principals)
    exo = next((s for s in sps if s.app_id == EXCHANGE_APP_ID), None)
    return exo.id.lower() if exo is not None else None


def read_at(snapshot: Snapshot) -> dt.datetime | None:
    return _utc(snapshot.read_at) if snapshot.read_at else None


def plan_key_vault(desired: Desired, snapshot: Snapshot, app: AppResolution) -> KeyVaultChain:
    """The whole chain for this plan; empty in clientSecret mode."""
    chain = KeyVaultChain()
    desire = vault_desire(desired)
    if desire is None:
        return chain
    groups = present(snapshot.target.key_vault)
    certs = present(snapshot.target.vault_certificates)
    vault = next((g.vault for g in groups if g.vault is not None), None)
    cert = next((c for c in certs if c.name.lower() == desire.certificate_name.lower()), None)
    now = read_at(snapshot)

    def add(action: Action | None, depends: list[str], blocked: tuple[str, ...] = ()) -> str | None:
        if action is None:
            return None
        chain.actions.append(
            action.model_copy(
                update={
                    "depends_on": tuple(dict.fromkeys(d for d in depends if d)),
                    "blocked_by": tuple(dict.fromkeys(blocked)),
                }
            )
        )
        return action.id

    group_id = add(plan_resource_group(desire, groups), [])
    vault_id = add(plan_vault(desire, groups), [group_id or ""])
    access = plan_access(desire, vault, exchange_object_id(snapshot))
    chain.findings.extend(access.findings)
    access_id = add(access.action, [vault_id or ""])
    certificate = plan_certificate(desire, cert, now)
    chain.findings.extend(certificate.findings)
    cert_id = add(certificate.action, [vault_id or ""])
    current = cert.current if cert is not None and certificate.action is None else None
    registered = next(
        (a for a in present(snapshot.target.applications) if app.app_id and a.app_id == app.app_id),
        None,
    )
    key = plan_key_credential(
        desire,
        app.desire,
        registered,
        current,
        app_key=app.desire.display_name or app.desire.app_id or app.shown_id,
    )
    chain.findings.extend(key.findings)
    key_id = add(key.action, [cert_id or "", *app.depends_on], app.blocked_by)
    chain.certificate_url = current.id if current is not None else None
    chain.waits_for = tuple(i for i in (access_id, cert_id, key_id) if i)
    chain.blocked_by = tuple(dict.fromkeys((*access.blocked, *app.blocked_by)))
    return chain
