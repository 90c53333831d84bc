"""The delegates domain's notice of the wave mailboxes whose permissions were not read
(t2t/planner/delegates/domain.py `unread_notice`), whole: which mailboxes it counts (a wave
mailbox still a mailbox, with no record in the mailbox permissions — or, with
delegates.calendars, in either part), the waves it names (case-insensitive order, five then a
count) and what it says each mode reads. The cases show one wave; these show the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from t2t.planner.context import PlanContext
from t2t.planner.domain import plan_domain
from t2t.spec import Desired, load_spec
from t2t.state import Snapshot
from t2t.state.exchange import ZERO_GUID, MailboxGrants, Recipient
from tests.planner.cases import BY_DOMAIN
from tests.planner.observed import whole_tenant

SPEC = """\
version: 1
name: notice
source:
  tenantId: 6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20
  domain: contoso.onmicrosoft.com
  auth: {{clientId: 0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d, secret: env:T2T_SOURCE_SECRET}}
target:
  tenantId: 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60
  domain: fabrikam.onmicrosoft.com
  auth: {{clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e, secret: env:T2T_TARGET_SECRET}}
relationship:
  app: {{appId: 5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f}}
  credential: clientSecret
  scopeGroup: t2tmigrationscope
  endpoint: {{name: contoso-t2t}}
identities:
  rewrite: [{{from: contoso.com, to: fabrikam.com}}]
  mailboxes: [{mailboxes}]
batches:
{batches}
delegates: {{calendars: {calendars}}}
"""
TAIL = (
    " per mailbox, made only for the mailboxes whose batch this run may create — so T2T-W350 "
    "names no {held} held on them (their SendAs, send on behalf, forwarding and group "
    "memberships are read in bulk and named). t2t plan --report FILE.csv reads and lists every "
    "wave mailbox's; delegates.keepTogether: true reads them all for T2T-E350."
)


def desired(tmp_path: Path, waves: dict[str, list[str]], *, calendars: bool) -> Desired:
    """A spec moving `waves` (wave → local parts @contoso.com), and nina in no wave."""
    names = [n for members in waves.values() for n in members] + ["nina"]
    batches = "".join(
        f"- {{name: {wave}, targetDeliveryDomain: fabrikam.mail.onmicrosoft.com, phase: sync, "
        f"mailboxes: [{', '.join(f'{n}@contoso.com' for n in members)}]}}\n"
        for wave, members in waves.items()
    )
    path = tmp_path / "spec.yaml"
    path.write_text(
        SPEC.format(
            mailboxes=", ".join(f"{n}@contoso.com" for n in names),
            batches=batches,
            calendars=str(calendars).lower(),
        ),
        encoding="utf-8",
    )
    return load_spec(path, check_git=False)


def recipient(name: str, kind: str = "UserMailbox") -> Recipient:
    address = f"{name}@contoso.com"
    return Recipient(
        identity=name,
        guid="",
        user_principal_name=address,
        primary_smtp_address=address,
        recipient_type_details=kind,
        exchange_guid=ZERO_GUID,
        archive_guid=ZERO_GUID,
        legacy_exchange_dn="",
        email_addresses=(f"SMTP:{address}",),
        external_email_address=None,
        is_dir_synced=False,
        persisted_capabilities=(),
    )


def read(*names: str) -> list[MailboxGrants]:
    """The per-mailbox records of a part read for `names` (no grants on them)."""
    return [MailboxGrants(mailbox=f"{n}@contoso.com", grants=()) for n in names]


def notices(
    spec: Desired, recipients: list[Recipient], mailbox: list[MailboxGrants], calendar: list[Any]
) -> list[str]:
    source = whole_tenant(
        "source",
        recipients=recipients,
        mailbox_permissions=mailbox,
        calendar_permissions=calendar,
    )
    ctx = PlanContext(spec, Snapshot(source=source, target=whole_tenant("target")))
    outcome = plan_domain(BY_DOMAIN["delegates"], ctx)
    assert (outcome.actions, outcome.findings) == ([], [])  # no grant anywhere: nothing lost
    return outcome.notices


def test_past_five_waves_the_notice_counts_the_rest_in_case_insensitive_order(
    tmp_path: Path,
) -> None:
    """Mailbox permissions only: six waves with an unread mailbox each, named a to f whatever
    their case; ann (read), pat (a MailUser: moved already) and nina (in no wave) are not
    counted."""
    spec = desired(
        tmp_path,
        {
            "wave-f": ["fay"],
            "Wave-b": ["bo"],
            "wave-a": ["al", "ann"],
            "wave-c": ["cy", "pat"],
            "wave-d": ["di"],
            "wave-e": ["ed"],
        },
        calendars=False,
    )
    people = [recipient(n) for n in ("fay", "bo", "al", "ann", "cy", "di", "ed", "nina")]
    assert notices(spec, [*people, recipient("pat", "MailUser")], read("ann"), []) == [
        "delegates: the mailbox permissions of 6 wave mailbox(es) in wave-a, Wave-b, wave-c, "
        "wave-d, wave-e and 1 more were not read — one Get-MailboxPermission"
        + TAIL.format(held="FullAccess or other mailbox right")
    ]


def test_with_calendars_a_mailbox_missing_from_either_part_counts_once(tmp_path: Path) -> None:
    """delegates.calendars: al was read for mailbox permissions only, bo for calendar
    permissions only, cy, di and ed for neither (each counted once), ann for both; exactly
    five waves are all named, with no count."""
    spec = desired(
        tmp_path,
        {"w1": ["al", "ann"], "w2": ["bo"], "w3": ["cy"], "w4": ["di"], "w5": ["ed"]},
        calendars=True,
    )
    people = [recipient(n) for n in ("al", "ann", "bo", "cy", "di", "ed", "nina")]
    assert notices(spec, people, read("al", "ann"), read("bo", "ann")) == [
        "delegates: the mailbox and calendar permissions of 5 wave mailbox(es) in w1, w2, w3, "
        "w4, w5 were not read — one Get-MailboxPermission and Get-MailboxFolderPermission"
        + TAIL.format(held="FullAccess, other mailbox right or calendar permission")
    ]


def test_every_wave_mailbox_read_gives_no_notice(tmp_path: Path) -> None:
    spec = desired(tmp_path, {"w1": ["al"], "w2": ["bo"]}, calendars=True)
    people = [recipient(n) for n in ("al", "bo", "nina")]
    assert notices(spec, people, read("al", "bo"), read("al", "bo")) == []
