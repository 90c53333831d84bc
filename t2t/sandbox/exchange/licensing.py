"""What Exchange Online does when a licence lands on a recipient — one implementation for
every surface that changes licences (Graph ``assignLicense``, ``$batch``) and for the lazy
pass the move service runs before each request (moves/engine.py).

- Licensing *scrubs* SMTP proxies in domains the tenant has not accepted (microsoft-t2t.md
  §4 "Licensing scrubs unverified SMTP proxies … re-read proxies after any license change";
  [LEARN-24] https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration,
  [CT-OBJ], microsoft-365-docs #4344).
- A MailUser without an ExchangeGuid that holds an enabled Exchange Online plan gets a fresh,
  empty mailbox: it becomes a UserMailbox with a new ExchangeGuid, and the later move fails
  with "already has a primary mailbox" (microsoft-t2t.md §4 "Order constraint: license only
  after ExchangeGuid is set"; [LEARN-24]). The sandbox applies it as soon as ``assignLicense``
  returns, so Graph and Exchange reads see it at once (Microsoft's provisioning takes minutes;
  the sandbox has no such window). A mailbox has no ExternalEmailAddress, so the conversion
  clears it (README open question 34).
"""

from __future__ import annotations

from t2t.sandbox.model import SandboxState, Tenant, User, derived_guid
from t2t.sandbox.recipients import ZERO_GUID

EXCHANGE_PLAN_PREFIX = "EXCHANGE_S_"
"""Service plans that give a user an Exchange Online mailbox (EXCHANGE_S_STANDARD,
EXCHANGE_S_ENTERPRISE, EXCHANGE_S_DESKLESS, …; Microsoft's "Product names and service plan
identifiers for licensing" list). EXCHANGE_S_ARCHIVE_ADDON is an add-on, not a mailbox."""

_NOT_MAILBOX_PLANS = frozenset({"EXCHANGE_S_ARCHIVE_ADDON", "EXCHANGE_S_FOUNDATION"})


def has_exchange_plan(tenant: Tenant, user: User) -> bool:
    """Whether one of the user's licences holds an Exchange mailbox plan not disabled."""
    for lic in user.assigned_licenses:
        sku = tenant.sku(lic.sku_id)
        if sku is None:
            continue
        disabled = {p.lower() for p in lic.disabled_plans}
        for name in sku.service_plans:
            if (
                name.startswith(EXCHANGE_PLAN_PREFIX)
                and name not in _NOT_MAILBOX_PLANS
                and sku.service_plan_ids.get(name, "").lower() not in disabled
                and name.lower() not in disabled
            ):
                return True
    return False


def scrub_proxies(tenant: Tenant, user: User) -> bool:
    """Drop the user's ``smtp:`` proxies outside the accepted domains; True if any went."""
    r = user.recipient
    if r is None:
        return False
    kept = [
        a
        for a in r.email_addresses
        if not a.lower().startswith("smtp:") or tenant.accepts_domain(a.rsplit("@", 1)[-1])
    ]
    if len(kept) == len(r.email_addresses):
        return False
    r.email_addresses = kept
    primaries = [a for a in kept if a.startswith("SMTP:")]
    if primaries:
        r.primary_smtp_address = primaries[0][5:]
    return True


def provision_mailbox(tenant: Tenant, user: User) -> bool:
    """A licensed MailUser without ExchangeGuid becomes a fresh UserMailbox; True if it did."""
    r = user.recipient
    if (
        r is None
        or not r.is_mail_user
        or r.exchange_guid != ZERO_GUID
        or not has_exchange_plan(tenant, user)
    ):
        return False
    scrub_proxies(tenant, user)
    r.recipient_type_details = "UserMailbox"
    r.exchange_guid = derived_guid(user.id, "provisioned-mailbox")
    r.external_email_address = None
    return True


def licences_added(tenant: Tenant, user: User) -> None:
    """Exchange's reaction to ``addLicenses`` (Graph): scrub, then provision if due."""
    scrub_proxies(tenant, user)
    provision_mailbox(tenant, user)


def provision_licensed_mail_users(state: SandboxState) -> bool:
    """Provision every licensed MailUser that lost (or never had) its ExchangeGuid — e.g.
    ``Set-MailUser -ExchangeGuid 00000000-…`` on a licensed one. True if any changed."""
    changed = False
    for tenant in state.tenants:
        for u in tenant.users:
            if u.recipient is not None and u.assigned_licenses:
                changed |= provision_mailbox(tenant, u)
    return changed
