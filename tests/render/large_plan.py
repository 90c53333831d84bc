"""A merger of N mailboxes as the planner sees it, for tests and benchmarks of plan output at
scale (not a test module).

Both tenants are whole (tests/planner/observed.py `whole_tenant`: every part read; what is
not listed is present and empty), so every domain plans — the org setup from nothing (the
app, consent, the scope group's members, both relationships, the endpoint) as well as the
mailboxes. The spec is specs/contoso-to-fabrikam.yaml with N generated mailboxes in waves of
2,000 (`phase: sync`, so each wave's batch is planned). Each source mailbox has two X500s of
a real LegacyExchangeDN's length (every third an archive, one in fifty on litigation hold);
the target holds a MailUser for every other mailbox, half of those already stamped.
"""

from __future__ import annotations

from pathlib import Path

from t2t.planner import Plan, build_plan
from t2t.spec import Desired, load_spec
from t2t.spec.desired import DesiredBatch, DesiredMailbox, Origin
from t2t.state import Snapshot
from t2t.state.directory import DirectoryUser, SubscribedSku
from t2t.state.exchange import (
    ZERO_GUID,
    AcceptedDomain,
    MailboxStatistics,
    MailGroup,
    Recipient,
)
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"
WAVE = 2000
STD = "4b9405b0-7788-4568-add1-99614e613b69"
T2T = "946ce899-873d-44bb-9d8b-671870cbfdbf"
ORIGIN = Origin(path="large.yaml", line=1, col=1)
DELIVERY = "fabrikam.mail.onmicrosoft.com"


def guid(i: int, kind: int) -> str:
    return f"{i:08x}-{kind:04x}-4000-8000-{i:012x}"


def source_address(i: int) -> str:
    return f"user{i:05d}@contoso.com"


def target_address(i: int) -> str:
    return f"user{i:05d}@fabrikam.com"


def legacy_dn(i: int) -> str:
    """A LegacyExchangeDN as Exchange Online writes them (~130 characters)."""
    return (
        "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/"
        f"cn={i:032x}-user{i:05d}"
    )


def old_x500(i: int) -> str:
    return f"X500:/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=user{i:05d}"


def _desired(n: int) -> Desired:
    base = load_spec(SPEC)
    mailboxes = tuple(
        DesiredMailbox(
            source=source_address(i),
            target=target_address(i),
            upn=f"user{i:05d}@fabrikam.onmicrosoft.com",
            batch=f"wave-{i // WAVE + 1}",
            origin=ORIGIN,
            source_key=source_address(i),
            target_key=target_address(i),
        )
        for i in range(n)
    )
    batches = tuple(
        DesiredBatch(
            name=f"wave-{w + 1}",
            mailboxes=tuple(m.target for m in mailboxes[w * WAVE : (w + 1) * WAVE]),
            target_delivery_domain=DELIVERY,
            phase="sync",
            complete_after=None,
            origin=ORIGIN,
        )
        for w in range((n + WAVE - 1) // WAVE)
    )
    return base.model_copy(update={"mailboxes": mailboxes, "batches": batches})


def _source(i: int) -> Recipient:
    return Recipient(
        identity=f"user{i:05d}",
        guid=guid(i, 1),
        user_principal_name=source_address(i),
        primary_smtp_address=source_address(i),
        recipient_type_details="UserMailbox",
        exchange_guid=guid(i, 2),
        archive_guid=guid(i, 3) if i % 3 == 0 else ZERO_GUID,
        legacy_exchange_dn=legacy_dn(i),
        email_addresses=(f"SMTP:{source_address(i)}", old_x500(i)),
        external_email_address=None,
        is_dir_synced=False,
        persisted_capabilities=(),
        litigation_hold=i % 50 == 0,
        display_name=f"User {i:05d}",
    )


def _target(i: int, stamped: bool) -> Recipient:
    proxies = (f"X500:{legacy_dn(i)}", old_x500(i), f"smtp:user{i:05d}@{DELIVERY}")
    return Recipient(
        identity=f"user{i:05d}-t",
        guid=guid(i, 4),
        user_principal_name=f"user{i:05d}@fabrikam.onmicrosoft.com",
        primary_smtp_address=target_address(i),
        recipient_type_details="MailUser",
        exchange_guid=guid(i, 2) if stamped else ZERO_GUID,
        archive_guid=guid(i, 3) if stamped and i % 3 == 0 else ZERO_GUID,
        legacy_exchange_dn=f"/o=t/cn=user{i:05d}",
        email_addresses=(f"SMTP:{target_address(i)}", *(proxies if stamped else ())),
        external_email_address=f"SMTP:{source_address(i)}",
        is_dir_synced=False,
        persisted_capabilities=(),
    )


def _user(i: int, stamped: bool) -> DirectoryUser:
    return DirectoryUser(
        id=guid(i, 5),
        user_principal_name=f"user{i:05d}@fabrikam.onmicrosoft.com",
        display_name=f"User {i:05d}",
        mail=None,
        usage_location="NL" if stamped else None,
        sku_ids=frozenset({STD, T2T}) if stamped else frozenset(),
        on_premises_sync_enabled=False,
        user_type="Member",
    )


def large_world(n: int) -> tuple[Desired, Snapshot]:
    desired = _desired(n)
    sources = [_source(i) for i in range(n)]
    half = [i for i in range(n) if i % 2 == 1]
    source = whole_tenant(
        "source",
        desired.source.tenant_id,
        recipients=sources,
        statistics=[MailboxStatistics(s.exchange_guid, 10**9, 10**8) for s in sources],
        groups=[
            MailGroup(
                "t2tmigrationscope",
                "t2tmigrationscope",
                "t2t@contoso.com",
                "MailUniversalSecurityGroup",
                False,
            )
        ],
    )
    target = whole_tenant(
        "target",
        desired.target.tenant_id,
        recipients=[_target(i, stamped=i % 4 == 3) for i in half],
        users=[_user(i, stamped=i % 4 == 3) for i in half],
        skus=[
            SubscribedSku(STD, "EXCHANGESTANDARD", 10 * n, 0),
            SubscribedSku(T2T, "Cross_tenant_user_data_migration", 10 * n, 0),
        ],
        accepted_domains=[
            AcceptedDomain(d, "Authoritative")
            for d in ("fabrikam.com", "fabrikam.onmicrosoft.com", DELIVERY)
        ],
    )
    return desired, Snapshot(source=source, target=target, read_at="2026-12-07T00:00:00Z")


def large_plan(n: int) -> Plan:
    desired, snapshot = large_world(n)
    return build_plan(desired, snapshot)
