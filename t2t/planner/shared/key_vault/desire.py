"""What the chain is planned from: the spec's vault and certificate, the policy t2t gives them,
and the one way its actions are built."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.domain import action_id
from t2t.planner.shared.app import AppDesire
from t2t.planner.shared.rotation import Rotation
from t2t.state import fingerprint

if TYPE_CHECKING:
    from t2t.spec import Desired

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

WHO = "Office 365 Exchange Online"


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
    rotation: Rotation | None = None
    """The certificate: when its current version is rotated (shared/rotation.py)."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"vault": self.vault.to_dict()}
        if self.exchange_object_id is not None:
            data["exchange_object_id"] = self.exchange_object_id
        if self.app is not None:
            data["app"] = self.app.to_dict()
        if self.rotation is not None:
            data["rotation"] = self.rotation.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepDesire:
        exchange = data.get("exchange_object_id")
        return cls(
            vault=VaultDesire.from_dict(data["vault"]),
            exchange_object_id=str(exchange) if exchange is not None else None,
            app=AppDesire.from_dict(data["app"]) if data.get("app") else None,
            rotation=Rotation.from_dict(data.get("rotation")),
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


def build_action(
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
