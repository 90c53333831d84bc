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

Rotation (shared/rotation.py): a new version when the current one ends within rotateBefore or
--rotate-credential asks, its key beside the old one, the endpoint moved to it, and last the
older versions' keys removed once the endpoint names the new one (retire.py, planned by the
endpoint domain after its own write).
"""

from t2t.planner.shared.key_vault import checks as _checks  # noqa: F401  (registers the codes)
from t2t.planner.shared.key_vault.certificate import (
    CertificateOutcome,
    KeyCredentialOutcome,
    certificate_policy,
    holds_key,
    kept_key_credential,
    new_key_credential,
    pending,
    plan_certificate,
    plan_key_credential,
    usable,
)
from t2t.planner.shared.key_vault.chain import KeyVaultChain, exchange_object_id, plan_key_vault
from t2t.planner.shared.key_vault.desire import (
    CONTENT_TYPE,
    EXCHANGE_PERMISSIONS,
    EXPIRY_WARNING,
    KEY_MARKER_PREFIX,
    KEY_SIZE,
    KEY_TYPE,
    NEW_CERTIFICATE,
    OWN_IDENTITY,
    OWN_PERMISSIONS,
    VALIDITY_MONTHS,
    StepDesire,
    VaultDesire,
    vault_desire,
)
from t2t.planner.shared.key_vault.retire import (
    NEWER_VERSION,
    RetireDesire,
    named_version,
    plan_key_retirement,
    retirable,
)
from t2t.planner.shared.key_vault.vault import (
    AccessOutcome,
    access_body,
    missing_access,
    plan_access,
    plan_resource_group,
    plan_vault,
    vault_body,
)

__all__ = [
    "CONTENT_TYPE",
    "EXCHANGE_PERMISSIONS",
    "EXPIRY_WARNING",
    "KEY_MARKER_PREFIX",
    "KEY_SIZE",
    "KEY_TYPE",
    "NEWER_VERSION",
    "NEW_CERTIFICATE",
    "OWN_IDENTITY",
    "OWN_PERMISSIONS",
    "VALIDITY_MONTHS",
    "AccessOutcome",
    "CertificateOutcome",
    "KeyCredentialOutcome",
    "KeyVaultChain",
    "RetireDesire",
    "StepDesire",
    "VaultDesire",
    "access_body",
    "certificate_policy",
    "exchange_object_id",
    "holds_key",
    "kept_key_credential",
    "missing_access",
    "named_version",
    "new_key_credential",
    "pending",
    "plan_access",
    "plan_certificate",
    "plan_key_credential",
    "plan_key_retirement",
    "plan_key_vault",
    "plan_resource_group",
    "plan_vault",
    "retirable",
    "usable",
    "vault_body",
    "vault_desire",
]
