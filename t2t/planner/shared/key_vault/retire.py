"""A rotation's last step: the keys of the certificate's older versions removed from the
migration app (`app.key_credential.remove`), once the endpoint names a newer version.

Which keys may go is decided the same way at plan time and again at apply (the executor reads
the endpoint, the certificate's versions and the app's keys first: t2t/apply/executors/
key_vault_keys.py), and only these: a keyCredential t2t added (its marker displayName) whose
thumbprint is a version of the spec's certificate created before the version the endpoint
names. Kept: the key of the version the endpoint names and of every later version (a new one
added for a rotation still under way), every version another endpoint names, every key that
matches no version of the certificate (another certificate, or a version deleted since: not
known to be older), and every key t2t did not add. So the endpoint never names a certificate
whose key is gone; at plan time, when this plan moves the endpoint to a version it creates
(`NEWER_VERSION`), every existing version counts as older — and apply removes nothing until it
reads the endpoint naming that newer version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.shared.app import KNOWN_AFTER_APPLY, AppDesire
from t2t.planner.shared.key_vault.desire import StepDesire, VaultDesire, build_action
from t2t.state.azure import CertificateVersion, VaultCertificate
from t2t.state.directory import Application, KeyCredential
from t2t.state.exchange import MigrationEndpoint

#: The version the endpoint names once this plan ran, when the plan creates it.
NEWER_VERSION = KNOWN_AFTER_APPLY


@dataclass(frozen=True)
class RetireDesire:
    """What the removal is planned again from at apply: the vault and app, the endpoint whose
    version decides what is older, and the keys the reviewed plan removes (never others)."""

    step: StepDesire
    endpoint: str
    remove: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.step.to_dict(), "endpoint": self.endpoint, "remove": list(self.remove)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetireDesire:
        return cls(
            step=StepDesire.from_dict(data),
            endpoint=str(data["endpoint"]),
            remove=tuple(str(k) for k in data.get("remove") or ()),
        )


def named_version(desire: VaultDesire, url: str | None) -> str | None:
    """The version of the spec's certificate an AppSecretKeyVaultUrl names
    (https://{vault}.vault.azure.net[:443]/certificates/{name}/{version}); None for no URL,
    another vault or certificate, or no version."""
    if not url:
        return None
    host, _, path = url.strip().split("://", 1)[-1].partition("/")
    parts = [p for p in path.split("/") if p]
    if (
        host.split(":", 1)[0].lower() != f"{desire.name}.vault.azure.net"
        or len(parts) != 3
        or parts[0].lower() != "certificates"
        or parts[1].lower() != desire.certificate_name.lower()
    ):
        return None
    return parts[2].lower()


def _older(cert: VaultCertificate, names: str) -> list[CertificateVersion]:
    if names == NEWER_VERSION:
        return list(cert.versions)
    at = next((i for i, v in enumerate(cert.versions) if v.version.lower() == names), None)
    return list(cert.versions[:at]) if at is not None else []


def retirable(
    desire: VaultDesire,
    app: Application | None,
    cert: VaultCertificate | None,
    endpoints: tuple[MigrationEndpoint, ...],
    endpoint_name: str,
    names: str | None,
) -> tuple[tuple[KeyCredential, CertificateVersion], ...]:
    """t2t's keys on the app of versions older than `names` (the version the endpoint names,
    or `NEWER_VERSION`), that no other endpoint names — each with its version. `versions` are
    Key Vault's, oldest first (t2t/probes/key_vault.py)."""
    if app is None or cert is None or names is None:
        return ()
    others = {
        named_version(desire, e.app_secret_key_vault_url)
        for e in endpoints
        if e.identity.lower() != endpoint_name.lower()
    }
    older = {
        v.thumbprint.upper(): v
        for v in _older(cert, names)
        if v.thumbprint and v.version.lower() not in others
    }
    marker = desire.key_marker.lower()
    return tuple(
        (kc, older[kc.thumbprint.upper()])
        for kc in app.key_credentials
        if (kc.display_name or "").lower() == marker
        and kc.thumbprint
        and kc.thumbprint.upper() in older
    )


def plan_key_retirement(
    desire: VaultDesire,
    app_desire: AppDesire,
    app: Application | None,
    cert: VaultCertificate | None,
    endpoints: tuple[MigrationEndpoint, ...],
    endpoint_name: str,
    names: str | None,
    *,
    app_key: str,
) -> Action | None:
    """`app.key_credential.remove` of the `retirable` keys, or None when there are none."""
    found = retirable(desire, app, cert, endpoints, endpoint_name, names)
    if not found or app is None:
        return None
    gone = [kc.key_id for kc, _ in found]
    kept = [kc.key_id for kc in app.key_credentials if kc.key_id not in gone]
    after = [*kept, f"{desire.key_marker} {KNOWN_AFTER_APPLY}"] if names == NEWER_VERSION else kept
    current = next((e for e in endpoints if e.identity.lower() == endpoint_name.lower()), None)
    versions = ", ".join(v.version for _, v in found)
    newer = "the version this plan creates" if names == NEWER_VERSION else f"version {names}"
    action = build_action(
        K.KEY_CREDENTIAL_REMOVE,
        app_key,
        cmdlet=f"Graph PATCH /applications/{app.object_id} (keyCredentials)",
        parameters={
            "remove": [
                {"keyId": kc.key_id, "thumbprint": v.thumbprint, "version": v.version}
                for kc, v in found
            ],
            "keep": kept,
        },
        changes=[
            Change(
                field="keyCredentials",
                before=[kc.key_id for kc in app.key_credentials],
                after=after,
            )
        ],
        desired=RetireDesire(
            StepDesire(desire, app=app_desire), endpoint_name, tuple(gone)
        ).to_dict(),
        observed={
            "appId": app.app_id,
            "keyCredentials": [kc.key_id for kc in app.key_credentials],
            "AppSecretKeyVaultUrl": current.app_secret_key_vault_url if current else None,
        },
        summary=f"remove the key(s) of {desire.certificate_key!r} version(s) {versions} from "
        f"the migration app once the endpoint {endpoint_name!r} names {newer} (every other "
        "key kept)",
        operation="delete",  # the keys go (the plan's tally: "to destroy")
    )
    return action.model_copy(update={"risk": "destructive"})
