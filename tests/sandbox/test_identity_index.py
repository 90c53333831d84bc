"""The sandbox's user indexes (user_index.py, issue 14): identity resolution answers exactly what
the scan it replaced answered — after any change, through either surface, and after a restart
from the journal.

The oracle is the scan itself: `_matches` and the other predicates over every user in
directory order, first match first (the sandbox's documented reading of an ambiguous identity,
exchange/directory.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from t2t.sandbox.exchange.directory import (
    _matches,
    address_owner,
    find_recipient,
    find_user,
    name_taken,
    recipient_dn,
    recipient_guid,
    recipients,
)
from t2t.sandbox.exchange.errors import AMBIGUOUS, CmdletError
from t2t.sandbox.exchange.licensing import provision_licensed_mail_users
from t2t.sandbox.model import AssignedLicense, SandboxState, Tenant, User
from t2t.sandbox.recipients import ZERO_GUID, Recipient
from t2t.sandbox.state import StateStore, load_state
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import EXO_STANDARD_SKU, ok
from tests.sandbox.graph_helpers import graph_write
from tests.sandbox.helpers import error_detail
from tests.sandbox.module_forms import secure

Accept = Callable[[Recipient], bool] | None
ACCEPTS: tuple[Accept, ...] = (None, lambda r: r.is_mailbox, lambda r: r.is_mail_user)

# ------------------------------------------------------------------ the scans (oracle)


def _scan_recipients(t: Tenant, identity: str, accept: Accept) -> list[tuple[User, Recipient]]:
    key = identity.strip().lower()
    key = key[5:] if key.startswith("smtp:") else key
    if not key:
        return []
    return [
        (u, r) for u, r in recipients(t) if (accept is None or accept(r)) and _matches(t, u, r, key)
    ]


def _found(t: Tenant, identity: str, accept: Accept) -> object:
    """find_recipient's answer, or the exception type it raised (ambiguity)."""
    try:
        return find_recipient(t, identity, accept)
    except CmdletError as exc:
        return exc.exception_type


def _scanned(t: Tenant, identity: str, accept: Accept) -> object:
    """What Exchange answers: the one match, None, or ManagementObjectAmbiguousException."""
    found = _scan_recipients(t, identity, accept)
    return AMBIGUOUS if len(found) > 1 else (found[0] if found else None)


def _scan_user(t: Tenant, identity: str) -> User | None:
    key = identity.strip().lower()
    if not key:
        return None
    return next(
        (
            u
            for u in t.users
            if key in (u.id.lower(), u.user_principal_name.lower(), u.display_name.lower())
            or (u.recipient is not None and _matches(t, u, u.recipient, key))
        ),
        None,
    )


def _scan_graph_user(t: Tenant, key: str) -> User | None:
    k = key.lower()
    return next((u for u in t.users if u.id == k or u.user_principal_name.lower() == k), None)


def _scan_address_owner(t: Tenant, address: str) -> str | None:
    key = address.lower()
    for _, r in recipients(t):
        if key in (a.lower() for a in r.smtp_addresses()):
            return r.name
    return next((g.name for g in t.groups if g.primary_smtp_address.lower() == key), None) or next(
        (c.name for c in t.mail_contacts if c.primary_smtp_address.lower() == key), None
    )


def _scan_name_taken(t: Tenant, name: str) -> bool:
    key = name.lower()
    return (
        any(r.name.lower() == key for _, r in recipients(t))
        or any(g.name.lower() == key for g in t.groups)
        or any(c.name.lower() == key for c in t.mail_contacts)
    )


def _keys(t: Tenant, rnd: random.Random) -> list[str]:
    """Identities to ask for: every name of some users (as given, shouted, with ``smtp:``,
    padded) and a few that name nobody."""
    keys = ["", "  ", "smtp:", "nobody@contoso.com", "CN=nobody", "00000000-0000-0000-0000-0"]
    for u in rnd.sample(t.users, min(12, len(t.users))):
        keys += [u.id, u.id.upper(), u.user_principal_name, u.display_name.upper()]
        r = u.recipient
        if r is not None:
            keys += [r.name, f" {r.alias} ", r.legacy_exchange_dn, f"SMTP:{r.primary_smtp_address}"]
            keys += [*r.smtp_addresses(), recipient_guid(u), recipient_dn(t, r).lower()]
    return keys


def _same_as_the_scans(t: Tenant, rnd: random.Random) -> None:
    for key in _keys(t, rnd):
        for accept in ACCEPTS:
            assert _found(t, key, accept) == _scanned(t, key, accept), key
            first = next(iter(_scan_recipients(t, key, accept)), None)
            assert find_recipient(t, key, accept, unique=False) == first, key
        assert find_user(t, key) == _scan_user(t, key), key
        assert t.user(key) == _scan_graph_user(t, key), key
        assert address_owner(t, key) == _scan_address_owner(t, key), key
        assert name_taken(t, key) == _scan_name_taken(t, key), key
    for u in t.users[:20]:
        assert t.user_by_id(u.id) is next(x for x in t.users if x.id == u.id)
    for sku in t.skus:
        expected = sum(any(a.sku_id == sku.sku_id for a in u.assigned_licenses) for u in t.users)
        assert t.consumed_units(sku.sku_id) == expected


# ------------------------------------------------------------------ random changes


def _random_change(rnd: random.Random, t: Tenant) -> None:
    """One change to something an identity, a licence or the user list is made of."""
    u = rnd.choice(t.users)
    r = u.recipient
    other = rnd.choice(t.users)
    word = f"w{rnd.randrange(1000)}"

    def on_recipient(change: Callable[[Recipient], object]) -> Callable[[], object]:
        return lambda: change(r) if r is not None else None

    def replace_recipient() -> None:  # as Set-MailUser does: an edited deep copy
        if r is not None:
            copy = r.model_copy(deep=True)
            copy.email_addresses.append(f"smtp:{word}@fabrikam.com")
            copy.alias = word
            u.recipient = copy

    def duplicate() -> None:  # a second user with the same names: an ambiguous identity
        twin = other.model_copy(deep=True)
        twin.id = f"{rnd.randrange(16**8):08x}-0000-4000-8000-000000000000"
        t.users.insert(rnd.randrange(len(t.users) + 1), twin)

    changes: list[Callable[[], object]] = [
        on_recipient(lambda r: setattr(r, "alias", word)),
        on_recipient(lambda r: setattr(r, "name", other.display_name)),
        on_recipient(lambda r: setattr(r, "legacy_exchange_dn", f"/o=x/cn={word}")),
        on_recipient(lambda r: r.email_addresses.append(f"smtp:{word}@contoso.com")),
        on_recipient(lambda r: r.email_addresses.pop(0) if r.email_addresses else None),
        on_recipient(lambda r: r.email_addresses.sort(key=lambda a: a[::-1])),
        on_recipient(lambda r: setattr(r, "primary_smtp_address", f"{word}@contoso.com")),
        on_recipient(lambda r: setattr(r, "recipient_type_details", "MailUser")),
        on_recipient(lambda r: setattr(r, "exchange_guid", ZERO_GUID)),
        replace_recipient,
        lambda: setattr(u, "recipient", None),
        lambda: (
            setattr(u, "recipient", other.recipient.model_copy(deep=True))
            if other.recipient
            else None
        ),
        lambda: setattr(u, "display_name", other.display_name),
        lambda: setattr(u, "user_principal_name", f"{word}@contoso.com"),
        lambda: u.assigned_licenses.append(AssignedLicense(sku_id=rnd.choice(t.skus).sku_id)),
        lambda: u.assigned_licenses.clear(),
        duplicate,
        lambda: t.users.pop(rnd.randrange(len(t.users))) if len(t.users) > 20 else None,
        lambda: t.users.insert(rnd.randrange(len(t.users)), t.users.pop(rnd.randrange(5))),
        lambda: t.users.sort(key=lambda x: x.display_name),
        lambda: t.users.__setitem__(rnd.randrange(len(t.users)), other.model_copy(deep=True)),
        lambda: setattr(t, "initial_domain", rnd.choice(["contoso.onmicrosoft.com", "c.test"])),
        lambda: setattr(t, "users", list(reversed(t.users))),
    ]
    rnd.choice(changes)()


def _contoso(state: SandboxState) -> Tenant:
    tenant = state.tenant_by_name("contoso")
    assert tenant is not None
    return tenant


@pytest.mark.parametrize("seed", range(6))
def test_lookups_answer_as_the_scans_after_random_changes_and_a_restart(
    tmp_path: Path, seed: int
) -> None:
    store = StateStore(tmp_path / "sb", None)
    rnd = random.Random(seed)
    _same_as_the_scans(_contoso(store.state), rnd)  # the indexes are built: now kept current
    for _ in range(12):
        for _ in range(rnd.randint(1, 5)):
            _random_change(rnd, _contoso(store.state))
        _same_as_the_scans(_contoso(store.state), rnd)
        store.save()
    restarted = load_state(store.dir)[0]  # state.json and the journal replayed, as at start
    _same_as_the_scans(_contoso(restarted), random.Random(seed))


def test_a_change_rekeys_only_the_user_it_touched(tmp_path: Path) -> None:
    """What makes a write cost the same at any size: after the first lookup builds an index,
    a change beneath one user (a proxy address, a replaced recipient) or an added user costs
    one call of the key function, a new value of a tenant field the keys do not read costs
    nothing; a change to the user list that is not an addition rebuilds the index on the next
    lookup."""
    t = _contoso(StateStore(tmp_path / "sb", None).state)
    keyed: list[str] = []

    def keys(u: User) -> list[str]:
        keyed.append(u.id)
        return [u.user_principal_name.lower()]

    index = t.index("test", keys)
    u, v = [x for x in t.users if x.recipient is not None][:2]
    assert index.lookup(t.users, u.user_principal_name.lower()) == [u]
    assert len(keyed) == len(t.users)
    keyed.clear()
    assert u.recipient is not None
    u.recipient.email_addresses.append("smtp:extra@contoso.com")
    v.recipient = None
    u.user_principal_name = "renamed@contoso.com"
    assert index.lookup(t.users, "renamed@contoso.com") == [u]
    assert sorted(keyed) == sorted([u.id, v.id])
    keyed.clear()
    twin = u.model_copy(deep=True)
    t.users.append(twin)
    assert index.lookup(t.users, "renamed@contoso.com") == [u, twin]
    assert keyed == [twin.id]
    keyed.clear()
    t.mail_contacts = list(t.mail_contacts)  # as Set-MailContact does (the apply lease)
    t.initial_domain = "contoso-renamed.onmicrosoft.com"
    assert index.lookup(t.users, "renamed@contoso.com") == [u, twin]
    assert keyed == []
    t.users.pop()
    assert index.lookup(t.users, "renamed@contoso.com") == [u]
    assert len(keyed) == len(t.users)


def test_licensed_mail_users_without_guid_are_provisioned_whichever_change_made_them(
    tmp_path: Path,
) -> None:
    """provision_licensed_mail_users looks only at its index's candidates: a licensed MailUser
    whose ExchangeGuid is cleared — or a MailUser without one that gets a licence, or a user
    that becomes such a MailUser — is provisioned at the next Exchange write, in directory
    order; a licensed MailUser keeping its ExchangeGuid is not."""
    state = StateStore(tmp_path / "sb", None).state
    t = _contoso(state)
    sku = next(s for s in t.skus if s.sku_id == EXO_STANDARD_SKU)
    assert provision_licensed_mail_users(state) is False
    made: list[User] = []
    for i, u in enumerate([u for u in t.users if u.recipient is not None][:4]):
        assert u.recipient is not None
        r = u.recipient.model_copy(deep=True)
        r.recipient_type_details = "MailUser"
        r.exchange_guid = ZERO_GUID if i != 3 else "11111111-2222-4333-8444-555555555555"
        u.recipient = r
        u.assigned_licenses = [AssignedLicense(sku_id=sku.sku_id)] if i != 1 else []
        made.append(u)
    assert provision_licensed_mail_users(state) is True
    kinds = [u.recipient.recipient_type_details for u in made if u.recipient]
    assert kinds == ["UserMailbox", "MailUser", "UserMailbox", "MailUser"]
    made[1].assigned_licenses.append(AssignedLicense(sku_id=sku.sku_id))
    assert provision_licensed_mail_users(state) is True
    assert made[1].recipient is not None and made[1].recipient.is_mailbox
    assert provision_licensed_mail_users(state) is False


# ------------------------------------------------------------------ over HTTPS


def _not_found(sandbox: SandboxHandle, cmdlet: str, identity: str) -> bool:
    r = sandbox.invoke("fabrikam", cmdlet, {"Identity": identity})
    if r.status_code == 200:
        return False
    assert r.status_code == 404, r.text
    return error_detail(r)[1].endswith("ManagementObjectNotFoundException")


def _resolves(sandbox: SandboxHandle, cmdlet: str, identity: str) -> dict[str, Any]:
    [found] = ok(sandbox, "fabrikam", cmdlet, {"Identity": identity})
    return found


def test_renamed_identities_resolve_by_their_new_names_only(sandbox: SandboxHandle) -> None:
    """Set-MailUser changing an address and an alias, and Graph changing a display name: the
    new names resolve at once, the names given up do not, the rest still do."""
    ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": "idx-one",
            "MicrosoftOnlineServicesID": "idx-one@fabrikam.com",
            "Password": secure(sandbox, "Pa55-word-never-logged"),
            "PrimarySmtpAddress": "idx-one@fabrikam.com",
            "ExternalEmailAddress": "idx-one@contoso.com",
            "DisplayName": "Idx Display One",
        },
    )
    added = {"add": ["smtp:idx-extra@fabrikam.com"], "@odata.type": "#Exchange.GenericHashTable"}
    ok(sandbox, "fabrikam", "Set-MailUser", {"Identity": "idx-one", "EmailAddresses": added})
    assert _resolves(sandbox, "Get-MailUser", "idx-extra@fabrikam.com")["Name"] == "idx-one"
    removed = {"remove": ["smtp:idx-extra@fabrikam.com"], "@odata.type": added["@odata.type"]}
    ok(sandbox, "fabrikam", "Set-MailUser", {"Identity": "idx-one", "EmailAddresses": removed})
    assert _not_found(sandbox, "Get-MailUser", "idx-extra@fabrikam.com")
    assert _not_found(sandbox, "Get-Recipient", "smtp:idx-extra@fabrikam.com")

    ok(sandbox, "fabrikam", "Set-MailUser", {"Identity": "idx-one", "Alias": "idx-renamed"})
    found = _resolves(sandbox, "Get-MailUser", "idx-renamed")
    assert found["Name"] == "idx-one"
    assert _resolves(sandbox, "Get-Recipient", found["DistinguishedName"])["Name"] == "idx-one"
    assert found["DistinguishedName"].startswith("CN=idx-renamed,")
    old_dn = found["DistinguishedName"].replace("CN=idx-renamed,", "CN=idx-one,")
    assert _not_found(sandbox, "Get-Recipient", old_dn)
    assert _resolves(sandbox, "Get-MailUser", "idx-one")["Alias"] == "idx-renamed"  # its Name

    assert _resolves(sandbox, "Get-User", "idx display one")["DisplayName"] == "Idx Display One"
    r = graph_write(
        sandbox, "fabrikam", "PATCH", "/users/idx-one@fabrikam.com", json={"displayName": "Ix Q"}
    )
    assert r.status_code == 204, r.text
    assert _resolves(sandbox, "Get-User", "ix q")["UserPrincipalName"] == "idx-one@fabrikam.com"
    assert _resolves(sandbox, "Get-MailUser", "IX Q")["Name"] == "idx-one"
    assert _not_found(sandbox, "Get-User", "Idx Display One")
    assert _not_found(sandbox, "Get-MailUser", "Idx Display One")


def test_a_mail_user_licensed_into_a_mailbox_resolves_as_a_mailbox_only(
    sandbox: SandboxHandle,
) -> None:
    """-Identity of Get-MailUser accepts mail users only: once licensing has made the MailUser
    without ExchangeGuid a mailbox (exchange/licensing.py), Get-MailUser no longer finds it by
    any of its names and Get-Mailbox does."""
    ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": "idx-two",
            "MicrosoftOnlineServicesID": "idx-two@fabrikam.com",
            "Password": secure(sandbox, "Pa55-word-never-logged"),
            "PrimarySmtpAddress": "idx-two@fabrikam.com",
            "ExternalEmailAddress": "idx-two@contoso.com",
        },
    )
    assert _resolves(sandbox, "Get-MailUser", "idx-two@fabrikam.com")["Name"] == "idx-two"
    r = graph_write(
        sandbox, "fabrikam", "PATCH", "/users/idx-two@fabrikam.com", json={"usageLocation": "NL"}
    )
    assert r.status_code == 204, r.text
    r = graph_write(
        sandbox,
        "fabrikam",
        "POST",
        "/users/idx-two@fabrikam.com/assignLicense",
        json={"addLicenses": [{"skuId": EXO_STANDARD_SKU}], "removeLicenses": []},
    )
    assert r.status_code == 200, r.text
    advance = sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": 24 * 3600}
    )
    advance.raise_for_status()
    assert _resolves(sandbox, "Get-Mailbox", "idx-two")["RecipientTypeDetails"] == "UserMailbox"
    for name in ("idx-two", "idx-two@fabrikam.com", "smtp:idx-two@fabrikam.com"):
        assert _not_found(sandbox, "Get-MailUser", name)
