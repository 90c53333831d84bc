"""The Key Vault chain's checks (the endpoint's own, T2T-E243/E244, live beside it)."""

from __future__ import annotations

from t2t.planner.checks import CheckDef, register

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
        "on the app beside the old one, points the endpoint at it, and then removes the old "
        "version's key from the app.",
        "Key Vault certificate attributes exp / enabled; Entra error AADSTS700027; "
        "microsoft-t2t.md §3.2",
    ),
    CheckDef(
        "T2T-W241",
        "key-vault-certificate-expiring",
        "warning",
        "The vault certificate's current version expires within 30 days",
        "from its expiry on, every move fails to sign in to the source (as T2T-E240)",
        "Let t2t rotate it: relationship.endpoint.rotateBefore (e.g. 45d) or t2t apply "
        "--rotate-credential makes a new version, adds its key beside the old one, points the "
        "endpoint at it and then removes the old key (T2T-W246). By hand: a new version "
        "(Add-AzKeyVaultCertificate -VaultName <vault> -Name <certificate> with its policy, or "
        "the portal's 'New Version'); the next t2t apply puts its key on the app and points the "
        "endpoint at it.",
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
