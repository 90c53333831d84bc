"""Crash sweeps (issue 16): a real `t2t apply` killed at chosen moments, then applied to
convergence, and the sandbox's own state searched for anything a crash doubled or broke.

Shared by tests/e2e/test_crash_sweep.py (a few mailboxes, a handful of kills) and
tests/bench/crash_sweep.py (200 mailboxes, every action boundary and 50 seeded mid-request
kills); not a test module. Nothing of t2t is patched: apply runs as a user runs it, in its
own process, against `t2t sandbox serve` (strict profile), and is killed with SIGKILL.

Two kinds of moment:

- **an action boundary** — apply writes JSON log lines (`--log-format json`); the sweep reads
  its stderr and kills it the moment ``apply.action`` reports one more action done. The
  actions done are not planned again, so a chain of runs, each killed after its first done
  action, is killed once after every action of the plan; the actions in flight beside it are
  cut wherever they happen to be.
- **mid-request** — a sandbox ``hold`` rule (t2t/sandbox/holds.py, sandbox-only) keeps one
  chosen request open: handled, its answer withheld (the write happened and t2t cannot know),
  or not yet handled. The sweep sees it listed, kills apply, and the hold ends with the
  connection.

What is checked (`inventory`, over ``state.json``, the sandbox's whole state, before the
first run and after convergence): the final plan is empty; no object of any kind exists twice
(apps, client secrets, key credentials, service principals, consents, relationships, scope
groups and members, the invited guest, mail users, licences, endpoints, batches and their
users); exactly one client secret of t2t's is left and it is the one the endpoint signs in
with; no target mailbox was provisioned (a licence on a MailUser without its ExchangeGuid
does that); and the source changed only as the spec asks (`source_changes`).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from t2t.sandbox.state import load_state
from tests.e2e.apply_order import source_address, target_upn, write_spec
from tests.e2e.helpers import ROOT, T2T
from tests.plan_schema import check_json_plan

APP_NAME = "T2T crash sweep"
ENDPOINT = "contoso-t2t"  # tests/e2e/apply_order.py write_spec
SCOPE_GROUP = "t2tmigrationscope"
INVITEE = "admin@contoso.com"
#: Sandbox seconds the clock moves before the runs that converge: the strict profile
#: provisions licences in 120 s (a batch waits for them, T2T-E320) and delays new secrets 10 s.
SETTLE_SECONDS = 300


@dataclass(frozen=True)
class SweepSpec:
    path: Path
    mailboxes: int

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(source_address(i) for i in range(1, self.mailboxes + 1))

    @property
    def targets(self) -> tuple[str, ...]:
        """Primary addresses (the rewrite contoso.com → fabrikam.com)."""
        return tuple(s.replace("@contoso.com", "@fabrikam.com") for s in self.sources)

    @property
    def upns(self) -> tuple[str, ...]:
        return tuple(target_upn(i) for i in range(1, self.mailboxes + 1))


def write_crash_spec(path: Path, n: int) -> SweepSpec:
    """tests/e2e/apply_order.py's spec for N generated mailboxes, with everything t2t can
    create in play: the migration app registered by t2t (displayName: app, secret, service
    principals and consent in both tenants), the invitation, and the batch itself
    (``phase: sync``: created and started, never completed)."""
    write_spec(path, n)
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["name"] = "crash-sweep"
    spec["relationship"]["app"] = {"displayName": APP_NAME}
    spec["relationship"]["inviteSourceAdmin"] = INVITEE
    for batch in spec["batches"]:
        batch["phase"] = "sync"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return SweepSpec(path, n)


@dataclass(frozen=True, kw_only=True)
class Write:
    """A write t2t sends, as a ``hold`` rule matches it, and the action kinds that send it
    (none: every apply sends it — the apply lease, t2t/apply/lease.py)."""

    match: dict[str, str]
    kinds: frozenset[str] = frozenset()
    per_mailbox: bool = False
    """Sent for each mailbox (a sweep may let some through first: ``skip``)."""
    per_request: int = 1
    """Mailbox actions one request carries (a Graph `$batch`: 20)."""
    last: bool = False
    """Only sent once nothing else is left (the batch waits for every mailbox)."""

    def pending(self, kinds: set[str]) -> bool:
        """Whether a run that plans ``kinds`` sends this write."""
        if self.last:
            return bool(kinds) and kinds <= self.kinds
        return not self.kinds or bool(self.kinds & kinds)


def _cmdlet(name: str, *kinds: str, per_mailbox: bool = False, last: bool = False) -> Write:
    match = {"service": "exchange", "cmdlet": name}
    return Write(match=match, kinds=frozenset(kinds), per_mailbox=per_mailbox, last=last)


def _graph(method: str, path: str, *kinds: str, per_mailbox: bool = False) -> Write:
    match = {"service": "graph", "method": method, "path": path}
    return Write(match=match, kinds=frozenset(kinds), per_mailbox=per_mailbox)


_ENDPOINT_KINDS = ("endpoint.create", "endpoint.update")
#: Every write t2t sends on the sweep's spec.
WRITES: dict[str, Write] = {
    "app": _graph("PATCH", r"/applications\(uniqueName=", "app.create"),
    "servicePrincipal": _graph("POST", r"/servicePrincipals$", "consent.grant"),
    "consent": _graph("POST", r"/appRoleAssignedTo$", "consent.grant"),
    "invitation": _graph("POST", r"/invitations$", "invitation.send"),
    "addPassword": _graph("POST", r"/addPassword$", *_ENDPOINT_KINDS),
    "removePassword": _graph("POST", r"/removePassword$", *_ENDPOINT_KINDS),
    "Add-DistributionGroupMember": _cmdlet(
        "Add-DistributionGroupMember", "group.add_members", per_mailbox=True
    ),
    "New-OrganizationRelationship": _cmdlet("New-OrganizationRelationship", "orgrel.create"),
    "New-MigrationEndpoint": _cmdlet("New-MigrationEndpoint", "endpoint.create"),
    "Set-MigrationEndpoint": _cmdlet("Set-MigrationEndpoint", "endpoint.update"),
    "New-MailUser": _cmdlet("New-MailUser", "mailuser.create", per_mailbox=True),
    "Set-MailUser": _cmdlet(
        "Set-MailUser", "mailuser.set_identity", "license.assign", per_mailbox=True
    ),
    "$batch": Write(
        match={"service": "graph", "path": r"/\$batch$", "access": "write"},
        kinds=frozenset({"user.usage_location", "license.assign"}),
        per_mailbox=True,
        per_request=20,  # json-batching.md: at most 20 requests (t2t/apply/graph_batch.py)
    ),
    "New-MigrationBatch": _cmdlet("New-MigrationBatch", "batch.create", last=True),
    "New-MailContact": _cmdlet("New-MailContact"),
    "Remove-MailContact": _cmdlet("Remove-MailContact"),  # --force-unlock's, then the release
    "any write": Write(match={"access": "write"}, per_mailbox=True),
}


# -- running and killing apply ---------------------------------------------------------------


@dataclass
class Run:
    """One `t2t apply` and how it ended."""

    code: int | None
    killed: bool
    seconds: float
    done: int = 0
    """Actions it reported done."""
    moments: list[dict[str, Any]] = field(default_factory=list)
    """What it was killed at: the action done, or the requests held (in the rules' order)."""


class Sandbox:
    """The control API of a running `t2t sandbox serve` (`/_sandbox/...`), one connection."""

    def __init__(self, state: Path, profile: dict[str, Any]) -> None:
        self.state, self.profile = state, profile
        self.http = httpx.Client(
            base_url=f"{profile['baseUrl']}/_sandbox/",
            verify=ssl.create_default_context(cafile=profile["caFile"]),
            timeout=120,
            limits=httpx.Limits(keepalive_expiry=1.0),  # below uvicorn's 5 s (tests/conftest.py)
        )

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code < 300 or response.status_code == 404, response.text
        return response.json() if response.content and response.status_code < 300 else None

    def close(self) -> None:
        self.http.close()

    def state_json(self) -> dict[str, Any]:
        """The sandbox's whole state as it saved it after the last write (state.json with its
        journal replayed: the sandbox is running)."""
        return load_state(self.state)[0].model_dump(mode="json")


def _t2t(*args: str) -> list[str]:
    return [*T2T, "--log-format", "json", "--log-level", "info", *args]


def _env(state: Path) -> dict[str, str]:
    return dict(os.environ, T2T_SANDBOX=str(state))


def _popen(
    state: Path, spec: Path, log: Path, stderr: int | None, *options: str
) -> subprocess.Popen[str]:
    """`t2t apply --auto-approve --force-unlock`: the sweep has waited for every run it killed
    to end, which is exactly when a killed run's apply lease (t2t/apply/lease.py) may go."""
    with log.open("a", encoding="utf-8") as out:
        return subprocess.Popen(
            _t2t("apply", str(spec), "--auto-approve", "--force-unlock", *options),
            stdout=out,
            stderr=stderr if stderr is not None else out,
            text=True,
            env=_env(state),
            cwd=ROOT,
        )


def _lines(stream: Iterable[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def kill_after_done(
    state: Path, spec: Path, log: Path, *, actions: int = 1, timeout: float = 3600
) -> Run:
    """`t2t apply --parallelism 1`, SIGKILLed as soon as its log reports ``actions`` actions
    done (not killed when it ended first: nothing was left to do, or what was left waits or
    is blocked). One action at a time, so the kill falls between two actions — after one
    finished, before the next one's first request is answered — and no action finishes
    unseen beside it: a chain of such runs is killed after every action of the plan."""
    started = time.monotonic()
    proc = _popen(state, spec, log, subprocess.PIPE, "--parallelism", "1")
    assert proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True)
    reader.start()
    run = Run(code=None, killed=False, seconds=0.0)
    with log.open("a", encoding="utf-8") as out:
        while True:
            line = lines.get(timeout=max(1.0, timeout - (time.monotonic() - started)))
            if line is None:
                break
            out.write(line)
            event = _event(line)
            if event.get("event") != "apply.action" or event.get("status") != "done":
                continue
            run.done += 1
            if run.done == actions:
                proc.send_signal(signal.SIGKILL)
                run.killed = True
                run.moments = [{"action": event.get("action"), "kind": event.get("kind")}]
                break
    run.code = proc.wait(timeout=60)
    reader.join(timeout=10)
    run.seconds = round(time.monotonic() - started, 2)
    return run


def _event(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def kill_mid_request(
    sandbox: Sandbox,
    spec: Path,
    log: Path,
    rules: list[dict[str, Any]],
    *,
    settle: float = 5.0,
    timeout: float = 900,
) -> Run:
    """`t2t apply` with ``hold`` rules in place (each holds one request); SIGKILLed once every
    rule holds one, or ``settle`` seconds after the first did. The rules are removed afterwards.
    Not killed when apply ended before any rule fired."""
    ids = [sandbox("POST", "faults", {**rule, "kind": "hold", "count": 1})["id"] for rule in rules]
    started = time.monotonic()
    proc = _popen(sandbox.state, spec, log, None)
    run = Run(code=None, killed=False, seconds=0.0)
    first: float | None = None
    try:
        while proc.poll() is None and time.monotonic() - started < timeout:
            held = [h for h in sandbox("GET", "faults")["held"] if h["rule"] in ids]
            if held and first is None:
                first = time.monotonic()
            if held and (len(held) == len(ids) or time.monotonic() - (first or 0) > settle):
                proc.send_signal(signal.SIGKILL)
                run.killed, run.moments = True, sorted(held, key=lambda h: ids.index(h["rule"]))
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None and not run.killed:
            proc.send_signal(signal.SIGKILL)
        run.code = proc.wait(timeout=60)
        for rid in ids:
            sandbox("DELETE", f"faults/{rid}")
    run.seconds = round(time.monotonic() - started, 2)
    return run


def plan_actions(state: Path, spec: Path) -> tuple[int, list[dict[str, Any]]]:
    """`t2t plan --format json --detailed-exitcode`: its exit code (0 nothing to do, 2 changes,
    3 a check blocks, 4 something unreadable) and its actions."""
    done = subprocess.run(
        _t2t("plan", str(spec), "--format", "json", "--detailed-exitcode"),
        capture_output=True,
        text=True,
        env=_env(state),
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode in (0, 2, 3, 4), done.stdout[-2000:] + done.stderr[-2000:]
    check_json_plan(done.args, done.stdout)
    return done.returncode, list(json.loads(done.stdout)["actions"])


@dataclass
class Convergence:
    """The applies it took after the kills, and the plan they left."""

    runs: list[Run] = field(default_factory=list)
    code: int = -1
    left: list[str] = field(default_factory=list)
    """The ids of the actions still planned."""

    @property
    def converged(self) -> bool:
        return self.code == 0 and not self.left


def converge(sandbox: Sandbox, spec: Path, log: Path, *, runs: int = 4) -> Convergence:
    """The retry after a kill: apply (with ``--force-unlock``, so even with nothing left to
    do it removes the killed run's lease), then again until the plan is empty with exit code
    0, at most ``runs`` applies; the sandbox clock moved past licence provisioning before
    each look."""
    out = Convergence()
    while True:
        sandbox("POST", "clock", {"advanceSeconds": SETTLE_SECONDS})
        out.code, actions = plan_actions(sandbox.state, spec)
        out.left = [a["id"] for a in actions]
        if (out.runs and out.converged) or len(out.runs) == runs:
            return out
        started = time.monotonic()
        proc = _popen(sandbox.state, spec, log, None)
        out.runs.append(Run(proc.wait(timeout=3600), False, round(time.monotonic() - started, 2)))


# -- what the state shows --------------------------------------------------------------------


def _tenant(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in state["tenants"] if t["name"] == name)


def _doubles(keys: Iterable[str]) -> dict[str, int]:
    """Keys seen more than once, with how many extra."""
    return {k: n - 1 for k, n in Counter(keys).items() if n > 1}


@dataclass
class Inventory:
    """Counts of what t2t creates, taken from the sandbox's state, and every problem found."""

    counts: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def duplicate_total(self) -> int:
        return sum(sum(d.values()) for d in self.duplicates.values())

    def expect(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "duplicates": {k: v for k, v in self.duplicates.items() if v},
            "duplicateTotal": self.duplicate_total,
            "problems": self.problems,
        }


def inventory(initial: dict[str, Any], final: dict[str, Any], spec: SweepSpec) -> Inventory:
    """Everything a crash could have doubled, lost or broken, in the final state."""
    inv = Inventory()
    tgt, tgt0 = _tenant(final, "fabrikam"), _tenant(initial, "fabrikam")
    app = _applications(inv, tgt, tgt0)
    app_id = app["app_id"] if app else None
    for name in ("contoso", "fabrikam"):
        _consent(inv, _tenant(final, name), name, app_id)
        rels = _tenant(final, name)["organization_relationships"]
        inv.duplicates[f"relationships.{name}"] = _doubles(r["name"].lower() for r in rels)
        inv.duplicates[f"relationshipDomains.{name}"] = _doubles(
            d.lower() for r in rels for d in r["domain_names"]
        )
        inv.expect(
            len(rels) - len(_tenant(initial, name)["organization_relationships"]) <= 1,
            f"{name}: more than one organization relationship was created",
        )
    _endpoint(inv, tgt, app)
    contacts = tgt.get("mail_contacts", [])
    inv.duplicates["mailContacts"] = _doubles(c["name"].lower() for c in contacts)
    leases = [c["name"] for c in contacts if c["name"].lower().startswith("t2t-lease")]
    inv.counts["leasesLeft"] = len(leases)
    inv.expect(not leases, f"apply leases left after the last apply: {leases}")
    _recipients(inv, tgt, tgt0, spec)
    _batches(inv, tgt, spec)
    changes = source_changes(initial, final, spec, app_id)
    inv.counts["sourceChanges"] = len(changes)
    inv.problems.extend(f"source: {c}" for c in changes)
    return inv


def _applications(
    inv: Inventory, tgt: dict[str, Any], tgt0: dict[str, Any]
) -> dict[str, Any] | None:
    """The app t2t registered (one), its secrets (one, marked), and every other app's
    credentials untouched."""
    named = [a for a in tgt["applications"] if a["display_name"] == APP_NAME]
    inv.counts["applications"] = len(named)
    inv.duplicates["applications"] = _doubles(a["display_name"] for a in named)
    inv.duplicates["applicationUniqueNames"] = _doubles(
        a["unique_name"] for a in tgt["applications"] if a.get("unique_name")
    )
    inv.expect(len(named) == 1, f"{len(named)} apps named {APP_NAME!r}, not one")
    before = {a["id"]: a for a in tgt0["applications"]}
    for a in tgt["applications"]:
        old = before.get(a["id"])
        if old is None:
            continue
        for kind in ("password_credentials", "key_credentials"):
            inv.expect(
                [c["key_id"] for c in a[kind]] == [c["key_id"] for c in old[kind]],
                f"the {kind} of {a['display_name']!r} (not t2t's) changed",
            )
    if not named:
        return None
    app: dict[str, Any] = named[0]
    marker = f"t2t:endpoint:{ENDPOINT}"
    secrets = [p for p in app["password_credentials"] if p["display_name"] == marker]
    inv.counts["secrets"] = len(secrets)
    inv.counts["keyCredentials"] = len(app["key_credentials"])
    inv.duplicates["secrets"] = {marker: len(secrets) - 1} if len(secrets) > 1 else {}
    inv.expect(len(app["password_credentials"]) == 1, "t2t's app has more than one secret")
    inv.expect(not app["key_credentials"], "t2t's app has a key credential (it makes none)")
    return app


def _consent(inv: Inventory, tenant: dict[str, Any], name: str, app_id: str | None) -> None:
    sps = tenant["service_principals"]
    inv.duplicates[f"servicePrincipals.{name}"] = _doubles(sp["app_id"] for sp in sps)
    inv.duplicates[f"consents.{name}"] = _doubles(
        f"{a['principal_id']}|{a['resource_id']}|{a['app_role_id']}"
        for a in tenant["app_role_assignments"]
    )
    mine = [sp for sp in sps if sp["app_id"] == app_id]
    inv.counts[f"servicePrincipals.{name}"] = len(mine)
    inv.expect(len(mine) == 1, f"{name}: {len(mine)} service principals of t2t's app")


def _endpoint(inv: Inventory, tgt: dict[str, Any], app: dict[str, Any] | None) -> None:
    """One endpoint of the spec's name, signing in with the one secret t2t left."""
    endpoints = tgt["migration_endpoints"]
    inv.duplicates["endpoints"] = _doubles(e["name"].lower() for e in endpoints)
    mine = [e for e in endpoints if e["name"].lower() == ENDPOINT]
    inv.counts["endpoints"] = len(mine)
    inv.expect(len(mine) == 1, f"{len(mine)} endpoints named {ENDPOINT}")
    if not mine or app is None:
        return
    held = mine[0]["secret_fingerprint"] or ""
    using = [p for p in app["password_credentials"] if held and p["secret_sha256"].startswith(held)]
    inv.expect(
        mine[0]["application_id"] == app["app_id"] and len(using) == 1,
        "the endpoint does not hold t2t's remaining secret",
    )


def _recipients(inv: Inventory, tgt: dict[str, Any], tgt0: dict[str, Any], spec: SweepSpec) -> None:
    """One MailUser per spec mailbox, nothing else new but the invited guest, licences once
    each, and no mailbox provisioned."""
    users = tgt["users"]
    inv.duplicates["users"] = _doubles(u["user_principal_name"].lower() for u in users)
    recipients = [u["recipient"] for u in users if u.get("recipient")]
    inv.duplicates["recipientAddresses"] = _doubles(
        a.split(":", 1)[1].lower() for r in recipients for a in r["email_addresses"]
    )
    inv.duplicates["recipientAliases"] = _doubles(r["alias"].lower() for r in recipients)
    inv.duplicates["licences"] = _doubles(
        f"{u['id']}|{lic['sku_id']}" for u in users for lic in u["assigned_licenses"]
    )
    by_upn = {u["user_principal_name"].lower(): u for u in users}
    mail_users = [
        by_upn[upn]
        for upn in spec.upns
        if upn in by_upn
        and (by_upn[upn].get("recipient") or {}).get("recipient_type_details") == "MailUser"
    ]
    inv.counts["mailUsers"] = len(mail_users)
    inv.expect(len(mail_users) == spec.mailboxes, f"{len(mail_users)} MailUsers, not all")
    seeded = {u["id"] for u in tgt0["users"]}
    guests = [u for u in users if u["user_type"] == "Guest" and u.get("mail") == INVITEE]
    inv.counts["guests"] = len(guests)
    inv.expect(len(guests) == 1, f"{len(guests)} guests for {INVITEE}")
    declared = set(spec.upns) | {g["user_principal_name"].lower() for g in guests}
    strangers = [
        u["user_principal_name"]
        for u in users
        if u["id"] not in seeded and u["user_principal_name"].lower() not in declared
    ]
    inv.expect(not strangers, f"target users nobody declared: {strangers[:5]}")
    mailboxes0 = {u["id"] for u in tgt0["users"] if _is_mailbox(u)}
    provisioned = [
        u["user_principal_name"] for u in users if _is_mailbox(u) and u["id"] not in mailboxes0
    ]
    inv.counts["mailboxesProvisioned"] = len(provisioned)
    inv.expect(not provisioned, f"mailboxes provisioned by mistake: {provisioned[:5]}")


def _is_mailbox(user: dict[str, Any]) -> bool:
    return (user.get("recipient") or {}).get("recipient_type_details") == "UserMailbox"


def _batches(inv: Inventory, tgt: dict[str, Any], spec: SweepSpec) -> None:
    batches = tgt["migration_batches"]
    inv.counts["batches"] = len(batches)
    inv.duplicates["batches"] = _doubles(b["name"].lower() for b in batches)
    inv.duplicates["migrationUsers"] = _doubles(
        u["identity"].lower() for b in batches for u in b["users"]
    )
    moving = {u["identity"].lower() for b in batches for u in b["users"]}
    inv.expect(moving == set(spec.targets), "the batches do not hold exactly the spec's mailboxes")


# -- the source ------------------------------------------------------------------------------

#: The key each list of a tenant's state is compared by.
_KEYS = {
    "groups": "guid",
    "applications": "id",
    "organization_relationships": "guid",
    "users": "id",
    "service_principals": "id",
    "app_role_assignments": "id",
    "migration_endpoints": "guid",
    "migration_batches": "guid",
    "clients": "client_id",
    "skus": "sku_id",
}


def source_changes(
    initial: dict[str, Any], final: dict[str, Any], spec: SweepSpec, app_id: str | None
) -> list[str]:
    """Every difference in the source tenant that the spec does not ask for. What it asks
    for: the app's service principal and its one Mailbox.Migration consent, the spec's
    mailboxes as members of the scope group, and one organization relationship naming the
    app (microsoft-t2t.md §3.3–§3.5)."""
    before, after = _tenant(initial, "contoso"), _tenant(final, "contoso")
    members = {
        u["id"]
        for u in after["users"]
        if (u.get("recipient") or {}).get("primary_smtp_address", "").lower() in spec.sources
    }
    sps = {sp["id"] for sp in after["service_principals"] if sp["app_id"] == app_id}
    out: list[str] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        key = _KEYS.get(name)
        if key is None:
            if old != new:
                out.append(f"{name} changed")
            continue
        olds = {o[key]: o for o in old or []}
        news = {n[key]: n for n in new or []}
        for k in olds.keys() - news.keys():
            out.append(f"{name}[{k}] removed")
        for k in news.keys() - olds.keys():
            added = news[k]
            allowed = (
                (name == "service_principals" and added["app_id"] == app_id)
                or (name == "app_role_assignments" and added["principal_id"] in sps)
                or (
                    name == "organization_relationships"
                    and added.get("oauth_application_id") == app_id
                )
            )
            if not allowed:
                out.append(f"{name}[{k}] added")
        for k in olds.keys() & news.keys():
            if olds[k] == news[k]:
                continue
            if name == "groups" and news[k]["name"] == SCOPE_GROUP:
                out.extend(_scope_group_changes(olds[k], news[k], members))
                continue
            fields = sorted(f for f in news[k] if olds[k].get(f) != news[k].get(f))
            out.append(f"{name}[{k}] changed: {', '.join(fields)}")
    counts = Counter(sp["app_id"] for sp in after["service_principals"] if sp["id"] in sps)
    out.extend(f"{n} service principals of t2t's app" for n in counts.values() if n > 1)
    return out


def _scope_group_changes(old: dict[str, Any], new: dict[str, Any], members: set[str]) -> list[str]:
    """The scope group may only gain the spec's mailboxes as members (once each)."""
    out: list[str] = []
    fields = {f for f in new if old.get(f) != new.get(f)}
    out.extend(
        f"groups[{SCOPE_GROUP}] changed: {f}"
        for f in sorted(fields - {"members", "members_added_at", "when_changed"})
    )
    added = [m for m in new["members"] if m not in old["members"]]
    if [m for m in old["members"] if m not in new["members"]]:
        out.append(f"groups[{SCOPE_GROUP}]: a member was removed")
    if set(added) - members:
        out.append(f"groups[{SCOPE_GROUP}]: a member nobody declared was added")
    if len(added) != len(set(added)):
        out.append(f"groups[{SCOPE_GROUP}]: a member added twice")
    return out
