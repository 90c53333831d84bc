"""Recipient lookups shared by the cmdlets and the move service.

Identity resolution follows Exchange's RecipientIdParameter / MailboxIdParameter /
MailUserIdParameter (Get-Mailbox reference, "-Identity"): name, alias, display name,
distinguished name, GUID, ExternalDirectoryObjectId, LegacyExchangeDN, user principal
name and any email address. Ambiguity is an error in Exchange
(ManagementObjectAmbiguousException, errors.py `ambiguous`): two objects of the kind a cmdlet
reads that both answer to the name — two recipients sharing a display name, or one's UPN
another's address — refuse the lookup rather than pick one.

Lookups go through the tenant's index of these identities (user_index.py): `_identity_keys`
gives every key `_matches` can accept, and each candidate is still checked with `_matches`, so
an answer is the scan's answer at the cost of the candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from t2t.sandbox.exchange.errors import ambiguous
from t2t.sandbox.model import Tenant, User, derived_guid
from t2t.sandbox.recipients import Recipient

_FOREST_DN = "DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"

CAPABILITY_BY_PLAN: dict[str, str] = {
    "EXCHANGE_S_STANDARD": "BPOS_S_Standard",
    "EXCHANGE_S_ENTERPRISE": "BPOS_S_Enterprise",
    "EXCHANGE_S_DESKLESS": "BPOS_S_Deskless",
    "EXCHANGE_S_ARCHIVE_ADDON": "BPOS_S_ArchiveAddOn",
    "EXCHANGEONLINE_T2TMBXMOVE": "ExchangeT2TMbxMove",
}
"""Service plan → Exchange ``PersistedCapabilities`` value. ``ExchangeT2TMbxMove`` is the
one the move service checks (microsoft-t2t.md §2, §5; CSS-VAL); the BPOS_* names are the
capability names EXO shows for those plans (assumption for the mapping)."""


def recipient_guid(user: User) -> str:
    """The recipient object's Exchange ``Guid`` (stable, derived from the user id)."""
    return derived_guid(user.id, "recipient")


def recipient_dn(tenant: Tenant, r: Recipient) -> str:
    return (
        f"CN={r.alias},OU={tenant.initial_domain},OU=Microsoft Exchange Hosted Organizations,"
        f"{_FOREST_DN}"
    )


def recipients(tenant: Tenant) -> Iterator[tuple[User, Recipient]]:
    for u in tenant.users:
        if u.recipient is not None:
            yield u, u.recipient


def _matches(tenant: Tenant, u: User, r: Recipient, key: str) -> bool:
    """Whether ``key`` (lower case, not empty) names this recipient. The identities that cost
    a computation — the GUID (a SHA-1) and the DN — are built only when the key has their
    shape, so a lookup that scans 50,000 recipients does not build 100,000 of them."""
    if key in (
        r.name.lower(),
        r.alias.lower(),
        u.display_name.lower(),
        u.user_principal_name.lower(),
        u.id.lower(),
        r.legacy_exchange_dn.lower(),
        r.primary_smtp_address.lower(),
    ):
        return True
    if any(a.lower() == key for a in r.smtp_addresses()):
        return True
    if len(key) == 36 and key.count("-") == 4 and recipient_guid(u) == key:
        return True
    return key.startswith("cn=") and recipient_dn(tenant, r).lower() == key


def _identity_keys(tenant: Tenant, u: User) -> Iterator[str]:
    """Every lower-case key `_matches` (or `find_user`) accepts for this user."""
    yield u.id.lower()
    yield u.user_principal_name.lower()
    yield u.display_name.lower()
    r = u.recipient
    if r is None:
        return
    yield r.name.lower()
    yield r.alias.lower()
    yield r.legacy_exchange_dn.lower()
    yield r.primary_smtp_address.lower()
    yield from (a.lower() for a in r.smtp_addresses())
    yield recipient_guid(u)
    yield recipient_dn(tenant, r).lower()


def _named(tenant: Tenant, key: str) -> list[User]:
    """The users one of whose identities is ``key`` (lower case), in directory order."""
    index = tenant.index(
        "exchange-identity",
        lambda u: _identity_keys(tenant, u),
        frozenset({"initial_domain"}),  # recipient_dn
    )
    return index.lookup(tenant.users, key)


def users_named(tenant: Tenant, identity: str) -> list[User]:
    """The users one of whose identities (name, UPN, SMTP address, id…) is ``identity``,
    from the index: candidates a caller still checks."""
    return _named(tenant, identity.strip().lower())


def find_recipient(
    tenant: Tenant,
    identity: str,
    accept: Callable[[Recipient], bool] | None = None,
    *,
    unique: bool = True,
) -> tuple[User, Recipient] | None:
    """The one recipient (of the kind ``accept`` admits) ``identity`` names; None when none
    does. Several: Exchange's ManagementObjectAmbiguousException (a CmdletError), unless
    ``unique`` is False — the sandbox's own lookups (the move engine, the control API), which
    take the first in directory order."""
    key = identity.strip().lower()
    if key.startswith("smtp:"):
        key = key[5:]
    if not key:
        return None
    found: tuple[User, Recipient] | None = None
    for u in _named(tenant, key):
        r = u.recipient
        if r is None or (accept is not None and not accept(r)):
            continue
        if _matches(tenant, u, r, key):
            if found is not None:
                raise ambiguous(identity)
            found = (u, r)
            if not unique:
                break
    return found


def find_user(tenant: Tenant, identity: str) -> User | None:
    """UserIdParameter: any directory user, recipient or not."""
    key = identity.strip().lower()
    if not key:
        return None
    for u in _named(tenant, key):
        if key in (u.id.lower(), u.user_principal_name.lower(), u.display_name.lower()):
            return u
        if u.recipient is not None and _matches(tenant, u, u.recipient, key):
            return u
    return None


def capabilities(tenant: Tenant, user: User) -> list[str]:
    """``PersistedCapabilities``: from the user's provisioned licences (a licence still
    provisioning has not reached Exchange, exchange/licensing.py), plus any set on the
    recipient."""
    out: list[str] = []
    for lic in user.assigned_licenses:
        if lic.provisions_at is not None:
            continue
        sku = next((s for s in tenant.skus if s.sku_id == lic.sku_id), None)
        if sku is None:
            continue
        for plan in sku.service_plans:
            cap = CAPABILITY_BY_PLAN.get(plan)
            if cap and plan not in lic.disabled_plans and cap not in out:
                out.append(cap)
    if user.recipient is not None:
        out += [c for c in user.recipient.persisted_capabilities if c not in out]
    return out


def address_owner(tenant: Tenant, address: str) -> str | None:
    """Name of the recipient, group or mail contact already using an SMTP address, if any."""
    key = address.lower()
    for u in _named(tenant, key):
        r = u.recipient
        if r is not None and key in (a.lower() for a in r.smtp_addresses()):
            return r.name
    for g in tenant.groups:
        if g.primary_smtp_address.lower() == key:
            return g.name
    for c in tenant.mail_contacts:
        if c.primary_smtp_address.lower() == key:
            return c.name
    return None


def name_taken(tenant: Tenant, name: str) -> bool:
    """Whether a recipient of any kind already has this Name. Every recipient of an Exchange
    Online organization lives in the organization's one OU and Name is its common name, so
    Name is unique across mailboxes, mail users, groups and contacts (New-MailContact
    reference: "The Name parameter specifies the unique name of the mail contact")."""
    key = name.lower()
    named = (u.recipient for u in _named(tenant, key))
    return (
        any(r is not None and r.name.lower() == key for r in named)
        or any(g.name.lower() == key for g in tenant.groups)
        or any(c.name.lower() == key for c in tenant.mail_contacts)
    )
