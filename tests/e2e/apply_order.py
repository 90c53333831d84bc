"""The order of a mailbox apply's writes, reconstructed from the sandbox's own records (issue 11).

Shared by tests/e2e/test_apply_order.py and tests/bench/bench_apply_order.py (not a test
module). It starts `t2t sandbox serve` on a generated seed (the default seed plus N ordinary
Contoso mailboxes, t2t/sandbox/generate.py), writes a spec declaring those N mailboxes, runs
the real `t2t apply --auto-approve` in a subprocess, and then reads what the sandbox recorded:

- the InvokeCommand request log (``/_sandbox/exchange/requests``): ``New-MailUser`` (created)
  and ``Set-MailUser`` carrying ``ExchangeGuid`` (stamped);
- the Graph write log (``/_sandbox/graph/writes``, top level and inside ``$batch``):
  ``PATCH /users/{id}`` with ``usageLocation`` (located) and ``POST /users/{id}/assignLicense``
  (licensed).

Both logs number their entries from one sequence, in the order the sandbox answered, so the
writes of both services interleave exactly. Only successful writes count (a Set-MailUser or
PATCH refused as not replicated yet is sent again; its 404 is in the log but changes nothing).
A mailbox's chain is complete at the last of its four writes; its *index* is how many
New-MailUser calls the sandbox had completed by then — "prepared before the 100th MailUser is
created" means an index of at most 99. Log entries name objects by UPN, recipient GUID or
Entra object id; the target's mail users, read back over InvokeCommand afterwards, map those
to mailboxes.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from t2t.sandbox.generate import generate_seed_data
from tests.e2e.helpers import EXCHANGE_SCOPE, ROOT, T2T, interruptible, token

#: The batch limit the planner holds (t2t/planner/batches/catalogue.py MAX_PER_BATCH).
WAVE = 2000
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"  # the migration app the default seed holds


def source_address(i: int) -> str:
    return f"user{i:05d}@contoso.com"


def target_upn(i: int) -> str:
    return f"user{i:05d}@fabrikam.onmicrosoft.com"


def write_seed(path: Path, n: int, *, target_mail_users: bool = False) -> None:
    """The default seed plus N generated Contoso mailboxes (and N Fabrikam mail users)."""
    data = generate_seed_data(n, target_mail_users=target_mail_users)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(data, Dumper=dumper, sort_keys=False), encoding="utf-8")


def write_spec(path: Path, n: int, *, due: int = 0) -> None:
    """specs/quickstart.yaml's tenants and relationship (client-secret credential), the N
    generated mailboxes, and waves of at most 2,000 in ``phase: prepare`` — each MailUser also
    gets its proxy in the target delivery domain, as a real wave is prepared, and no
    migration batch is created, so the apply's writes are the org setup and the mailbox
    chains. With ``due``, the first ``due`` mailboxes are a wave of their own in ``phase:
    sync`` (its batch due: what a plan reads one mailbox at a time, tests/bench/bench_probe.py)."""
    mailboxes = [source_address(i) for i in range(1, n + 1)]
    waves = [mailboxes[:due]] if due else []
    waves += [mailboxes[start : start + WAVE] for start in range(due, n, WAVE)]
    spec = {
        "version": 1,
        "name": "apply-order",
        "source": {
            "tenantId": "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20",
            "domain": "contoso.onmicrosoft.com",
            "auth": {
                "clientId": "0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d",
                "secret": "env:T2T_SOURCE_SECRET",
            },
        },
        "target": {
            "tenantId": "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60",
            "domain": "fabrikam.onmicrosoft.com",
            "auth": {
                "clientId": "1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e",
                "secret": "env:T2T_TARGET_SECRET",
            },
        },
        "relationship": {
            "app": {"appId": APP_ID},
            "credential": "clientSecret",
            "scopeGroup": "t2tmigrationscope",
            "endpoint": {"name": "contoso-t2t", "maxConcurrentMigrations": 20},
        },
        "identities": {
            "rewrite": [{"from": "contoso.com", "to": "fabrikam.com"}],
            "upnDomain": "fabrikam.onmicrosoft.com",
            "usageLocation": "NL",
            "licenses": ["EXCHANGESTANDARD", "Cross_tenant_user_data_migration"],
            "mailboxes": mailboxes,
        },
        "batches": [
            {
                "name": f"wave-{w + 1}",
                "mailboxes": wave,
                "targetDeliveryDomain": "fabrikam.mail.onmicrosoft.com",
                "phase": "sync" if due and w == 0 else "prepare",
            }
            for w, wave in enumerate(waves)
        ],
    }
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


@contextmanager
def served(state: Path, seed: Path, *, timeout: float = 600) -> Iterator[dict[str, Any]]:
    """`t2t sandbox serve --state STATE --seed SEED` in its own process; its profile."""
    proc = subprocess.Popen(
        [*T2T, "sandbox", "serve", "--state", str(state), "--seed", str(seed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        preexec_fn=interruptible,  # stopped with Ctrl-C below
    )
    try:
        deadline = time.monotonic() + timeout
        profile: dict[str, Any] = {}
        while profile.get("pid") != proc.pid:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.1)
            try:
                profile = json.loads((state / "profile.json").read_text())
            except (OSError, ValueError):
                profile = {}
        yield profile
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _verify(profile: dict[str, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=profile["caFile"])


def control(profile: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method,
        f"{profile['baseUrl']}/_sandbox/{path}",
        json=body,
        verify=_verify(profile),
        timeout=120,
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def prepare_logs(profile: dict[str, Any], n: int) -> None:
    """Room in both logs for everything an N-mailbox apply sends, and empty them."""
    control(profile, "POST", "exchange/requests", {"capacity": 30 * n + 5000})
    control(profile, "POST", "graph/writes", {"capacity": 20 * n + 5000})
    control(profile, "DELETE", "exchange/requests")
    control(profile, "DELETE", "graph/writes")
    control(profile, "DELETE", "stats")


def apply(
    state: Path, spec: Path, *, timeout: float = 3600
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real CLI: `t2t apply SPEC --auto-approve` against the running sandbox."""
    env = dict(os.environ, T2T_SANDBOX=str(state))
    started = time.perf_counter()
    done = subprocess.run(
        [*T2T, "apply", str(spec), "--auto-approve"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    return done, time.perf_counter() - started


def start_apply(state: Path, spec: Path, out: Path) -> subprocess.Popen[bytes]:
    """`t2t apply SPEC --auto-approve` in the background, its output in ``out``."""
    env = dict(os.environ, T2T_SANDBOX=str(state))
    with out.open("wb") as sink:
        return subprocess.Popen(
            [*T2T, "apply", str(spec), "--auto-approve"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            preexec_fn=interruptible,  # bench_apply_order stops it with Ctrl-C
        )


def mail_users(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target MailUser (Get-MailUser, paged), as an admin's script would read them."""
    tenant = next(t for t in profile["tenants"] if t["name"] == "fabrikam")
    url: str | None = f"{profile['endpoints']['exchange']}/{tenant['tenantId']}/InvokeCommand"
    body = {
        "CmdletInput": {"CmdletName": "Get-MailUser", "Parameters": {"ResultSize": "Unlimited"}}
    }
    headers = {
        "Authorization": f"Bearer {token(profile, 'fabrikam', EXCHANGE_SCOPE)}",
        "Prefer": "odata.maxpagesize=1000",
    }
    out: list[dict[str, Any]] = []
    with httpx.Client(verify=_verify(profile), timeout=120) as client:
        while url:
            response = client.post(url, json=body, headers=headers)
            assert response.status_code == 200, response.text
            page = response.json()
            out.extend(page["value"])
            url = page.get("@odata.nextLink")
    return out


@dataclass
class Chain:
    """One mailbox's four writes (log sequence numbers; None = not seen)."""

    upn: str
    created: int | None = None
    stamped: int | None = None
    located: int | None = None
    licensed: int | None = None
    created_index: int = -1
    """This mailbox's New-MailUser among all New-MailUser calls (0-based)."""

    @property
    def complete(self) -> int | None:
        steps = (self.created, self.stamped, self.located, self.licensed)
        return None if any(s is None for s in steps) else max(s for s in steps if s is not None)


@dataclass
class Order:
    chains: dict[str, Chain] = field(default_factory=dict)
    """By target UPN (lower case)."""
    creations: list[int] = field(default_factory=list)
    """The sequence numbers of the successful New-MailUser calls, in order."""
    first_set_mailuser: dict[str, int] = field(default_factory=dict)
    """Per UPN, the first Set-MailUser sent at all (refused or not)."""

    def index_at(self, seq: int) -> int:
        """How many New-MailUser calls had completed before ``seq``."""
        return sum(1 for c in self.creations if c < seq)

    def created_first(self) -> Chain:
        """The mailbox whose MailUser the sandbox created first."""
        return min(
            (c for c in self.chains.values() if c.created is not None),
            key=lambda c: c.created or 0,
        )

    def index_of(self, chain: Chain) -> int | None:
        done = chain.complete
        return None if done is None else self.index_at(done)


def _lower(value: Any) -> str:
    return str(value or "").lower()


def reconstruct(profile: dict[str, Any]) -> Order:
    """Each mailbox's chain, from the sandbox's request log and Graph write log."""
    exchange = control(profile, "GET", "exchange/requests?cmdlet=New-MailUser&cmdlet=Set-MailUser")
    writes = control(
        profile,
        "GET",
        "graph/writes?operation=PATCH%20/users/%7Bid%7D"
        "&operation=POST%20/users/%7Bid%7D/assignLicense",
    )
    names: dict[str, str] = {}  # any name of a target mail user → its UPN (lower case)
    for mu in mail_users(profile):
        upn = _lower(mu["UserPrincipalName"])
        for key in (
            "Guid",
            "Identity",
            "Name",
            "Alias",
            "UserPrincipalName",
            "PrimarySmtpAddress",
            "ExternalDirectoryObjectId",
            "DistinguishedName",
            "ExchangeGuid",
        ):
            if mu.get(key):
                names.setdefault(_lower(mu[key]), upn)
    order = Order()

    def chain(upn: str) -> Chain:
        return order.chains.setdefault(upn, Chain(upn))

    for entry in exchange["requests"]:
        params = (entry.get("cmdletInput") or {}).get("Parameters") or {}
        ok = entry["status"] < 300
        if entry["cmdlet"] == "New-MailUser":
            if not ok:
                continue
            c = chain(_lower(params.get("MicrosoftOnlineServicesID")))
            c.created = entry["seq"]
            c.created_index = len(order.creations)
            order.creations.append(entry["seq"])
        else:  # Set-MailUser
            named = names.get(_lower(params.get("Identity"))) or names.get(
                _lower(params.get("ExchangeGuid"))
            )
            if named is None:
                continue
            order.first_set_mailuser.setdefault(named, entry["seq"])
            if ok and params.get("ExchangeGuid") and chain(named).stamped is None:
                chain(named).stamped = entry["seq"]
    for entry in writes["writes"]:
        if entry["status"] >= 300 or entry["tenant"] != "fabrikam":
            continue
        user = entry["path"].split("/users/", 1)[1].split("/", 1)[0]
        owner = names.get(_lower(user))
        if owner is None:
            continue
        c = chain(owner)
        if entry["operation"].startswith("PATCH"):
            if (entry.get("body") or {}).get("usageLocation") and c.located is None:
                c.located = entry["seq"]
        elif c.licensed is None:
            c.licensed = entry["seq"]
    return order


def summary(order: Order) -> dict[str, Any]:
    """The figures a run reports: after how many New-MailUser calls the first mailbox was
    fully prepared — the spec's first (user00001) and the first the sandbox created, which
    concurrent creates may make another — and how far behind its own creation each chain
    completed (in New-MailUser calls)."""
    declared = order.chains.get(target_upn(1).lower(), Chain(target_upn(1)))
    created = order.created_first()
    behind = [
        order.index_at(c.complete) - c.created_index
        for c in order.chains.values()
        if c.complete is not None
    ]
    return {
        "mailUsersCreated": len(order.creations),
        "chainsComplete": len(behind),
        "declaredFirst": {
            "mailbox": declared.upn,
            "createdAsNewMailUser": declared.created_index + 1,
            "preparedAfterNewMailUsers": order.index_of(declared),
        },
        "createdFirst": {
            "mailbox": created.upn,
            "preparedAfterNewMailUsers": order.index_of(created),
        },
        "chainLagInNewMailUsers": {
            "median": statistics.median(behind) if behind else None,
            "max": max(behind) if behind else None,
        },
    }


def main_for_debugging() -> None:  # pragma: no cover - `python -m tests.e2e.apply_order N`
    import tempfile

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp:
        seed, spec = Path(tmp) / "seed.yaml", Path(tmp) / "spec.yaml"
        write_seed(seed, n)
        write_spec(spec, n)
        with served(Path(tmp) / "state", seed) as profile:
            prepare_logs(profile, n)
            done, wall = apply(Path(tmp) / "state", spec)
            print(done.returncode, round(wall, 1), done.stdout[-2000:], done.stderr[-2000:])
            print(json.dumps(summary(reconstruct(profile)), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main_for_debugging()
