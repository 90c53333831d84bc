"""The UPN t2t gives a MailUser it creates must be in a domain the target has *verified*.

Why its own check: New-MailUser -MicrosoftOnlineServicesID <UPN> creates the Entra user, and
Entra's rule for a userPrincipalName is its verified domains ("alias@domain, where domain must
be present in the tenant's collection of verified domains": Graph user resource,
userPrincipalName), read from Graph /domains (isVerified). Exchange's accepted domains are the
rule for the addresses (T2T-E312), not for the UPN. The UPN is `identities.upnDomain` with the
target address's local part, or the target address itself when the spec gives no upnDomain
(t2t/spec/mailboxes.py). Only a MailUser t2t creates is checked: an existing one keeps its UPN.
"""

from __future__ import annotations

from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.mailboxes.desire import MailboxDesire

UPN_DOMAIN_NOT_VERIFIED = CheckDef(
    "T2T-E321",
    "target-upn-domain-not-verified",
    "error",
    "The UPN t2t would give the new target MailUser is in a domain the target tenant has not "
    "verified (Graph /domains isVerified)",
    "New-MailUser refuses -MicrosoftOnlineServicesID: the directory creates no user whose "
    "UPN is not on a verified domain (Entra: 'Unable to create this user because the user "
    "principal name provided is not on a verified domain'); no MailUser, so no move",
    "Set identities.upnDomain in the spec to a verified domain of the target (Graph /domains, "
    "Entra admin center > Settings > Domain names), or verify that domain in the target "
    "first; without identities.upnDomain the UPN is the target address, so its domain must "
    "be verified.",
    "Graph user resource (userPrincipalName: 'domain must be present in the tenant's "
    "collection of verified domains') and domain resource (isVerified); Microsoft Learn, "
    "cross-tenant mailbox migration (the target MailUser's MicrosoftOnlineServicesID, "
    "microsoft-t2t.md §4); the Entra text as Office 365 provisioning reports it (Okta KB "
    "'Unable to create this user because the user principal name provided is not on a "
    "verified domain')",
)

register(UPN_DOMAIN_NOT_VERIFIED, scope="mailbox")


def upn_domain(upn: str) -> str:
    return upn.rsplit("@", 1)[-1].lower()


def upn_finding(d: MailboxDesire, verified: frozenset[str], upn_key: bool) -> Finding | None:
    """E321 for a MailUser to be created whose UPN's domain is not verified; `upn_key` says
    whether the spec sets identities.upnDomain (the key to correct) or the UPN is the target
    address."""
    domain = upn_domain(d.upn)
    if domain in verified:
        return None
    where = "identities.upnDomain" if upn_key else "the target address (no identities.upnDomain)"
    shown = ", ".join(sorted(verified)) or "none"
    return finding(
        UPN_DOMAIN_NOT_VERIFIED.code,
        "target",
        d.target,
        f"UPN {d.upn} (from {where}): {domain} is not a verified domain of the target "
        f"(verified: {shown})",
        fixed_by_plan=False,
    )
