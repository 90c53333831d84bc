"""The per-mailbox checks (T2T-E3xx / T2T-W3xx): source facts, the target MailUser, licences.

Each names the Microsoft exception (or the validation script's check) it prevents and the fix.
Sources: microsoft-t2t.md §4 (target MailUser), §5 (licensing), §8 (limits), §9 (errors),
§10.2 (CrossTenantMailboxMigrationValidation.ps1's object checks, in its order).
"""

from __future__ import annotations

from t2t.planner.checks import CheckDef, register

_NOT_FOUND = (
    "MigrationRecipientNotFoundException / MissingExchangeGuidException (no source mailbox to pull)"
)
_PRIMARY = "MigrationPermanentException: Target user '…' already has a primary mailbox."

CHECKS = (
    CheckDef(
        "T2T-E301",
        "source-mailbox-missing",
        "error",
        "The declared source mailbox does not exist in the source tenant",
        _NOT_FOUND,
        "Correct the source address in the spec (or its CSV), or remove the mailbox.",
        "microsoft-t2t.md §10.2 check 1",
    ),
    CheckDef(
        "T2T-E302",
        "source-not-movable",
        "error",
        "The declared source is a kind of recipient Microsoft does not move cross-tenant "
        "(a Microsoft 365 Group, room or equipment mailbox, a mail user); user and shared "
        "mailboxes move",
        "no documented move for this recipient type (Microsoft 365 Groups: 'doesn't support "
        "the migration of Microsoft 365 Groups'); MRS finds no mailbox to pull from a mail "
        "user (MissingExchangeGuidException)",
        "Remove it from the spec (or its CSV) and move its content by another route; for a "
        "mail user, declare the mailbox it points to in its own tenant.",
        "Learn, Cross-tenant mailbox migration, FAQ 'Will shared mailboxes move and still "
        "work?' (Yes) and 'Do you support moving Microsoft 365 Groups?' (no); "
        "t2t/planner/mailboxes/recipient_types.py",
    ),
    CheckDef(
        "T2T-E308",
        "licence-seats-short",
        "error",
        "The target tenant has fewer free seats of a licence than the plan assigns",
        "Graph assignLicense 400 (the subscription has no available licenses); the move then "
        "fails with CrossTenantMigrationWithoutLicensePermanentException",
        "Buy more seats or free some, then plan again; the mailboxes past the free seats wait.",
        "microsoft-t2t.md §5 (seats from subscribedSkus)",
    ),
    CheckDef(
        "T2T-E309",
        "licence-not-owned",
        "error",
        "A licence the spec assigns is not a subscription of the target tenant",
        "Graph assignLicense 400: License … does not correspond to a valid company License.",
        "Correct identities.licenses (SKU part numbers as in Graph subscribedSkus), or buy "
        "the subscription.",
        "microsoft-t2t.md §5",
    ),
    CheckDef(
        "T2T-E310",
        "target-already-mailbox",
        "error",
        "The target object is already a mailbox with another ExchangeGuid",
        _PRIMARY,
        "The target was licensed before its ExchangeGuid was stamped (or is a real user). "
        "Remove its Exchange licence and mailbox (or choose another target address), clear "
        "it with Set-User -PermanentlyClearPreviousMailboxInfo, then plan again.",
        "microsoft-t2t.md §4, §9 (microsoft-365-docs #6139)",
    ),
    CheckDef(
        "T2T-E311",
        "target-dir-synced-incomplete",
        "error",
        "The target object is synchronised from on-premises Active Directory and lacks "
        "attributes the move needs (a synced MailUser that has them all is batched as is)",
        "MissingExchangeGuidException (no or another ExchangeGuid), a failed archive move, "
        "a move that does not proceed without every x500, MigrationMRSPermanentException (no "
        "SMTP proxy matching the target delivery domain); the cloud refuses t2t's writes to a "
        "synced object",
        "Write the listed attributes on the on-premises mail user (msExchMailboxGuid, "
        "msExchArchiveGUID, proxyAddresses, targetAddress) and let Entra Connect synchronise "
        "them — a mail user, not New-RemoteMailbox, which provisions a cloud mailbox; then "
        "plan again.",
        "Learn, Cross-tenant mailbox migration: intro ('supported for tenants in hybrid or "
        "cloud only'), Known issues ('synchronize down to the tenant and an appropriate mail "
        "user is provisioned and is ready for migration'), FAQ 'Can I use Microsoft Entra "
        "Connect…' (msExchMailboxGUID and proxyAddresses populated correctly); seed "
        "walkthrough comment 6",
    ),
    CheckDef(
        "T2T-E312",
        "target-domain-not-accepted",
        "error",
        "A target address (primary, proxy or the batch's target delivery domain) is in a "
        "domain the target tenant has not accepted",
        "NotAcceptedDomainException: You can't use the domain because it's not an accepted "
        "domain for your organization.",
        "Add and verify the domain in the target tenant, or remove the proxy by hand (t2t "
        "never removes an address it does not own; licensing would scrub it).",
        "microsoft-t2t.md §4, §9, §10.2 checks 11-12; seed walkthrough comment 12",
    ),
    CheckDef(
        "T2T-E313",
        "target-external-address-not-source",
        "error",
        "The target MailUser's ExternalEmailAddress is not one of the source's addresses",
        "the validation script's check 14 fails; mail routes to the wrong place until the "
        "move completes",
        "Set-MailUser <target> -ExternalEmailAddress <source primary SMTP address> (t2t does "
        "not overwrite a routing address it did not set).",
        "microsoft-t2t.md §4, §10.2 check 14",
    ),
    CheckDef(
        "T2T-E314",
        "targets-collide",
        "error",
        "Two declared mailboxes resolve to the same target object",
        "MigrationPermanentException for one of them (one target recipient, two sources)",
        "Give each mailbox its own target address and UPN in the spec.",
        "microsoft-t2t.md §4",
    ),
    CheckDef(
        "T2T-E315",
        "x500-clash",
        "error",
        "A source X500 address is already on another target object (or on two declared mailboxes)",
        "Set-MailUser refuses the proxy (already used by another recipient); without it, "
        "replies to old mail bounce (IMCEAEX NDRs)",
        "Remove the X500 from the other target object, or correct the spec, then plan again.",
        "microsoft-t2t.md §4 (every source x500 on the target)",
    ),
    CheckDef(
        "T2T-E316",
        "target-archive-without-source-archive",
        "error",
        "The target MailUser has an ArchiveGuid but the source has no archive",
        "the move fails on the archive (validation script check 9 reports an error)",
        "Clear the target's ArchiveGuid by hand (Set-MailUser -ArchiveGuid $null), then plan "
        "again.",
        "microsoft-t2t.md §4, §10.2 check 9",
    ),
    CheckDef(
        "T2T-E317",
        "target-exchange-guid-differs",
        "error",
        "The target MailUser carries another ExchangeGuid than the source mailbox",
        "MissingExchangeGuidException",
        "t2t sets ExchangeGuid to the source mailbox's (disruptive: it overwrites a value).",
        "microsoft-t2t.md §4, §10.2 check 8",
    ),
    CheckDef(
        "T2T-E318",
        "usage-location-missing",
        "error",
        "The target user has no usageLocation and the spec gives none",
        "Graph assignLicense 400: License assignment cannot be done for user with invalid "
        "usage location.",
        "Set identities.usageLocation in the spec (a two-letter country code).",
        "microsoft-t2t.md §5; Graph assignLicense",
    ),
    CheckDef(
        "T2T-E320",
        "licence-provisioning-pending",
        "error",
        "The target user's Exchange licences are assigned but not provisioned yet "
        "(provisionedPlans: PendingInput or Error)",
        "CrossTenantMigrationWithoutLicensePermanentException: No license was found for the "
        "source recipient … or the target recipient … (Exchange shows ExchangeT2TMbxMove only "
        "once the licence has provisioned); proxies licensing scrubs after the batch exists",
        "Wait: Exchange usually provisions a licence within 30 minutes (up to 24 hours), then "
        "plan again; the batch is created once it has, and addresses licensing scrubbed are "
        "stamped again. Still pending after 24 hours (or Error): check the user's licences in "
        "the Microsoft 365 admin center.",
        "Graph provisionedPlan/servicePlanInfo (PendingInput: awaiting service confirmation); "
        "Learn 'Delays in provisioning of user/mailbox or synchronizing changes in Exchange "
        "Online'; microsoft-t2t.md §4, §5 (LEARN-24 Licensing, Known issues)",
    ),
)

register(*CHECKS, scope="mailbox")
