"""A many-mailbox apply re-reads the target's recipients in bulk (issue 14): the real
`t2t apply --auto-approve` against `t2t sandbox serve` (strict profile: fresh objects refuse
their first writes, replication.py), counted from the sandbox's InvokeCommand request log.

Before the coalesced re-reads (t2t/apply/recipient_reads.py) each mailbox cost 8 target reads
by -Identity (README, "Apply at the throttle limit": the create's re-read by address and UPN,
each Get-MailUser then Get-Mailbox, its verify, the re-read and verify around Set-MailUser,
the licence's ExchangeGuid check). Every one of those is still made — re-read before each
write, verify after — but reads that arrive together leave as one filter of up to 20 names.

The same holds in Graph, counted from the sandbox's counters: each mailbox's usageLocation and
licence executors re-read and verify its Entra user (four reads, each once a
``GET /users/{id}``); the reads that leave in the same `$batch` are now one
``GET /users?$filter=… in (…)`` of up to 15 (t2t/apply/graph_batch.py)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from tests.e2e.apply_order import apply, control, prepare_logs, served, write_seed, write_spec

TARGET = ("fabrikam", "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60")
READS = ("Get-MailUser", "Get-Mailbox")


def _names(text: str) -> set[str]:
    """The values a t2t name filter compares (each name appears in three comparisons)."""
    return {v.replace("''", "'").lower() for v in re.findall(r"-eq '((?:[^']|'')*)'", text)}


def test_a_many_mailbox_apply_reads_the_target_in_bulk(tmp_path: Path) -> None:
    n = 40
    seed, spec, state = (tmp_path / f for f in ("seed.yaml", "spec.yaml", "state"))
    write_seed(seed, n)
    write_spec(spec, n)
    with served(state, seed, timeout=60) as profile:
        prepare_logs(profile, n)
        done, _ = apply(state, spec, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        log = control(profile, "GET", "exchange/requests?cmdlet=Get-MailUser&cmdlet=Get-Mailbox")
        created = control(profile, "GET", "exchange/requests?cmdlet=New-MailUser")
        stats = control(profile, "GET", "stats")
    target: list[dict[str, Any]] = [r for r in log["requests"] if r["tenant"] in TARGET]
    assert len([r for r in created["requests"] if r["status"] == 200]) == n

    params = [r["cmdletInput"]["Parameters"] for r in target]
    by_identity = [p["Identity"] for p in params if "Identity" in p]
    filtered = [p["Filter"] for p in params if "Filter" in p]
    listed = [p for p in params if "Identity" not in p and "Filter" not in p]
    assert by_identity == []  # every re-read by name went through a filter
    assert all(0 < len(_names(f)) <= 20 for f in filtered), [len(_names(f)) for f in filtered]
    # the plan's listings (whole collections) are no per-mailbox reads
    assert len(listed) <= 4, listed
    per_mailbox = len(filtered) / n
    assert per_mailbox < 4.0, (per_mailbox, Counter(r["cmdlet"] for r in target))  # was 8

    ops = stats["byOperation"]
    assert ops.get("GET /users/{id}", 0) == 0  # no user read alone any more (was 4 per mailbox)
    # the plan lists each tenant's users once; the rest are the executors' merged reads
    user_reads = (ops["GET /users"] - 2) / n
    assert 0 < user_reads < 2.5, (user_reads, ops)
    # the writes are all there, each in a $batch: 3 PATCH (two refused), 1 assignLicense
    assert (ops["PATCH /users/{id}"], ops["POST /users/{id}/assignLicense"]) == (3 * n, n)
