"""Probes against the sandbox over real HTTPS: everything read, nothing written, faults
survived, and an unreadable collection is unknown — never absent."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.probes import SOURCE_PARTS, TARGET_PARTS, ProbeRequest, read_snapshot
from t2t.spec import load_spec
from t2t.state import Snapshot
from tests.real_clients import admin_identity

SPEC = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")


def _request(**overrides: Any) -> ProbeRequest:
    base: dict[str, Any] = {
        "source_tenant_id": SPEC.source.tenant_id,
        "target_tenant_id": SPEC.target.tenant_id,
        "source_parts": SOURCE_PARTS,
        "target_parts": TARGET_PARTS,
        "app_id": SPEC.relationship.app.app_id,
        "scope_groups": tuple(SPEC.relationship.scope_groups),
    }
    base.update(overrides)
    return ProbeRequest(**base)


RETRIES: list[int] = []


def snapshot(sandbox: Any, request: ProbeRequest | None = None) -> Snapshot:
    hosts = sandbox_hosts(sandbox.profile)

    async def go() -> Snapshot:
        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            src = connect(http, hosts, admin_identity(sandbox, "contoso"))
            tgt = connect(http, hosts, admin_identity(sandbox, "fabrikam"))
            try:
                return await read_snapshot(
                    request or _request(),
                    (src.exchange, src.graph),
                    (tgt.exchange, tgt.graph),
                )
            finally:
                src.tokens.close()
                tgt.tokens.close()
                RETRIES.append(http.counter.retries)

    return asyncio.run(go())


def test_full_snapshot_reads_everything_and_writes_nothing(sandbox: Any) -> None:
    snap = snapshot(sandbox)
    assert snap.unknowns() == []
    stats = sandbox.stats()
    assert stats["writes"] == 0
    mailboxes = {r.primary_smtp_address.lower(): r for r in snap.source.recipients.get()}  # type: ignore[union-attr]
    debra = mailboxes["debra@contoso.com"]
    assert debra.recipient_type_details == "UserMailbox"
    assert debra.exchange_guid != "00000000-0000-0000-0000-000000000000"
    assert debra.legacy_exchange_dn
    domains = {d.domain_name for d in snap.target.accepted_domains.get()}  # type: ignore[union-attr]
    assert "fabrikam.mail.onmicrosoft.com" in domains
    apps = snap.target.applications.get()  # type: ignore[union-attr]
    assert [a.app_id for a in apps] == [SPEC.relationship.app.app_id]
    sps = {sp.app_id for sp in snap.target.service_principals.get()}  # type: ignore[union-attr]
    assert "00000002-0000-0ff1-ce00-000000000000" in sps
    groups = snap.source.groups.get()  # type: ignore[union-attr]
    assert [g.is_security for g in groups] == [True]
    assert snap.target.users is not None and len(snap.target.users.get()) >= 1


def test_faults_do_not_change_the_snapshot(sandbox: Any) -> None:
    """429s, 503s, dropped connections and latency: retried until the same answer."""
    clean = snapshot(sandbox)
    rules = [
        {
            "kind": "error",
            "status": 429,
            "retryAfter": 0,
            "count": 4,
            "match": {"service": "exchange"},
        },
        {"kind": "error", "status": 503, "count": 3, "match": {"service": "graph"}},
        {"kind": "drop", "count": 2, "match": {"service": "exchange", "cmdlet": "Get-Mailbox"}},
        {"kind": "drop", "count": 1, "match": {"service": "graph"}},
        {"kind": "latency", "ms": 30, "count": 10},
    ]
    for rule in rules:
        sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()
    faulty = snapshot(sandbox)
    assert faulty == clean
    assert sandbox.stats()["writes"] == 0
    assert RETRIES[-1] >= 4 + 3 + 2 + 1  # every injected failure was retried


def test_forbidden_collection_is_unknown_and_the_rest_is_right(sandbox: Any) -> None:
    clean = snapshot(sandbox)
    rule = {"kind": "error", "status": 403, "match": {"service": "graph", "path": "^/v1.0/users"}}
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule).raise_for_status()
    blind = snapshot(sandbox)
    assert [(t, what) for t, what, _ in blind.unknowns()] == [("target", "users")]
    for role in ("source", "target"):
        for name, fact in blind.tenant(role).parts().items():  # type: ignore[arg-type]
            assert fact.status != "absent" or clean.tenant(role).parts()[name].status == "absent"
            if name != "users":
                assert fact == clean.tenant(role).parts()[name], name


def test_crafted_names_cannot_widen_a_read(sandbox: Any) -> None:
    """Scope groups and app names with quotes, #, $, + and non-ASCII are sent as values."""
    weird = ("o'brien#$+ünï", "t2tmigrationscope' or name eq '*")
    snap = snapshot(
        sandbox,
        _request(scope_groups=weird, app_id=None, app_display_name="x' or displayName ne 'y"),
    )
    assert snap.source.groups is not None and snap.source.groups.get() == ()
    assert snap.target.applications is not None and snap.target.applications.get() == ()
