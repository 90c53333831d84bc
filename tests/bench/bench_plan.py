"""Benchmark: build_plan on a synthetic snapshot of 10,000 and 50,000 mailboxes.

Half the targets are absent (the whole chain: create → identity → usageLocation → licence),
a quarter are MailUsers missing their stamping, a quarter are prepared (nothing to do); one
in fifty sources is on hold. Writes tests/bench/results/plan.json; no assertion on time.

    .venv/bin/python tests/bench/bench_plan.py [N ...]
"""

from __future__ import annotations

import json
import platform
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.planner import build_plan  # noqa: E402
from t2t.render.text import render_plan  # noqa: E402
from t2t.spec import load_spec  # noqa: E402
from t2t.spec.desired import DesiredBatch, DesiredMailbox, Origin  # noqa: E402
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState  # noqa: E402
from t2t.state.directory import DirectoryUser, SubscribedSku  # noqa: E402
from t2t.state.exchange import (  # noqa: E402
    ZERO_GUID,
    AcceptedDomain,
    MailboxStatistics,
    Recipient,
)

STD = "4b9405b0-7788-4568-add1-99614e613b69"
T2T = "946ce899-873d-44bb-9d8b-671870cbfdbf"
ORIGIN = Origin(path="bench.yaml", line=1, col=1)


def guid(i: int, kind: int) -> str:
    return f"{i:08x}-{kind:04x}-4000-8000-{i:012x}"


def world(n: int) -> tuple[object, Snapshot]:
    base = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml")
    mailboxes = tuple(
        DesiredMailbox(
            source=f"user{i}@contoso.com",
            target=f"user{i}@fabrikam.com",
            upn=f"user{i}@fabrikam.onmicrosoft.com",
            batch=f"wave-{i // 2000}",
            origin=ORIGIN,
            source_key=f"user{i}@contoso.com",
            target_key=f"user{i}@fabrikam.com",
        )
        for i in range(n)
    )
    batches = tuple(
        DesiredBatch(
            name=f"wave-{w}",
            mailboxes=tuple(m.target for m in mailboxes[w * 2000 : (w + 1) * 2000]),
            target_delivery_domain="fabrikam.mail.onmicrosoft.com",
            phase="prepare",
            complete_after=None,
            origin=ORIGIN,
        )
        for w in range((n + 1999) // 2000)
    )
    desired = base.model_copy(update={"mailboxes": mailboxes, "batches": batches})
    sources, targets, users = [], [], []
    for i in range(n):
        legacy = f"/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn={i:032x}-u{i}"
        sources.append(
            Recipient(
                identity=f"user{i}",
                guid=guid(i, 1),
                user_principal_name=f"user{i}@contoso.com",
                primary_smtp_address=f"user{i}@contoso.com",
                recipient_type_details="UserMailbox",
                exchange_guid=guid(i, 2),
                archive_guid=guid(i, 3) if i % 3 == 0 else ZERO_GUID,
                legacy_exchange_dn=legacy,
                email_addresses=(f"SMTP:user{i}@contoso.com", f"x500:/o=Old/cn=user{i}"),
                external_email_address=None,
                is_dir_synced=False,
                persisted_capabilities=(),
                litigation_hold=i % 50 == 0,
                display_name=f"User {i}",
            )
        )
        if i % 2 == 0:
            continue
        prepared = i % 4 == 3
        targets.append(
            Recipient(
                identity=f"user{i}-t",
                guid=guid(i, 4),
                user_principal_name=f"user{i}@fabrikam.onmicrosoft.com",
                primary_smtp_address=f"user{i}@fabrikam.com",
                recipient_type_details="MailUser",
                exchange_guid=guid(i, 2) if prepared else ZERO_GUID,
                archive_guid=guid(i, 3) if prepared and i % 3 == 0 else ZERO_GUID,
                legacy_exchange_dn=f"/o=t/cn=user{i}",
                email_addresses=(f"SMTP:user{i}@fabrikam.com",)
                + (
                    (
                        f"X500:{legacy}",
                        f"X500:/o=Old/cn=user{i}",
                        f"smtp:user{i}@fabrikam.mail.onmicrosoft.com",
                    )
                    if prepared
                    else ()
                ),
                external_email_address=f"SMTP:user{i}@contoso.com",
                is_dir_synced=False,
                persisted_capabilities=(),
            )
        )
        users.append(
            DirectoryUser(
                id=guid(i, 5),
                user_principal_name=f"user{i}@fabrikam.onmicrosoft.com",
                display_name=f"User {i}",
                mail=None,
                usage_location="NL" if prepared else None,
                sku_ids=frozenset({STD, T2T}) if prepared else frozenset(),
                on_premises_sync_enabled=False,
                user_type="Member",
            )
        )

    def tenant(role: str, **parts: object) -> TenantState:
        return TenantState(
            role=role,  # type: ignore[arg-type]
            tenant_id=role,
            organization=Fact.present(OrganizationConfig(name=role, is_dehydrated=False)),
            relationships=Fact.present(()),
            identity_roles=Fact.present(()),
            **{k: Fact.present(v) for k, v in parts.items()},  # type: ignore[arg-type]
        )

    snapshot = Snapshot(
        source=tenant(
            "source",
            recipients=tuple(sources),
            statistics=tuple(MailboxStatistics(s.exchange_guid, 10**9, 10**8) for s in sources),
        ),
        target=tenant(
            "target",
            recipients=tuple(targets),
            users=tuple(users),
            skus=(
                SubscribedSku(STD, "EXCHANGESTANDARD", 10 * n, 0),
                SubscribedSku(T2T, "Cross_tenant_user_data_migration", 10 * n, 0),
            ),
            accepted_domains=tuple(
                AcceptedDomain(d, "Authoritative")
                for d in (
                    "fabrikam.com",
                    "fabrikam.onmicrosoft.com",
                    "fabrikam.mail.onmicrosoft.com",
                )
            ),
            migration_users=(),
        ),
    )
    return desired, snapshot


def measure(n: int) -> dict[str, object]:
    desired, snapshot = world(n)
    best = float("inf")
    plan = None
    for _ in range(3):
        started = time.perf_counter()
        plan = build_plan(desired, snapshot)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - started)
    assert plan is not None
    tracemalloc.start()
    build_plan(desired, snapshot)  # type: ignore[arg-type]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    started = time.perf_counter()
    text = render_plan(plan)
    render = time.perf_counter() - started
    return {
        "mailboxes": n,
        "actions": len(plan.actions),
        "findings": len(plan.findings),
        "build_plan_best_of_3_s": round(best, 3),
        "build_plan_peak_mib": round(peak / 2**20, 1),
        "render_text_s": round(render, 3),
        "render_text_lines": text.count("\n"),
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 50_000]
    results = [measure(n) for n in sizes]
    out = {"python": platform.python_version(), "machine": platform.machine(), "results": results}
    path = Path(__file__).parent / "results" / "plan.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
