"""What Exchange Online does when a licence lands on a recipient — one implementation for
every surface that changes licences (Graph ``assignLicense``, ``$batch``) and for the lazy
pass the move service runs before each request (moves/engine.py).

Licensing is asynchronous. ``assignLicense`` answers at once and Graph lists the licence in
``assignedLicenses`` (and its plans in ``assignedPlans``, capabilityStatus ``Enabled``: that
status follows the subscription, not provisioning — assignedPlan resource type,
https://learn.microsoft.com/graph/api/resources/assignedplan). Each service then provisions
the user on its own: until it has, the plan's ``provisioningStatus`` is ``PendingInput`` —
"The service isn't provisioned and is awaiting service confirmation" — and ``Success`` once
"Service is fully provisioned" (servicePlanInfo and provisionedPlan resource types,
https://learn.microsoft.com/graph/api/resources/serviceplaninfo,
https://learn.microsoft.com/graph/api/resources/provisionedplan; user ``provisionedPlans``
and ``licenseDetails`` ``servicePlans[]``, microsoftgraph/microsoft-graph-docs-contrib
api-reference/v1.0/api/user-list-licensedetails.md). The cross-tenant migration article
shows the same per-plan statuses on a licensed MailUser (``Get-MsolUser … ServiceStatus``:
Success, PendingInput, PendingActivation, PendingProvisioning, Disabled; [LEARN-24] "Known
issues"). ``PendingProvisioning`` is a tenant-level state ("Microsoft has added a new service
to the product SKU and it isn't activated in the tenant"), so a licence provisioning for one
user shows ``PendingInput`` (README open question on the docs' example). How long: "The
service typically takes less than 30 minutes to provision a user … it could take up to 24
hours" ("Delays in provisioning of user/mailbox or synchronizing changes in Exchange Online",
https://learn.microsoft.com/exchange/troubleshoot/user-and-shared-mailboxes/delays-provision-mailbox-sync-changes).
The sandbox provisions ``Strictness.licensing_seconds`` of sandbox clock after assignLicense
(strict: 120 s; kind: at once) and completes lazily: ``provision_due`` runs before every
Graph and Exchange request (moves/engine.py ``advance``), nothing in the background.

Exchange's reaction happens when its plan has provisioned, not at assignLicense:

- Licensing *scrubs* SMTP proxies in domains the tenant has not accepted: "When you apply a
  license on a Mailbox or MailUser object, all SMTP type proxyAddresses are scrubbed to
  ensure only verified domains are included"; "once an Exchange service plan object is
  applied to the MailUser via licensing operations … the Azure AD process starts to enforce
  proxy scrubbing" ([LEARN-24] https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration,
  "Prerequisites for target user objects" and "Known issues"; microsoft-t2t.md §4; [CT-OBJ],
  microsoft-365-docs #4344).
- A MailUser without an ExchangeGuid that holds an enabled Exchange Online plan gets a fresh,
  empty mailbox: it becomes a UserMailbox with a new ExchangeGuid, and the later move fails
  with "already has a primary mailbox" (microsoft-t2t.md §4 "Order constraint: license only
  after ExchangeGuid is set"; [LEARN-24]). A mailbox has no ExternalEmailAddress, so the
  conversion clears it (README open question 34).
- Exchange shows a licence's capabilities (``PersistedCapabilities``, e.g. the move
  service's ``ExchangeT2TMbxMove``) only once it has provisioned (exchange/directory.py), so a
  batch started before then fails CrossTenantMigrationWithoutLicensePermanentException when
  neither side holds a provisioned T2T licence ([LEARN-24] "Licensing").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from t2t.sandbox.model import AssignedLicense, SandboxState, Sku, Tenant, User, derived_guid
from t2t.sandbox.recipients import ZERO_GUID

EXCHANGE_PLAN_PREFIX = "EXCHANGE_S_"
"""Service plans that give a user an Exchange Online mailbox (EXCHANGE_S_STANDARD,
EXCHANGE_S_ENTERPRISE, EXCHANGE_S_DESKLESS, …; Microsoft's "Product names and service plan
identifiers for licensing" list). EXCHANGE_S_ARCHIVE_ADDON is an add-on, not a mailbox."""

_NOT_MAILBOX_PLANS = frozenset({"EXCHANGE_S_ARCHIVE_ADDON", "EXCHANGE_S_FOUNDATION"})


PENDING = "PendingInput"
"""A plan assigned but not yet confirmed by its service (servicePlanInfo.provisioningStatus)."""


def provisioned(lic: AssignedLicense) -> bool:
    """Whether the licence's service plans have provisioned (Exchange sees it)."""
    return lic.provisions_at is None


def plan_disabled(sku: Sku, lic: AssignedLicense, name: str) -> bool:
    disabled = {p.lower() for p in lic.disabled_plans}
    return name.lower() in disabled or sku.service_plan_ids.get(name, "").lower() in disabled


def provisioning_status(sku: Sku, lic: AssignedLicense, name: str) -> str:
    """One plan's ``provisioningStatus`` for this user: Disabled, PendingInput or Success."""
    if plan_disabled(sku, lic, name):
        return "Disabled"
    return "Success" if provisioned(lic) else PENDING


def service_of(plan_name: str) -> str:
    """``assignedPlans[].service`` / ``provisionedPlans[].service`` of a plan: "exchange"
    for Exchange Online plans (assignedPlan resource type: "for example, exchange"); the
    others by their workload's name as Graph shows them (assumed from the plan name)."""
    name = plan_name.upper()
    if name.startswith("EXCHANGE"):
        return "exchange"
    if name.startswith("SHAREPOINT"):
        return "SharePoint"
    if name.startswith("MCO") or name.startswith("TEAMS"):
        return "MicrosoftCommunicationsOnline"
    return plan_name


def has_exchange_plan(tenant: Tenant, user: User) -> bool:
    """Whether one of the user's provisioned licences holds an Exchange mailbox plan not
    disabled (a licence still provisioning has not reached Exchange)."""
    for lic in user.assigned_licenses:
        if not provisioned(lic):
            continue
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
    """A licensed MailUser without ExchangeGuid becomes a UserMailbox; True if it did. A fresh
    one — unless the user had a mailbox before (PreviousRecipientTypeDetails): licensing then
    reconnects that one ("when we license it again Office 365 will automatically reconnect
    the soft-deleted mailbox … because the PreviousRecipientTypeDetails property on user
    account is set to 'UserMailbox'", expta.com "Wash the unclean", 2018, the case the
    Exchange Team's "Permanently Clear Previous Mailbox Info" describes)."""
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
    r.exchange_guid = r.previous_exchange_guid or derived_guid(user.id, "provisioned-mailbox")
    r.external_email_address_before_licence = r.external_email_address
    r.external_email_address = None
    return True


def licences_removed(user: User, tenant: Tenant) -> bool:
    """A mailbox licensing made of a MailUser goes back to a MailUser once it holds no Exchange
    plan, keeping pointers to the mailbox it had: "remove the Exchange License … This will
    convert the cloud object … back to a Mail User … Exchange online keeps pointers that
    indicate that there used to be a mailbox in the cloud for this user" (Exchange Team blog,
    "Permanently Clear Previous Mailbox Info", 2018): PreviousRecipientTypeDetails and the
    previous mailbox GUID, until Set-User -PermanentlyClearPreviousMailboxInfo. True if it
    did. Other mailboxes losing their licence are not modelled."""
    r = user.recipient
    if (
        r is None
        or r.recipient_type_details != "UserMailbox"
        or r.external_email_address_before_licence is None
        or has_exchange_plan(tenant, user)
    ):
        return False
    r.recipient_type_details = "MailUser"
    r.previous_recipient_type_details = "UserMailbox"
    r.previous_exchange_guid = r.exchange_guid
    r.exchange_guid = ZERO_GUID
    r.external_email_address = r.external_email_address_before_licence
    r.external_email_address_before_licence = None
    return True


def licences_added(tenant: Tenant, user: User) -> None:
    """Exchange's reaction once added licences have provisioned: scrub, then provision a
    mailbox if due."""
    scrub_proxies(tenant, user)
    provision_mailbox(tenant, user)


def licences_assigned(
    tenant: Tenant,
    user: User,
    adds: Sequence[AssignedLicense],
    now: dt.datetime,
    seconds: float,
) -> None:
    """``addLicenses`` accepted at ``now``: the licences provision ``seconds`` later (at once,
    with Exchange's reaction, when 0)."""
    if not adds:
        return
    for lic in adds:
        lic.assigned_date_time = now
        lic.provisions_at = now + dt.timedelta(seconds=seconds) if seconds > 0 else None
    if seconds <= 0:
        licences_added(tenant, user)
        return
    due = min(lic.provisions_at for lic in adds if lic.provisions_at is not None)
    earlier = tenant.licences_provisioning.get(user.id)
    tenant.licences_provisioning[user.id] = min(due, earlier) if earlier else due


def provision_due(state: SandboxState, now: dt.datetime) -> bool:
    """Finish every licence whose provisioning is due at ``now``, with Exchange's reaction;
    True when anything changed. Looks only at users with licences provisioning."""
    changed = False
    for tenant in state.tenants:
        if not tenant.licences_provisioning:
            continue
        for user_id, due in list(tenant.licences_provisioning.items()):
            if due > now:
                continue
            del tenant.licences_provisioning[user_id]
            user = tenant.user_by_id(user_id)
            if user is None:
                continue
            finished = False
            later: list[dt.datetime] = []
            for lic in user.assigned_licenses:
                if lic.provisions_at is None:
                    continue
                if lic.provisions_at <= now:
                    lic.provisions_at = None
                    finished = True
                else:
                    later.append(lic.provisions_at)
            if later:
                tenant.licences_provisioning[user_id] = min(later)
            if finished:
                licences_added(tenant, user)
                changed = True
    if changed:
        state.bump()  # recipients changed: no cached Exchange page may predate it
    return changed


def provision_licensed_mail_users(state: SandboxState) -> bool:
    """Provision every licensed MailUser that lost (or never had) its ExchangeGuid — e.g.
    ``Set-MailUser -ExchangeGuid 00000000-…`` on a licensed one. True if any changed. Runs
    after every Exchange write, so it looks only at the users an index keeps as candidates
    (`_unstamped`), not at every user."""
    changed = False
    for tenant in state.tenants:
        index = tenant.index("licensed-mail-user-without-guid", _unstamped)
        for u in index.lookup(tenant.users, _UNSTAMPED):
            if u.recipient is not None and u.assigned_licenses:
                changed |= provision_mailbox(tenant, u)
    return changed


_UNSTAMPED = "unstamped"


def _unstamped(user: User) -> list[str]:
    """`_UNSTAMPED` for a licensed MailUser without ExchangeGuid: what `provision_mailbox`
    needs before it asks about the licence's plans (which read the tenant's SKUs)."""
    r = user.recipient
    if r is None or not user.assigned_licenses or not r.is_mail_user:
        return []
    return [_UNSTAMPED] if r.exchange_guid == ZERO_GUID else []
