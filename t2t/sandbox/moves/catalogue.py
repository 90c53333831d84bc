"""Every exception the emulated move service and its cmdlets can raise, in one place.

Tests enumerate ``CATALOGUE`` to prove each failure is reproducible; t2t's own check
catalogue can be compared against it. Each entry names its source: a message marked
``verbatim`` is Microsoft's text as quoted in microsoft-t2t.md §9 (or the issue thread it
cites); ``assumption`` means the exception *name* is documented but no public source
quotes its message, so the sandbox's text is a plausible stand-in (README.md, "Open questions").

Placeholders in ``template`` are ``str.format`` fields named in ``fields``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Where = Literal["cmdlet", "move"]


@dataclass(frozen=True)
class ExceptionSpec:
    name: str
    full_type: str
    template: str
    where: Where
    source: str
    verbatim: bool

    def render(self, **fields: str) -> str:
        return self.template.format(**fields)


_MIG = "Microsoft.Exchange.Migration"
_MRS = "Microsoft.Exchange.MailboxReplicationService"

_SPECS: tuple[ExceptionSpec, ...] = (
    # --- failures of a migration user, found by the move service (Get-MigrationUser) ---
    ExceptionSpec(
        "MigrationRecipientNotFoundException",
        f"{_MIG}.MigrationRecipientNotFoundException",
        'A recipient wasn\'t found for "{user}" on the target. Create a recipient of the '
        "appropriate type for this migration on the target and try again.",
        "move",
        "microsoft-t2t.md §9; microsoft-365-docs #6139; seed comment 5",
        True,
    ),
    ExceptionSpec(
        "UserDuplicateInOtherBatchException",
        f"{_MIG}.UserDuplicateInOtherBatchException",
        "The user '{user}' already exists in another migration batch, '{batch}'. Remove the "
        "user from that batch, or use a different user, and try again.",
        "move",
        "microsoft-t2t.md §9 (name only)",
        False,
    ),
    ExceptionSpec(
        "InboundMailboxMoveCapabilityMissingException",
        f"{_MRS}.InboundMailboxMoveCapabilityMissingException",
        "Your organization does not authorize 'pull' or Inbound moves from the remote "
        "organization. Contact your administrator to confirm organization relationships are "
        "configured correctly.",
        "move",
        "seed comment 10; microsoft-365-docs #3507 (as MigrationPermanentException)",
        True,
    ),
    ExceptionSpec(
        "MigrationServerConnectionFailedException",
        f"{_MIG}.MigrationServerConnectionFailedException",
        "The connection to the server 'outlook.office365.com' could not be completed. --> {inner}",
        "move",
        "microsoft-t2t.md §9; cross-tenant #96 (outer text verbatim; inner MRS text assumed)",
        False,
    ),
    ExceptionSpec(
        "MailboxNotInCrossTenantMigrationScopeException",
        f"{_MRS}.MailboxNotInCrossTenantMigrationScopeException",
        "The mailbox '{user}' isn't in the scope of the organization relationship that "
        "allows cross-tenant mailbox moves in the source organization. Add the mailbox to a "
        "group in the relationship's MailboxMovePublishedScopes and try again.",
        "move",
        "microsoft-t2t.md §9 (name only)",
        False,
    ),
    ExceptionSpec(
        "TargetUserAlreadyHasPrimaryMailbox",
        f"{_MIG}.MigrationPermanentException",
        "Target user '{user}' already has a primary mailbox.",
        "move",
        "microsoft-t2t.md §9; microsoft-365-docs #6139",
        True,
    ),
    ExceptionSpec(
        "MissingExchangeGuidException",
        f"{_MRS}.MissingExchangeGuidException",
        "The target mail user '{user}' doesn't have an ExchangeGuid matching the source "
        "mailbox's ExchangeGuid '{guid}'. Set the ExchangeGuid on the target mail user and "
        "try again.",
        "move",
        "microsoft-t2t.md §4, §9 (name only)",
        False,
    ),
    ExceptionSpec(
        "CrossTenantMigrationWithoutLicensePermanentException",
        f"{_MRS}.CrossTenantMigrationWithoutLicensePermanentException",
        "No license was found for the source recipient, '{source_guid}', or the target "
        "recipient, '{target_guid}'. A Cross-tenant User Data Migration license is required to "
        "move a mailbox between tenants.",
        "move",
        "microsoft-t2t.md §5 (LEARN-24)",
        True,
    ),
    ExceptionSpec(
        "NotAcceptedDomainException",
        f"{_MRS}.NotAcceptedDomainException",
        "You can't use the domain {domain} because it's not an accepted domain for your "
        "organization.",
        "move",
        "seed comment 12 (text without the domain); microsoft-t2t.md §9",
        False,
    ),
    ExceptionSpec(
        "NoProxyInTargetDeliveryDomain",
        f"{_MIG}.MigrationMRSPermanentException",
        "Error: The target mailbox doesn't have an SMTP proxy matching '{domain}'.",
        "move",
        "microsoft-t2t.md §9; OfficeDocs-Exchange #1061; cross-tenant #70",
        True,
    ),
    ExceptionSpec(
        "SourceMailboxOnHold",
        f"{_MIG}.MigrationPermanentException",
        "The source mailbox '{user}' is on hold ({holds}). Mailboxes on any type of hold "
        "can't be moved between tenants.",
        "move",
        "LEARN-24 'Mailboxes that are on any type of hold aren't migrated'; text assumed",
        False,
    ),
    ExceptionSpec(
        "TooManyAuxArchives",
        f"{_MIG}.MigrationPermanentException",
        "The source mailbox '{user}' has {count} auxiliary archive mailboxes; a cross-tenant "
        "move supports at most 12.",
        "move",
        "microsoft-t2t.md §8 (limit 12, CSS-VAL check 2); text assumed",
        False,
    ),
    ExceptionSpec(
        "RecoverableItemsOverTargetQuota",
        f"{_MIG}.MigrationPermanentException",
        "The source mailbox '{user}' has {size} in Recoverable Items, more than the target "
        "mail user's RecoverableItemsQuota of {quota}.",
        "move",
        "microsoft-t2t.md §8 (CSS-VAL check 7); text assumed",
        False,
    ),
    ExceptionSpec(
        "AuxArchiveNotFoundInTargetRecipientException",
        f"{_MRS}.AuxArchiveNotFoundInTargetRecipientException",
        "The source mailbox '{user}' has an auxiliary archive that wasn't found on the target "
        "recipient.",
        "move",
        "microsoft-t2t.md §9 (name only)",
        False,
    ),
    ExceptionSpec(
        "UserAlreadyHasDemotedArchiveException",
        f"{_MRS}.UserAlreadyHasDemotedArchiveException",
        "The source mailbox '{user}' has a disabled archive. Remove it with Set-Mailbox "
        "-RemoveDisabledArchive, or enable it and update the target ArchiveGuid.",
        "move",
        "microsoft-t2t.md §9 (name only)",
        False,
    ),
    ExceptionSpec(
        "ArchiveGuidMismatch",
        f"{_MIG}.MigrationPermanentException",
        "The target mail user '{user}' has ArchiveGuid '{target}', but the source mailbox's "
        "ArchiveGuid is '{source}'.",
        "move",
        "microsoft-t2t.md §4 ('move fails'); text assumed",
        False,
    ),
    # --- issue 10: failures Microsoft documents (moves/conditions.py) ---
    ExceptionSpec(
        "MailboxIsNotInExpectedDBException",
        f"{_MRS}.MailboxIsNotInExpectedDBException",
        "The mailbox '{user}' isn't in the database the move request expects. It was moved "
        "after the request was created.",
        "move",
        "LEARN-24 'Migration Failures' (name; 'due to internal Microsoft maintenance. Remove "
        "the migration user from the batch … Add user to new batch'); namespace and text assumed",
        False,
    ),
    ExceptionSpec(
        "SourceMailboxAlreadyBeingMovedPermanentException",
        f"{_MRS}.SourceMailboxAlreadyBeingMovedPermanentException",
        "The source mailbox '{user}' already has a move request. Wait for it to complete or "
        "remove it, then move the mailbox in a new batch.",
        "move",
        "LEARN-24 'Migration Failures' (name; 'The source mailbox already has an existing move "
        "request … Add user to new batch after the original move has been removed or "
        "completed'); namespace and text assumed",
        False,
    ),
    ExceptionSpec(
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException",
        f"{_MRS}.SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException",
        "A new auxiliary archive was provisioned for the source mailbox '{user}' during the "
        "cross-tenant move.",
        "move",
        "LEARN-24 'Migration Failures' (name; 'A new AuxArchive was provisioned during "
        "migration') and FAQ 'Do auto-expanded archive mailboxes move?' ('If the source "
        "mailbox is expanded during the mailbox migration process, the migration will fail … "
        "remove the user from the batch and resubmit them'); namespace and text assumed",
        False,
    ),
    ExceptionSpec(
        "ArchiveSubstrateHoldsNotEmpty",
        f"{_MIG}.MigrationPermanentException",
        "The archive of the source mailbox '{user}' has {count} item(s) in its SubstrateHolds "
        "folder.",
        "move",
        "CSS-VAL ('SOURCE Archive mailbox has items within the SubstrateHolds folder and this "
        "will cause the migration to fail'); no exception name published; text assumed",
        False,
    ),
    ExceptionSpec(
        "SourceMailboxOverQuota",
        f"{_MIG}.MigrationPermanentException",
        "The source mailbox '{user}' is over its quota: {size} in a mailbox whose "
        "ProhibitSendReceiveQuota is {quota}.",
        "move",
        "LEARN-24 FAQ 'How should I handle mailboxes that are close to, or over quota' ('these "
        "mailboxes will fail migration and will need to be remediated and restarted'); no "
        "exception name published; text assumed",
        False,
    ),
    ExceptionSpec(
        "TargetHasPreviousMailboxInfo",
        f"{_MIG}.MigrationPermanentException",
        "The target mail user '{user}' still holds a previous mailbox's ExchangeGuid "
        "'{previous}'. Clear it with Set-User -PermanentlyClearPreviousMailboxInfo.",
        "move",
        "LEARN-24 'Prerequisites for target user objects' step 8 ('You must ensure that the "
        "target MailUser has no previous ExchangeGUID that doesn't match the Source "
        "ExchangeGUID'); no exception name published; text assumed",
        False,
    ),
    ExceptionSpec(
        "PartnerRelationshipWithoutMailMove",
        f"{_MIG}.MigrationPermanentException",
        "The organization relationship '{relationship}' for '{partner}' does not have mail "
        "move enabled.",
        "move",
        "QA-5611986 [1×3P] ('does not have mail move enabled' with a second relationship for "
        "the partner keyed on a domain); microsoft-t2t.md §3.5; the rest of the text and the "
        "type are assumed",
        False,
    ),
    # --- the move service signing in to the source with the endpoint's credential ---
    ExceptionSpec(
        "EndpointCredentialRefused",
        f"{_MIG}.MigrationServerConnectionFailedException",
        "The connection to the server 'outlook.office365.com' could not be completed. --> "
        "MRSRemotePermanentException: AADSTS{code}: {text}",
        "move",
        "exo-module-protocol.md 'Credentials in time' [live]: an endpoint whose secret was "
        "removed or expired fails deep inside the move with AADSTS7000215; outer text as "
        "cross-tenant #96; the AADSTS texts are Entra's, verbatim (sandbox/credentials.py); "
        "the MRSRemotePermanentException wrapping is assumed; for an AppSecretKeyVaultUrl "
        "endpoint the certificate's sign-in (AADSTS700027 key not on the app or expired: "
        "sandbox/azure/link.py; AADSTS700024 not valid yet, assumed)",
        False,
    ),
    ExceptionSpec(
        "EndpointCertificateUnreadable",
        f"{_MIG}.MigrationServerConnectionFailedException",
        "The connection to the server 'outlook.office365.com' could not be completed. --> "
        "MRSRemotePermanentException: The application certificate '{url}' couldn't be read "
        "from Azure Key Vault: {text}",
        "move",
        "issue 12: an AppSecretKeyVaultUrl endpoint's certificate Exchange Online cannot read "
        "(vault missing, no access for its service principal, version missing or disabled). "
        "The inner texts are Key Vault's own (sandbox/azure/authorization.py, link.py) or "
        "VerifySetupDeprecated.ps1's ('KeyVault: <name> not found'); the outer text and the "
        "exception type are assumed (README, open questions)",
        False,
    ),
    ExceptionSpec(
        "EndpointWithoutCredential",
        f"{_MIG}.MigrationServerConnectionFailedException",
        "The connection to the server 'outlook.office365.com' could not be completed. --> "
        "MRSRemotePermanentException: AADSTS7000218: The request body must contain the "
        "following parameter: 'client_assertion' or 'client_secret'.",
        "move",
        "exo-module-protocol.md 'Credentials in time' [live]: an endpoint created without a "
        "credential is accepted and every batch against it fails; the text is assumed (what "
        "Entra answers a sign-in without a secret, reference-error-codes AADSTS7000218)",
        False,
    ),
    ExceptionSpec(
        "SourceAccessDenied",
        f"{_MIG}.MigrationServerConnectionFailedException",
        "The connection to the server 'outlook.office365.com' could not be completed. --> "
        "MRSRemotePermanentException: Access is denied.",
        "move",
        "exo-module-protocol.md 'Credentials in time' [live]: an endpoint naming another app "
        "fails with 'Access is denied' from the source; the wrapping is assumed",
        False,
    ),
    # --- cmdlet-level refusals (the InvokeCommand error envelope) ---
    ExceptionSpec(
        "ManagementObjectNotFoundException",
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        "The operation couldn't be performed because object '{identity}' couldn't be found on "
        "'{dc}'.",
        "cmdlet",
        "wire-protocols.md §1.5 (2023 module error dump)",
        True,
    ),
    ExceptionSpec(
        "ParameterBindingException",
        "System.Management.Automation.ParameterBindingException",
        "A parameter cannot be found that matches parameter name '{name}'.",
        "cmdlet",
        "PowerShell NamedParameterNotFound",
        True,
    ),
    ExceptionSpec(
        "InvalidOperationInDehydratedContextException",
        "Microsoft.Exchange.Configuration.Tasks.InvalidOperationInDehydratedContextException",
        "The command you tried to run isn't currently allowed in your organization. To run "
        "this command, you first need to run the command: Enable-OrganizationCustomization.",
        "cmdlet",
        "microsoft-365-docs #7403 (New-OrganizationRelationship); namespace assumed",
        True,
    ),
    ExceptionSpec(
        "OrganizationAlreadyCustomized",
        "System.InvalidOperationException",
        "This operation is not required. Organization is already enabled for customization.",
        "cmdlet",
        "office-docs-powershell #6497",
        True,
    ),
    ExceptionSpec(
        "MigrationPermanentException",
        f"{_MIG}.MigrationPermanentException",
        "{text}",
        "cmdlet",
        "generic migration refusal (texts per call site, assumptions)",
        False,
    ),
    ExceptionSpec(
        "MigrationEndpointDuplicateException",
        f"{_MIG}.MigrationEndpointDuplicateException",
        "A migration endpoint with the name '{name}' already exists.",
        "cmdlet",
        "name assumed from Exchange's Migration*Exception family; text assumed",
        False,
    ),
    ExceptionSpec(
        "MigrationBatchDuplicateException",
        f"{_MIG}.MigrationBatchDuplicateException",
        "A migration batch with the name '{name}' already exists.",
        "cmdlet",
        "name assumed; text assumed",
        False,
    ),
    ExceptionSpec(
        "MigrationEndpointInUseException",
        f"{_MIG}.MigrationPermanentException",
        "The migration endpoint '{name}' can't be removed because it's used by the migration "
        "batch '{batch}'.",
        "cmdlet",
        "t2t rule (never remove an endpoint a batch references, §3.6); text assumed",
        False,
    ),
    ExceptionSpec(
        "MigrationBatchInvalidStateException",
        f"{_MIG}.MigrationPermanentException",
        "The migration batch '{name}' can't be {action} because its status is {status}.",
        "cmdlet",
        "PSDOC-CB (Complete only from Synced/SyncedWithErrors); text assumed",
        False,
    ),
    ExceptionSpec(
        "MigrationCsvException",
        f"{_MIG}.MigrationCSVParsingException",
        "{text}",
        "cmdlet",
        "CSV header/row refusals of New-MigrationBatch; texts assumed",
        False,
    ),
    ExceptionSpec(
        "MigrationAppNotConsentedInSource",
        f"{_MIG}.MigrationServerConnectionFailedException",
        "The connection to the server 'outlook.office365.com' could not be completed. --> "
        "The application '{app}' isn't consented in the remote tenant '{tenant}': no service "
        "principal holds the Mailbox.Migration permission.",
        "cmdlet",
        "LEARN-24 ('New-MigrationEndpoint fails until the source has consented'); text assumed",
        False,
    ),
    ExceptionSpec(
        "RecipientAlreadyExists",
        "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
        'The proxy address "{address}" is already being used by the proxy addresses or '
        'LegacyExchangeDN of "{owner}". Please choose another proxy address.',
        "cmdlet",
        "Exchange's proxy-collision text (widely reported); exception type assumed",
        False,
    ),
    ExceptionSpec(
        "MemberAlreadyExistsException",
        "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
        'The recipient "{member}" is already a member of the group "{group}".',
        "cmdlet",
        "Exchange's Add-DistributionGroupMember refusal (widely reported); namespace assumed",
        True,
    ),
    ExceptionSpec(
        "MemberNotFoundException",
        "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
        'The recipient "{member}" isn\'t a member of the group "{group}".',
        "cmdlet",
        "Exchange's Remove-DistributionGroupMember refusal (widely reported); namespace assumed",
        True,
    ),
    ExceptionSpec(
        "DirSyncedObjectWriteRefused",
        "Microsoft.Exchange.Configuration.Tasks.TaskException",
        "The operation on mailbox \"{object}\" failed because it's out of the current user's "
        "write scope. The action '{cmdlet}', '{parameters}', can't be performed on the object "
        "'{object}' because the object is being synchronized from your on-premises "
        "organization. This action should be performed on the object in your on-premises "
        "organization.",
        "cmdlet",
        "Exchange's refusal on an IsDirSynced object, widely reported for Set-Mailbox "
        "(techcommunity; jaapwesselius.com 'out of the current user's write scope'); the same "
        "wording for Set-MailUser and the exception type are assumed",
        True,
    ),
    ExceptionSpec(
        "NotAcceptedDomainOnWrite",
        "Microsoft.Exchange.Data.DataValidationException",
        "The email address \"{address}\" isn't correct. The domain {domain} isn't an "
        "accepted domain for your organization.",
        "cmdlet",
        "Exchange's address validation on New-/Set-MailUser; text assumed",
        False,
    ),
    ExceptionSpec(
        "PasswordNotComplex",
        "Microsoft.Exchange.Data.DataValidationException",
        "The specified password does not comply with password complexity requirements. "
        "Please provide a different password.",
        "cmdlet",
        "Entra ID's refusal of a cloud user's password outside its policy (Learn, 'Microsoft "
        "Entra password policies', concept-sspr-policy: 8-256 characters, three of lowercase, "
        "uppercase, digits, symbols; no Unicode), as Graph answers it (400 Request_BadRequest, "
        "Microsoft Q&A 2104165); what New-MailUser -MicrosoftOnlineServicesID prints around "
        "it, and the type, are assumed",
        False,
    ),
    ExceptionSpec(
        "UpnDomainNotVerified",
        "Microsoft.Exchange.Data.DataValidationException",
        "Unable to create this user because the user principal name provided is not on a "
        "verified domain. The domain {domain} of '{upn}' isn't a verified domain of your "
        "organization.",
        "cmdlet",
        "Graph user resource: a userPrincipalName's 'domain must be present in the tenant's "
        "collection of verified domains'; the first sentence is the directory's refusal as "
        "Office 365 provisioning reports it (Okta KB, 'Office 365 Provisioning Error'); what "
        "New-MailUser -MicrosoftOnlineServicesID prints around it, and the type, are assumed",
        False,
    ),
)

CATALOGUE: dict[str, ExceptionSpec] = {s.name: s for s in _SPECS}
"""Key = the catalogue name (usually the exception's short name; a few share
``MigrationPermanentException`` and have a descriptive key instead)."""


def spec(name: str) -> ExceptionSpec:
    return CATALOGUE[name]
