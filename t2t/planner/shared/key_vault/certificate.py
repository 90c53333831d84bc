"""The certificate (the Key Vault data plane) and its public key on the migration app (Graph):
one pure function per object, shared by plan and apply."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import Finding, finding
from t2t.planner.shared.app import KNOWN_AFTER_APPLY, AppDesire
from t2t.planner.shared.key_vault.desire import (
    CONTENT_TYPE,
    EXPIRY_WARNING,
    KEY_SIZE,
    KEY_TYPE,
    NEW_CERTIFICATE,
    VALIDITY_MONTHS,
    StepDesire,
    VaultDesire,
    build_action,
)
from t2t.planner.shared.rotation import Rotation, certificate_rotation_due, utc
from t2t.state.azure import CertificateVersion, VaultCertificate
from t2t.state.directory import Application, KeyCredential

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
    return not (now is not None and version.expires and utc(version.expires) <= now)


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
    desire: VaultDesire,
    cert: VaultCertificate | None,
    now: dt.datetime | None,
    rotation: Rotation | None = None,
) -> CertificateOutcome:
    """`keyvault.certificate.create` when the certificate has no usable current version (none
    yet, expired: E240, disabled: E240) or its rotation is due (W246: it ends within
    rotateBefore, or --rotate-credential replaces it: shared/rotation.py); W241 when it expires
    within `EXPIRY_WARNING` and is not rotated. A creation under way is waited for, not sent
    again."""
    out = CertificateOutcome()
    current = cert.current if cert is not None else None
    obj = desire.certificate_key
    changes: list[Change] = []
    if usable(current, now):
        assert current is not None
        due = certificate_rotation_due(current.version, current.expires, now, rotation)
        if due is None:
            if now is not None and current.expires and utc(current.expires) <= now + EXPIRY_WARNING:
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
        out.findings.append(finding("T2T-W246", "target", obj, due, fixed_by_plan=True))
        changes.append(
            Change(field="current version", before=current.version, after=KNOWN_AFTER_APPLY)
        )
    elif current is not None:
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
    out.action = build_action(
        K.CERTIFICATE_CREATE,
        desire.certificate_key,
        cmdlet=f"Key Vault POST https://{desire.name}.vault.azure.net/certificates/"
        f"{desire.certificate_name}/create",
        parameters={"policy": certificate_policy(desire)},
        changes=changes,
        desired=StepDesire(desire, rotation=rotation).to_dict(),
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
    out.action = build_action(
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
