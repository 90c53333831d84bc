"""The sandbox's incremental store (state.py, journal.py, tracking.py): every change a handler
makes to the state tree reaches state.journal, a restart — clean or after a kill — rebuilds the
same state, and a write costs the same whatever the tenants' size."""

from __future__ import annotations

import datetime as dt
import json
import random
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from t2t.sandbox.azure.model import Certificate, ResourceGroup, Vault
from t2t.sandbox.generate import generate_seed_data
from t2t.sandbox.model import Group, MailContact, SandboxState, Tenant, User
from t2t.sandbox.recipients import MailboxPermissionEntry
from t2t.sandbox.state import StateDirError, StateStore, load_state

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _dump(state: SandboxState) -> dict[str, Any]:
    return state.model_dump(mode="json")


def _killed(store: StateStore) -> dict[str, Any]:
    """What a sandbox started after ``store``'s process was killed now would hold: the
    directory read as it is (no compaction has run)."""
    return _dump(load_state(store.dir)[0])


def _journal_lines(store: StateStore) -> list[str]:
    return store.journal_path.read_text().splitlines()


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "sb", None)


def _contoso(store: StateStore) -> Tenant:
    tenant = store.state.tenant_by_name("contoso")
    assert tenant is not None
    return tenant


def _mailbox(tenant: Tenant) -> User:
    return next(u for u in tenant.users if u.recipient is not None)


def test_every_kind_of_change_reaches_the_journal_and_a_restart(store: StateStore) -> None:
    t = _contoso(store)
    u = _mailbox(t)
    assert u.recipient is not None
    # fields, a nested model replaced by an edited deep copy (as Set-MailUser does)
    u.usage_location = "NL"
    u.created_date_time = T0
    r = u.recipient.model_copy(deep=True)
    r.email_addresses.append("smtp:copy@contoso.com")
    r.alias = "copied"
    u.recipient = r
    # list operations on the attached copy
    r.email_addresses.insert(0, "smtp:first@contoso.com")
    r.email_addresses.insert(-1, "smtp:second-last@contoso.com")
    r.email_addresses.pop(1)
    r.email_addresses.remove("smtp:copy@contoso.com")
    r.email_addresses.extend(["smtp:x@contoso.com", "smtp:y@contoso.com"])
    r.email_addresses += ["smtp:z@contoso.com"]
    r.email_addresses[0] = "smtp:replaced@contoso.com"
    r.email_addresses.sort()
    r.email_addresses.reverse()
    del r.email_addresses[0]
    r.email_addresses[1:3] = ["smtp:slice@contoso.com"]
    del r.email_addresses[-2:]
    r.in_place_holds.append("mbx1")
    r.in_place_holds.clear()
    r.permissions.append(MailboxPermissionEntry(user="admin@contoso.com"))
    r.permissions[0].access_rights.append("ReadPermission")
    r.permissions[0].deny = True
    store.save()
    # a new user, changed after it was added; a user moved to another list
    new = User(id="0ac1d2e3-0000-4000-8000-000000000001", user_principal_name="n@contoso.com",
               display_name="New")  # fmt: skip
    t.users.append(new)
    new.display_name = "Renamed after it was added"
    new.assigned_licenses.extend(u.assigned_licenses[:1])
    moved = t.users[1]
    t.deleted_users.append(moved)
    t.users.remove(moved)
    moved.deleted_date_time = T0  # now lives in deleted_users only
    # dicts: int keys, nested lists in a dict, an untyped (Any) dict
    t.mail_contacts.append(
        MailContact(guid="c0", name="c", alias="c", display_name="C",
                    external_email_address="SMTP:c@example.com", when_created=T0, when_changed=T0)
    )  # fmt: skip
    contact = t.mail_contacts[-1]
    contact.custom_attributes[3] = "three"
    contact.custom_attributes.update({7: "seven", 9: "nine"})
    del contact.custom_attributes[7]
    contact.custom_attributes.setdefault(11, "eleven")
    contact.custom_attributes.pop(9)
    client = t.clients[0]
    client.app_roles.setdefault("https://graph.microsoft.com", []).append("User.Read.All")
    client.app_roles["https://example.com"] = ["a", "b"]
    client.app_roles["https://example.com"].insert(1, "between")
    client.app_roles.pop("https://example.com")
    t.azure.resource_groups.append(ResourceGroup(name="rg", location="westeurope",
                                                 subscription_id="s", tags={"k": "v"},
                                                 created_at=T0))  # fmt: skip
    t.azure.resource_groups[-1].tags["k2"] = "v2"
    t.azure.resource_groups[-1].tags.clear()
    vault = Vault(name="v", resource_group="rg", subscription_id="s", location="westeurope",
                  tenant_id=t.tenant_id, created_at=T0, dns_ready_at=T0)  # fmt: skip
    vault.certificates.append(Certificate(name="c", policy={"x509": {"subject": "CN=a"}}))
    t.azure.vaults.append(vault)
    vault.certificates[0].policy["x509"]["subject"] = "CN=b"
    vault.certificates[0].policy["lifetime"] = [{"days": 1}]
    vault.certificates[0].policy["lifetime"][0]["days"] = 2
    t.groups[0].members.append(u.id)
    t.groups[0].members_added_at[u.id] = T0
    store.save()

    assert _killed(store) == _dump(store.state)
    store.close()
    assert len(_journal_lines(store)) == 1  # folded into state.json at stop
    assert _dump(StateStore(store.dir, None).state) == _dump(store.state)


def test_a_detached_copy_records_nothing_until_it_is_attached(store: StateStore) -> None:
    u = _mailbox(_contoso(store))
    assert u.recipient is not None
    copy = u.recipient.model_copy(deep=True)
    copy.alias = "not-saved"
    copy.email_addresses.append("smtp:not-saved@contoso.com")
    removed = _contoso(store).users.pop()
    removed.display_name = "changed after it was removed"
    store.save()
    assert "not-saved" not in store.journal_path.read_text()
    assert "changed after it was removed" not in store.journal_path.read_text()
    assert _killed(store) == _dump(store.state)


def test_a_model_that_is_not_tracked_is_refused_in_the_state(store: StateStore) -> None:
    class Stray(BaseModel):
        x: int = 0

    with pytest.raises(TypeError, match="Stray is kept in the sandbox state but does not derive"):
        _contoso(store).organization_config.in_place_holds.append(Stray())


def _group(guid: str) -> Group:
    return Group(
        guid=guid,
        name="g",
        display_name="g",
        alias="g",
        primary_smtp_address="g@x",
        recipient_type_details="MailUniversalSecurityGroup",
        distinguished_name="CN=g",
        when_created=T0,
        when_changed=T0,
    )


def _random_change(rnd: random.Random, t: Tenant) -> None:
    """One change of a kind handlers make, at a random place."""
    users = [u for u in t.users if u.recipient is not None]
    u = rnd.choice(users)
    assert u.recipient is not None
    addresses = u.recipient.email_addresses
    members = t.groups[0].members
    changes: list[Callable[[], object]] = [
        lambda: setattr(u, "usage_location", rnd.choice(["NL", "DE", None])),
        lambda: addresses.insert(rnd.randint(-3, len(addresses) + 2), f"smtp:{rnd.random()}@x"),
        lambda: addresses.pop(rnd.randrange(len(addresses))) if addresses else None,
        lambda: addresses.sort(key=lambda a: a[::-1]),
        lambda: members.append(rnd.choice(t.users).id),
        lambda: members.pop(0) if members else None,
        lambda: t.users.insert(rnd.randrange(len(t.users)), t.users.pop(rnd.randrange(5))),
        lambda: setattr(u.recipient, "item_count", rnd.randrange(10_000)),
        lambda: t.groups.append(_group(str(rnd.random()))),
        lambda: t.licences_provisioning.__setitem__(u.id, T0),
        lambda: t.licences_provisioning.pop(u.id, None),
    ]
    rnd.choice(changes)()


@pytest.mark.parametrize("seed", range(8))
def test_random_changes_replay_to_the_same_state(tmp_path: Path, seed: int) -> None:
    store = StateStore(tmp_path / "sb", None)
    rnd = random.Random(seed)
    for _ in range(30):
        for _ in range(rnd.randint(1, 6)):
            _random_change(rnd, _contoso(store))
        store.save()
    assert _killed(store) == _dump(store.state)


def test_state_json_is_untouched_by_writes_and_a_write_costs_the_same_at_any_size(
    tmp_path: Path,
) -> None:
    """A write appends one journal line whose size does not depend on how many mailboxes the
    tenants hold; state.json is not rewritten."""
    appended = []
    for n in (0, 2000):
        seed = tmp_path / f"seed-{n}.yaml"
        seed.write_text(yaml.safe_dump(generate_seed_data(n, target_mail_users=True)))
        store = StateStore(tmp_path / f"sb-{n}", seed)
        before = store.state_path.stat()
        size = store.journal_path.stat().st_size
        user = _contoso(store).user("debra@contoso.com")
        assert user is not None
        user.usage_location = "NL"
        store.save()
        after = store.state_path.stat()
        assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
            before.st_ino,
            before.st_mtime_ns,
            before.st_size,
        )
        appended.append(store.journal_path.stat().st_size - size)
    assert appended[0] == appended[1] < 200


def test_state_files_are_owner_only(store: StateStore) -> None:
    _contoso(store).display_name = "Contoso Ltd"
    store.save()
    for path in (store.state_path, store.journal_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_line_cut_short_by_a_kill_is_ignored(store: StateStore) -> None:
    _contoso(store).display_name = "acknowledged"
    store.save()
    expected = _dump(store.state)
    with store.journal_path.open("ab") as fh:  # the process died inside the next append
        fh.write(b'{"ops":[["set",["tenants",0,"display_name"],"never acknowl')
    assert _killed(store) == expected
    restarted = StateStore(store.dir, None)
    assert _dump(restarted.state) == expected
    assert len(_journal_lines(restarted)) == 1  # compacted at start: the torn line is gone


def test_a_journal_left_by_an_interrupted_compaction_is_not_applied_twice(
    store: StateStore,
) -> None:
    """Compaction writes state.json first, then a new journal; killed between the two, the
    old journal (naming the old snapshot) must not be replayed on the new snapshot."""
    _contoso(store).users.append(
        User(
            id="0ac1d2e3-0000-4000-8000-000000000002",
            user_principal_name="once@contoso.com",
            display_name="Once",
        )
    )
    store.save()
    old_journal = store.journal_path.read_bytes()
    store.close()  # compaction
    store.journal_path.write_bytes(old_journal)  # as if killed before the new journal
    restarted = StateStore(store.dir, None)
    assert [u.user_principal_name for u in _contoso(restarted).users].count("once@contoso.com") == 1


def test_a_damaged_journal_is_refused_with_its_line(store: StateStore) -> None:
    _contoso(store).display_name = "one"
    store.save()
    _contoso(store).display_name = "two"
    store.save()
    lines = store.journal_path.read_text().splitlines(keepends=True)
    lines[1] = "{ damaged\n"
    store.journal_path.write_text("".join(lines))
    with pytest.raises(StateDirError, match=r"state\.journal:2: unreadable.*make clean-sandbox"):
        StateStore(store.dir, None)


def test_an_operation_that_does_not_apply_is_refused_with_its_line(store: StateStore) -> None:
    _contoso(store).display_name = "one"
    store.save()
    with store.journal_path.open("a") as fh:
        fh.write(json.dumps({"ops": [["set", ["tenants", 9, "display_name"], "x"]]}) + "\n")
    with pytest.raises(StateDirError, match=r"state\.journal:3: cannot be applied"):
        StateStore(store.dir, None)


def test_reset_starts_a_new_snapshot_from_the_seed(store: StateStore) -> None:
    seeded = _dump(store.state)
    _contoso(store).display_name = "changed"
    store.save()
    store.reset()
    assert _dump(store.state) == seeded
    assert len(_journal_lines(store)) == 1
    _contoso(store).display_name = "after reset"
    store.save()
    assert _killed(store) == _dump(store.state)


def test_writes_after_a_clean_restart_go_on_the_same_journal(store: StateStore) -> None:
    _contoso(store).display_name = "before the stop"
    store.save()
    store.close()
    restarted = StateStore(store.dir, None)
    _contoso(restarted).display_name = "after the restart"
    restarted.save()
    assert len(_journal_lines(restarted)) == 2  # the header and this save
    assert _killed(restarted) == _dump(restarted.state)
    assert _contoso(StateStore(store.dir, None)).display_name == "after the restart"


def test_a_directory_without_a_journal_starts_one(store: StateStore) -> None:
    """A state directory from before journals (state.json alone, no id) is taken as it is."""
    before = _dump(store.state)
    body = store.state.model_dump_json(exclude_defaults=True)
    store.state_path.write_text(body)
    store.journal_path.unlink()
    restarted = StateStore(store.dir, None)
    assert _dump(restarted.state) == before
    _contoso(restarted).display_name = "kept"
    restarted.save()
    assert _contoso(StateStore(store.dir, None)).display_name == "kept"
