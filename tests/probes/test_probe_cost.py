"""Probing 2,500 mailboxes costs at most 1.1 × the minimum number of requests and writes
nothing (issue 6; the 10,000 and 50,000 figures come from tests/bench/bench_probe.py).

The request is a spec's that names every mailbox, each in a wave (as `t2t plan` passes them),
``DUE`` of them in a wave whose batch is about to be created: the per-mailbox reads
(Get-MailboxStatistics, Get-MailboxPermission) are made for those only (issue 14)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.probes import SOURCE_PARTS, TARGET_PARTS, ProbeRequest, read_snapshot
from t2t.probes.cost import minimum_requests
from t2t.sandbox.generate import generate_seed_data
from t2t.sandbox.server import SandboxServer
from t2t.state import Snapshot
from tests.real_clients import identity_of

APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
N = 2500
DUE = 100
ADDRESSES = tuple(f"user{i:05d}@contoso.com" for i in range(1, N + 1))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    root = tmp_path_factory.mktemp("big")
    seed = root / "seed.yaml"
    seed.write_text(
        yaml.safe_dump(generate_seed_data(N, target_mail_users=True), sort_keys=False),
        encoding="utf-8",
    )
    server = SandboxServer(root / "state", seed=seed).start()
    try:
        yield server
    finally:
        server.stop()


def test_bulk_reads_stay_within_ten_percent_of_the_minimum(big: SandboxServer) -> None:
    profile: dict[str, Any] = big.profile()
    tenants = {t["name"]: t for t in profile["tenants"]}
    hosts = sandbox_hosts(profile)
    admin = httpx.Client(
        verify=ssl.create_default_context(cafile=str(big.ca_path)), trust_env=False
    )
    admin.delete(f"{big.base_url}/_sandbox/stats").raise_for_status()

    async def go() -> Snapshot:
        async with HttpLayer(ca_file=hosts.ca_file) as http:
            src, tgt = (
                connect(http, hosts, identity_of(tenants["contoso"])),
                connect(http, hosts, identity_of(tenants["fabrikam"])),
            )
            try:
                return await read_snapshot(
                    ProbeRequest(
                        source_tenant_id=tenants["contoso"]["tenantId"],
                        target_tenant_id=tenants["fabrikam"]["tenantId"],
                        source_parts=SOURCE_PARTS,
                        target_parts=TARGET_PARTS,
                        app_id=APP_ID,
                        scope_groups=("t2tmigrationscope",),
                        source_mailboxes=ADDRESSES,
                        wave_mailboxes=ADDRESSES,
                        due_mailboxes=tuple(
                            (a, a.replace("contoso", "fabrikam")) for a in ADDRESSES[:DUE]
                        ),
                    ),
                    (src.exchange, src.graph),
                    (tgt.exchange, tgt.graph),
                )
            finally:
                src.tokens.close()
                tgt.tokens.close()

    snap = asyncio.run(go())
    stats = admin.get(f"{big.base_url}/_sandbox/stats").json()
    admin.close()
    assert snap.unknowns() == []
    assert len(snap.source.recipients.get()) > N  # type: ignore[union-attr]
    api = stats["byService"].get("exchange", 0) + stats["byService"].get("graph", 0)
    assert api <= 1.1 * minimum_requests(snap, APP_ID)
    assert stats["writes"] == 0
    # The per-mailbox reads are the due wave's only, and so is the minimum's share of them.
    per_mailbox = ("Get-MailboxStatistics", "Get-MailboxPermission")
    assert {c: stats["byCmdlet"].get(c) for c in per_mailbox} == dict.fromkeys(per_mailbox, DUE)
    read = snap.source.mailbox_permissions.get()  # type: ignore[union-attr]
    assert sorted(m.mailbox for m in read) == list(ADDRESSES[:DUE])
