"""Every executor against the sandbox, over HTTPS, under the faults apply must survive
(issue 11): a lost answer, a write not yet visible, an object changed between plan and
apply, and a gate whose dependants must not run.

One table (`CASES`: an action kind, the write it sends, how the sandbox is brought to a
state where the plan holds it, and how someone else changes the object) and one helper
(`World`) serve every scenario. Faults come only through the sandbox's control API
(`/_sandbox/faults`: ``drop`` with ``afterHandling`` = the service acted and the answer was
lost; ``lag`` = reads do not show the created object yet); what was sent is read back from
the sandbox's request logs (`/_sandbox/exchange/requests`, `/_sandbox/graph/writes`).

Scenarios:

- **lost**: the write is handled and its answer dropped → the action ends done or noop, the
  object converged (a fresh plan has nothing left for it), the write handled exactly once,
  never a second object;
- **lag** / **lag-too-long**: reads lag the created object by less than the action's deadline
  / more → done with the write sent once / *unknown* at the deadline (not failed), never a
  traceback or a second write, and once the object shows the next plan has nothing left for
  it. Only creations lag in the sandbox (README, Open questions 41): update kinds have no lag
  case;
- **fixed**: after the plan, someone else makes the object as desired → noop, zero writes;
- **changed**: after the plan, someone else changes the object to another undesired state →
  the executor sends what a fresh re-plan says (asserted on the logged parameters), not the
  reviewed plan's parameters;
- **gate**: through `apply_plan`, an action whose write fails (or which is blocked): its
  dependants are skipped and none of their writes reach the sandbox, while an unrelated
  action runs;
- **unknown**: a whole plan whose one MailUser replicates past the deadline: that action is
  unknown, its chain and batch wait on it, the rest is done, the summary asks for a second
  apply, and the second apply converges.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from t2t.apply import ApplyContext, ApplyReport, apply_plan
from t2t.apply.context import DEFAULT_DEADLINE_SECONDS
from t2t.apply.executors.common import RUN_AGAIN
from t2t.cli.app import probe_request
from t2t.clients import HttpLayer, connect, sandbox_hosts, wire
from t2t.planner import Action, Plan, build_plan
from t2t.planner.shared.app import EXCHANGE_APP_ID, REDIRECT_URI, app_desire, wanted_access
from t2t.probes import read_snapshot
from t2t.render import render_report
from t2t.spec import Desired, load_spec
from tests.conftest import GRAPH_SCOPE, SandboxHandle
from tests.real_clients import admin_identity

SRC = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
TGT = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
OTHER = "22222222-3333-4444-8555-666666666666"
SEEDED_APP = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
APP_NAME = "T2T faults app"
NAME = "faults"  # the spec's name: both relationships are called so
ENDPOINT = "contoso-t2t"
DEBRA, MEGAN = "debra@fabrikam.com", "megan@fabrikam.com"
MULTI = "AzureADMultipleOrgs"

#: Re-reads within ~2.1 s, then every 1.2 s: a lag of 1 s is waited out at once; one of
#: 60 s outlasts the short deadline the lag-too-long scenarios give their action.
VERIFY = (0.0, 0.3, 0.6, 1.2)
SHORT_LAG, LONG_LAG = 1.0, 60.0
SHORT_DEADLINE = 3.0

SPEC = """version: 1
name: faults
source:
  tenantId: {src}
  domain: contoso.onmicrosoft.com
  auth: {{clientId: 0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d, secret: env:T2T_SOURCE_SECRET}}
target:
  tenantId: {tgt}
  domain: fabrikam.onmicrosoft.com
  auth: {{clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e, secret: env:T2T_TARGET_SECRET}}
relationship:
  app: {{{app}}}
  credential: clientSecret
  inviteSourceAdmin: admin@contoso.com
  scopeGroup: {group}
  endpoint: {{name: {endpoint}, maxConcurrentMigrations: 20}}
identities:
  rewrite: [{{from: contoso.com, to: fabrikam.com}}]
  upnDomain: fabrikam.onmicrosoft.com
  usageLocation: NL
  licenses: [EXCHANGESTANDARD, Cross_tenant_user_data_migration]
  mailboxes: [debra@contoso.com, megan@contoso.com]
batches:
  - name: wave-1
    mailboxes: [debra@contoso.com]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: complete
{complete_after}"""

COMPLETE_AFTER = "2030-01-01T00:00:00Z"


def _spec(directory: Path, *, register: bool, group: str, complete_after: bool) -> Desired:
    text = SPEC.format(
        src=SRC,
        tgt=TGT,
        app=f"displayName: {APP_NAME}" if register else f"appId: {SEEDED_APP}",
        group=group,
        endpoint=ENDPOINT,
        complete_after=f"    completeAfter: {COMPLETE_AFTER}\n" if complete_after else "",
    )
    name = f"{'reg' if register else 'adopt'}-{group}-{complete_after}.yaml"
    (directory / name).write_text(text, encoding="utf-8")
    return load_spec(directory / name)


# -- the one helper -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A write as the sandbox logs it: an Exchange cmdlet in a tenant, or a Graph operation
    (method and path template, as /_sandbox/graph/writes names it)."""

    service: str
    name: str
    tenant: str = "fabrikam"
    path: str = ""
    """Graph: a regex on the request path, for fault rules."""
    idempotent: bool = False
    """A PATCH: HTTP-idempotent, so t2t's client sends the identical request again after a
    lost answer (t2t/clients/http.py IDEMPOTENT_METHODS) before any executor sees it."""

    def rule(self) -> dict[str, str]:
        if self.service == "exchange":
            return {"service": "exchange", "tenant": self.tenant, "cmdlet": self.name}
        return {"service": "graph", "method": self.name.split()[0], "path": self.path}


class World:
    """The sandbox, t2t's clients against it, and its logs: one per test."""

    def __init__(self, sandbox: SandboxHandle, specs: dict[str, Desired]) -> None:
        self.sandbox, self.specs = sandbox, specs
        self.deadline = DEFAULT_DEADLINE_SECONDS
        """Each action's deadline in `apply`."""
        self.licence_delays: tuple[float, ...] = ()
        """How long `apply`'s licence executor waits for Exchange to provision (none: t2t's
        default)."""
        self.profile = sandbox.profile
        self.ids = {t["name"]: t["tenantId"] for t in self.profile["tenants"]}

    # sandbox control and admin calls over HTTPS
    def control(self, method: str, path: str, body: Any = None) -> Any:
        r = self.sandbox.http.request(method, f"{self.sandbox.base_url}/_sandbox/{path}", json=body)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def fault(self, rule: dict[str, Any]) -> None:
        self.control("POST", "faults", rule)

    def invoke(self, tenant: str, cmdlet: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.sandbox.invoke(tenant, cmdlet, params)
        assert r.status_code == 200, r.text
        return list(r.json().get("value") or [])

    def graph(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        r = self.sandbox.http.request(
            method,
            f"{self.sandbox.base_url}/v1.0{path}",
            json=body,
            headers={
                "Authorization": f"Bearer {self.sandbox.token('fabrikam', GRAPH_SCOPE)}",
                **(headers or {}),
            },
        )
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def clear_logs(self) -> None:
        self.control("DELETE", "exchange/requests")
        self.control("DELETE", "graph/writes")
        self.control("DELETE", "stats")

    def sent(self, write: Sent) -> list[dict[str, Any]]:
        """Every request of this write the service handled (refusals left out), with its
        parameters (Exchange) or body (Graph) under ``params``."""
        if write.service == "exchange":
            out = self.control("GET", f"exchange/requests?cmdlet={write.name}")["requests"]
            tenant = self.ids[write.tenant]
            return [
                {**e, "params": e["cmdletInput"].get("Parameters") or {}}
                for e in out
                if e["status"] < 400 and e["tenant"].lower() == tenant
            ]
        out = self.control("GET", f"graph/writes?operation={write.name}")["writes"]
        return [
            {**e, "params": e["body"]}
            for e in out
            if e["status"] < 400 and e["tenant"] == write.tenant
        ]

    def all_sent(self) -> list[dict[str, Any]]:
        exchange = self.control("GET", "exchange/requests")["requests"]
        writes = [e for e in exchange if not str(e["cmdlet"]).startswith(("Get-", "Test-"))]
        graph: list[dict[str, Any]] = self.control("GET", "graph/writes")["writes"]
        return writes + graph

    def writes(self) -> int:
        return int(self.sandbox.stats()["writes"])

    # t2t: plan and apply, with the production clients
    @asynccontextmanager
    async def _clients(self) -> AsyncIterator[Any]:
        hosts = sandbox_hosts(self.profile)

        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            src = connect(http, hosts, admin_identity(self.sandbox, "contoso"))
            tgt = connect(http, hosts, admin_identity(self.sandbox, "fabrikam"))
            try:
                yield hosts, src, tgt
            finally:
                src.tokens.close()
                tgt.tokens.close()

    def plan(self, spec: str) -> Plan:
        desired = self.specs[spec]

        async def run() -> Plan:
            async with self._clients() as (_, src, tgt):
                pair = ((src.exchange, src.graph), (tgt.exchange, tgt.graph))
                return build_plan(desired, await read_snapshot(probe_request(desired), *pair))

        return asyncio.run(run())

    def apply(
        self,
        plan: Plan,
        ids: set[str] | None = None,
        provisioning: dict[str, tuple[str, ...]] | None = None,
    ) -> ApplyReport:
        if ids is not None:
            plan = plan.model_copy(
                update={"actions": tuple(a for a in plan.actions if a.id in ids)}
            )

        async def run() -> ApplyReport:
            async with self._clients() as (hosts, src, tgt):
                ctx = ApplyContext(
                    exchange={"source": src.exchange, "target": tgt.exchange},
                    graph={"source": src.graph, "target": tgt.graph},
                    verify_delays=VERIFY,
                    hosts=hosts,
                    tenant_ids={"source": src.tenant_id, "target": tgt.tenant_id},
                    secret_wait_delays=VERIFY,
                    deadline_seconds=self.deadline,
                    licence_provisioning_delays=self.licence_delays,
                    # the caller's own dict, so it can read what the run noted in it
                    licences_provisioning=provisioning if provisioning is not None else {},
                )
                return await apply_plan(plan, ctx)

        return asyncio.run(run())

    def reset(self) -> None:
        self.control("POST", "reset")
        # Secrets usable at once, licences provisioned at once, no replication refusals:
        # each scenario arranges its own fault; these are other tests' business.
        self.control(
            "POST",
            "strictness",
            {"secret_delay_seconds": 0, "licensing_seconds": 0, "replication": False},
        )

    def ready(self, case: Case) -> tuple[Plan, Action]:
        """Reset the sandbox and apply what the case's action depends on (and what else the
        spec needs, for actions that only appear once the rest converged), until the plan
        holds the action with nothing left before it."""
        self.reset()
        if case.before is not None:
            case.before(self)
        arranged = False
        for _ in range(6):
            plan = self.plan(case.spec)
            action = _find(plan, case)
            ids = {a.id for a in plan.actions}
            if action is not None and not set(action.depends_on) & ids:
                return plan, action
            if action is not None:
                todo = _ancestors(plan, action.id)
            else:
                todo = {a.id for a in plan.runnable}
            if not todo:
                assert case.arrange is not None and not arranged, (
                    f"{case.kind} {case.key} never planned: {[a.id for a in plan.actions]}"
                )
                case.arrange(self)
                arranged = True
                continue
            report = self.apply(plan, todo)
            assert not report.count("failed"), report
        raise AssertionError(f"{case.kind} {case.key} not ready: {[a.id for a in plan.actions]}")


def _find(plan: Plan, case: Case) -> Action | None:
    return next((a for a in plan.actions if a.id == case.action_id), None)


def _ancestors(plan: Plan, aid: str) -> set[str]:
    by_id = {a.id: a for a in plan.actions}
    out: set[str] = set()
    todo = [d for d in by_id[aid].depends_on if d in by_id]
    while todo:
        d = todo.pop()
        if d not in out:
            out.add(d)
            todo.extend(x for x in by_id[d].depends_on if x in by_id)
    return out


def _dependants(plan: Plan, aid: str) -> set[str]:
    out: set[str] = set()
    frontier = {aid}
    while frontier:
        frontier = {a.id for a in plan.actions if set(a.depends_on) & frontier} - out
        out |= frontier
    return out


# -- what someone else does over HTTPS, and what the tenants hold ---------------------------


def _relationship(**params: Any) -> Callable[[World], None]:
    def make(w: World) -> None:
        w.invoke("fabrikam", "New-OrganizationRelationship", {"Name": NAME, **params})

    return make


def _set_relationship(**params: Any) -> Callable[[World], None]:
    def change(w: World) -> None:
        w.invoke("fabrikam", "Set-OrganizationRelationship", {"Identity": NAME, **params})

    return change


RIGHT_TARGET_RELATIONSHIP = {
    "DomainNames": [SRC],
    "MailboxMoveEnabled": True,
    "MailboxMoveCapability": "Inbound",
}


def _hydrate(w: World) -> None:
    w.invoke("fabrikam", "Enable-OrganizationCustomization", {})


def _relationships(w: World) -> int:
    return sum(r["Name"] == NAME for r in w.invoke("fabrikam", "Get-OrganizationRelationship", {}))


def _my_apps(w: World) -> list[dict[str, Any]]:
    return [a for a in w.graph("GET", "/applications")["value"] if a.get("uniqueName")]


def _upsert_app(**body: Any) -> Callable[[World], None]:
    """Someone (an earlier run) registered t2t's app: t2t's own body, with ``body`` on top."""

    def make(w: World) -> None:
        desire = app_desire(w.specs["register"])
        desired = {
            "displayName": APP_NAME,
            "signInAudience": MULTI,
            "web": {"redirectUris": [REDIRECT_URI]},
            "requiredResourceAccess": wanted_access(desire.role_id),
        }
        w.graph(
            "PATCH",
            f"/applications(uniqueName='{_unique_name(w)}')",
            {**desired, **body},
            {"Prefer": "create-if-missing"},
        )

    return make


def _unique_name(w: World) -> str:
    name = app_desire(w.specs["register"]).unique_name
    assert name
    return name


def _patch_app(**body: Any) -> Callable[[World], None]:
    def change(w: World) -> None:
        [app] = _my_apps(w)
        w.graph("PATCH", f"/applications/{app['id']}", body)

    return change


def _sp_id(w: World, app_id: str) -> str | None:
    found = w.graph("GET", f"/servicePrincipals?$filter=appId eq '{app_id}'")["value"]
    return str(found[0]["id"]) if found else None


def _consents(w: World) -> int:
    sp = _sp_id(w, SEEDED_APP)
    if sp is None:
        return 0
    return len(w.graph("GET", f"/servicePrincipals/{sp}/appRoleAssignments")["value"])


def _grant(w: World) -> None:
    sp = _sp_id(w, SEEDED_APP) or w.graph("POST", "/servicePrincipals", {"appId": SEEDED_APP})["id"]
    exo = _sp_id(w, EXCHANGE_APP_ID)
    w.graph(
        "POST",
        f"/servicePrincipals/{exo}/appRoleAssignedTo",
        {"principalId": sp, "resourceId": exo, "appRoleId": app_desire(w.specs["adopt"]).role_id},
    )


def _guests(w: World) -> int:
    return len(w.graph("GET", "/users?$filter=mail eq 'admin@contoso.com'")["value"])


def _invite(w: World) -> None:
    w.graph(
        "POST",
        "/invitations",
        {"invitedUserEmailAddress": "admin@contoso.com", "inviteRedirectUrl": "https://myapps"},
    )


NEW_GROUP = "t2t-faults-scope"
MEMBERS = ("debra@contoso.com", "megan@contoso.com")


def _groups(w: World) -> int:
    found = w.invoke("contoso", "Get-DistributionGroup", {})
    return sum(g["Name"] == NEW_GROUP for g in found)


def _new_group(members: tuple[str, ...]) -> Callable[[World], None]:
    def make(w: World) -> None:
        params: dict[str, Any] = {"Name": NEW_GROUP, "Type": "Security"}
        if members:
            params["Members"] = list(members)
        w.invoke("contoso", "New-DistributionGroup", params)

    return make


def _add_members(group: str, members: tuple[str, ...]) -> Callable[[World], None]:
    def add(w: World) -> None:
        for m in members:
            w.invoke(
                "contoso",
                "Add-DistributionGroupMember",
                {"Identity": group, "Member": m, "BypassSecurityGroupManagerCheck": True},
            )

    return add


def _endpoints(w: World) -> int:
    return len(w.invoke("fabrikam", "Get-MigrationEndpoint", {}))


def _set_endpoint(n: int) -> Callable[[World], None]:
    def change(w: World) -> None:
        w.invoke(
            "fabrikam",
            "Set-MigrationEndpoint",
            {"Identity": ENDPOINT, "MaxConcurrentMigrations": n},
        )

    return change


def _mail_users(w: World) -> int:
    return sum(
        m["PrimarySmtpAddress"].lower() == DEBRA for m in w.invoke("fabrikam", "Get-MailUser", {})
    )


def _stamp(w: World, action: Action, keep: Callable[[str], bool]) -> None:
    """Set-MailUser with some of the reviewed parameters, as someone else would."""
    params = {k: v for k, v in action.parameters.items() if k == "Identity" or keep(k)}
    addresses = params.get("EmailAddresses")
    if isinstance(addresses, dict):
        params["EmailAddresses"] = wire.add_remove(add=list(addresses.get("add") or ()))
    w.invoke("fabrikam", "Set-MailUser", params)


def _user_id(w: World, upn: str = "debra@fabrikam.onmicrosoft.com") -> str:
    return str(w.graph("GET", f"/users/{upn}")["id"])


def _skus(w: World) -> dict[str, str]:
    return {s["skuPartNumber"]: s["skuId"] for s in w.graph("GET", "/subscribedSkus")["value"]}


def _assign(*parts: str) -> Callable[[World], None]:
    def assign(w: World) -> None:
        skus = _skus(w)
        body = {"addLicenses": [{"skuId": skus[p]} for p in parts], "removeLicenses": []}
        w.graph("POST", f"/users/{_user_id(w)}/assignLicense", body)

    return assign


def _batches(w: World) -> int:
    return sum(b["Identity"] == "wave-1" for b in w.invoke("fabrikam", "Get-MigrationBatch", {}))


def _batch_cmdlet(cmdlet: str, **params: Any) -> Callable[[World], None]:
    def run(w: World) -> None:
        w.invoke("fabrikam", cmdlet, {"Identity": "wave-1", **params})

    return run


def _until_synced(w: World) -> None:
    for _ in range(12):
        [batch] = w.invoke("fabrikam", "Get-MigrationBatch", {"Identity": "wave-1"})
        if batch["Status"] in ("Synced", "SyncedWithErrors"):
            return
        w.control("POST", "clock", {"advanceSeconds": 900})
    raise AssertionError(f"wave-1 never synced: {batch['Status']}")


def _stopped(w: World) -> None:
    _batch_cmdlet("Stop-MigrationBatch", Confirm=False)(w)
    w.control("POST", "clock", {"advanceSeconds": 3600})  # Stopping → Stopped


def _fail_debra(w: World) -> None:
    """Maintenance moves the source mailbox while its batch syncs: the user fails in a way
    only removal and a new batch fix (tests/e2e/test_readd.py)."""
    now = w.control("GET", "clock")["now"]
    w.control("PATCH", "exchange/contoso/recipients/debra@contoso.com", {"database_moved_at": now})
    w.control("POST", "clock", {"advanceSeconds": 3600})


def _remove_debra(w: World) -> None:
    w.invoke("fabrikam", "Remove-MigrationUser", {"Identity": DEBRA, "Confirm": False})


# -- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str
    key: str
    write: Sent
    """The write whose answer the lost scenario drops and whose count every scenario checks."""
    spec: str = "adopt"
    before: Callable[[World], None] | None = None
    """Before the first plan: a state the planner turns into this kind."""
    arrange: Callable[[World], None] | None = None
    """Once everything else converged: the state in which this kind is planned."""
    count: Callable[[World], int] | None = None
    """How many of the object the tenant holds (creations: exactly one, whatever happened)."""
    lag: dict[str, str] | None = None
    """A lag rule's match hiding the created object (creations only)."""
    fix: Callable[[World, Action], None] | None = None
    """Someone else makes the object as desired."""
    change: Callable[[World, Action], None] | None = None
    """Someone else changes the object to another undesired state ..."""
    resends: Callable[[World, Action, list[dict[str, Any]]], None] | None = None
    """... and what the executor must send then (the fresh re-plan's parameters)."""
    also: tuple[Sent, ...] = ()
    """Other writes of the same executor (each also never handled twice)."""
    done: Callable[[World], str] | None = None
    """A creation's whole message once its write showed (the lag scenario)."""

    tenant: str = "target"

    @property
    def id(self) -> str:
        return self.kind

    @property
    def action_id(self) -> str:
        return f"{self.tenant}:{self.kind}:{self.key}"

    @property
    def writes(self) -> tuple[Sent, ...]:
        return (self.write, *self.also)


def _said(message: str) -> Callable[[World], str]:
    return lambda _w: message


def _only(fn: Callable[[World], None]) -> Callable[[World, Action], None]:
    return lambda w, _a: fn(w)


def _sent_set_relationship(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert reviewed.cmdlet == "New-OrganizationRelationship"
    news = w.sent(Sent("exchange", "New-OrganizationRelationship"))
    assert news == [], "the reviewed New- was sent although the relationship exists"
    sets = w.sent(Sent("exchange", "Set-OrganizationRelationship"))
    assert len(sets) == 1 and SRC in sets[0]["params"]["DomainNames"], sets


def _sent_domains_only(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert "MailboxMoveEnabled" in reviewed.parameters, reviewed.parameters
    [one] = sent
    assert "MailboxMoveEnabled" not in one["params"], one["params"]
    assert SRC in one["params"]["DomainNames"], one["params"]


def _sent_app_update(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert reviewed.kind == "app.create"
    assert w.sent(Sent("graph", "PATCH /applications/{id}"))[0]["params"] == {
        "signInAudience": MULTI
    }
    assert len(_my_apps(w)) == 1


def _sent_redirect_only(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert "signInAudience" in reviewed.parameters
    [one] = sent
    assert "signInAudience" not in one["params"] and "web" in one["params"], one["params"]


def _sent_assignment_only(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert w.sent(Sent("graph", "POST /servicePrincipals")) == [], "a second service principal"
    assert len(sent) == 1 and _consents(w) == 1


def _sent_members_only(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert w.sent(Sent("exchange", "New-DistributionGroup", "contoso")) == []
    adds = w.sent(Sent("exchange", "Add-DistributionGroupMember", "contoso"))
    assert sorted(a["params"]["Member"] for a in adds) == sorted(MEMBERS)


def _sent_the_other_member(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert [a["params"]["Member"] for a in sent] == [MEMBERS[1]]


def _sent_without_guid(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    assert "ExchangeGuid" in reviewed.parameters
    [one] = sent
    assert "ExchangeGuid" not in one["params"] and one["params"].get("EmailAddresses"), one


def _sent_one_licence(w: World, reviewed: Action, sent: list[dict[str, Any]]) -> None:
    [one] = sent
    added = [x["skuId"] for x in one["params"]["addLicenses"]]
    assert added == [_skus(w)["Cross_tenant_user_data_migration"]], added


REL = Sent("exchange", "New-OrganizationRelationship")
GRAPH_USER = Sent("graph", "PATCH /users/{id}", path=r"^/v1\.0/users/[^/]+$", idempotent=True)

CASES: tuple[Case, ...] = (
    Case(
        "orgrel.create",
        NAME,
        REL,
        count=_relationships,
        lag={"service": "exchange", "tenant": "fabrikam", "cmdlet": REL.name},
        done=_said("New-OrganizationRelationship verified"),
        fix=_only(_relationship(**RIGHT_TARGET_RELATIONSHIP)),
        change=_only(_relationship(**{**RIGHT_TARGET_RELATIONSHIP, "DomainNames": [OTHER]})),
        resends=_sent_set_relationship,
    ),
    Case(
        "orgrel.update",
        NAME,
        Sent("exchange", "Set-OrganizationRelationship"),
        before=_relationship(**{**RIGHT_TARGET_RELATIONSHIP, "MailboxMoveEnabled": False}),
        count=_relationships,
        fix=_only(_set_relationship(MailboxMoveEnabled=True)),
        change=_only(_set_relationship(MailboxMoveEnabled=True, DomainNames=[OTHER])),
        resends=_sent_domains_only,
    ),
    Case(
        "org.enable_customization",
        "organization",
        Sent("exchange", "Enable-OrganizationCustomization"),
        before=lambda w: w.control(
            "POST", "exchange/fabrikam/organization", {"isDehydrated": True}
        ),
        fix=_only(_hydrate),
    ),
    Case(
        "app.create",
        APP_NAME,
        Sent("graph", "PATCH /applications/{id}", path="uniqueName", idempotent=True),
        spec="register",
        count=lambda w: len(_my_apps(w)),
        lag={"service": "graph", "method": "PATCH", "path": "uniqueName"},
        done=lambda w: f"PATCH /applications(uniqueName='{_unique_name(w)}') verified",
        fix=_only(_upsert_app()),
        change=_only(_upsert_app(signInAudience="AzureADMyOrg")),
        resends=_sent_app_update,
    ),
    Case(
        "app.update",
        APP_NAME,
        Sent(
            "graph",
            "PATCH /applications/{id}",
            path=r"^/v1\.0/applications/[0-9a-f-]+$",
            idempotent=True,
        ),
        spec="register",
        before=_upsert_app(signInAudience="AzureADMyOrg"),
        count=lambda w: len(_my_apps(w)),
        fix=lambda w, a: _patch_app(**a.parameters)(w),
        change=_only(_patch_app(signInAudience=MULTI, web={"redirectUris": []})),
        resends=_sent_redirect_only,
    ),
    Case(
        "consent.grant",
        SEEDED_APP,
        Sent(
            "graph",
            "POST /servicePrincipals/{id}/appRoleAssignedTo",
            path="appRoleAssignedTo$",
        ),
        count=_consents,
        also=(Sent("graph", "POST /servicePrincipals", path=r"^/v1\.0/servicePrincipals$"),),
        lag={"service": "graph", "method": "POST", "path": r"^/v1\.0/servicePrincipals$"},
        done=_said(f"Mailbox.Migration granted to {SEEDED_APP} in the target tenant"),
        fix=_only(_grant),
        change=lambda w, _a: w.graph("POST", "/servicePrincipals", {"appId": SEEDED_APP}),
        resends=_sent_assignment_only,
    ),
    Case(
        "invitation.send",
        "admin@contoso.com",
        Sent("graph", "POST /invitations", path="/invitations$"),
        count=_guests,
        lag={"service": "graph", "method": "POST", "path": "/invitations$"},
        done=_said("the invitation of admin@contoso.com verified"),
        fix=_only(_invite),
    ),
    Case(
        "group.create",
        NEW_GROUP,
        Sent("exchange", "New-DistributionGroup", "contoso"),
        spec="new-group",
        tenant="source",
        count=_groups,
        lag={"service": "exchange", "tenant": "contoso", "cmdlet": "New-DistributionGroup"},
        done=_said(f"{NEW_GROUP}: group present, 0 members added"),
        fix=_only(_new_group(MEMBERS)),
        change=_only(_new_group(())),
        resends=_sent_members_only,
    ),
    Case(
        "group.add_members",
        "t2tmigrationscope",
        Sent("exchange", "Add-DistributionGroupMember", "contoso"),
        tenant="source",
        fix=_only(_add_members("t2tmigrationscope", MEMBERS)),
        change=_only(_add_members("t2tmigrationscope", MEMBERS[:1])),
        resends=_sent_the_other_member,
    ),
    Case(
        "endpoint.create",
        ENDPOINT,
        Sent("exchange", "New-MigrationEndpoint"),
        count=_endpoints,
        also=(Sent("graph", "POST /applications/{id}/addPassword", path="addPassword"),),
        lag={"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MigrationEndpoint"},
        done=_said("new secret usable after 0 s; New-MigrationEndpoint verified"),
    ),
    Case(
        "endpoint.update",
        ENDPOINT,
        Sent("exchange", "Set-MigrationEndpoint"),
        arrange=_set_endpoint(5),
        count=_endpoints,
        fix=_only(_set_endpoint(20)),
    ),
    Case(
        "mailuser.create",
        DEBRA,
        Sent("exchange", "New-MailUser"),
        count=_mail_users,
        lag={"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MailUser"},
        done=_said("New-MailUser verified"),
    ),
    Case(
        "mailuser.set_identity",
        DEBRA,
        Sent("exchange", "Set-MailUser"),
        count=_mail_users,
        fix=lambda w, a: _stamp(w, a, lambda _k: True),
        change=lambda w, a: _stamp(w, a, lambda k: k == "ExchangeGuid"),
        resends=_sent_without_guid,
    ),
    Case(
        "user.usage_location",
        DEBRA,
        GRAPH_USER,
        fix=lambda w, _a: w.graph("PATCH", f"/users/{_user_id(w)}", {"usageLocation": "NL"}),
    ),
    Case(
        "license.assign",
        DEBRA,
        Sent("graph", "POST /users/{id}/assignLicense", path="assignLicense$"),
        fix=_only(_assign("EXCHANGESTANDARD", "Cross_tenant_user_data_migration")),
        change=_only(_assign("EXCHANGESTANDARD")),
        resends=_sent_one_licence,
    ),
    Case(
        "batch.create",
        "wave-1",
        Sent("exchange", "New-MigrationBatch"),
        count=_batches,
        lag={"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MigrationBatch"},
        done=_said("New-MigrationBatch verified"),
    ),
    Case(
        "batch.start",
        "wave-1",
        Sent("exchange", "Start-MigrationBatch"),
        arrange=_stopped,
        count=_batches,
        fix=_only(_batch_cmdlet("Start-MigrationBatch")),
    ),
    Case(
        "batch.complete",
        "wave-1",
        Sent("exchange", "Complete-MigrationBatch"),
        arrange=_until_synced,
        count=_batches,
        fix=_only(_batch_cmdlet("Complete-MigrationBatch", Confirm=False)),
    ),
    Case(
        "batch.set_complete_after",
        "wave-1",
        Sent("exchange", "Set-MigrationBatch"),
        spec="complete-after",
        arrange=_batch_cmdlet(
            "Set-MigrationBatch",
            CompleteAfter=wire.datetime_value(dt.datetime(2031, 1, 1, tzinfo=dt.UTC)),
        ),
        count=_batches,
        fix=_only(
            _batch_cmdlet(
                "Set-MigrationBatch",
                CompleteAfter=wire.datetime_value(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)),
            )
        ),
    ),
    Case(
        "batch.remove_user",
        DEBRA,
        Sent("exchange", "Remove-MigrationUser"),
        arrange=_fail_debra,
        fix=_only(_remove_debra),
    ),
)
BY_KIND = {c.kind: c for c in CASES}


def _cases(has: Callable[[Case], object]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in CASES if has(c)]


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Desired]:
    d = tmp_path_factory.mktemp("specs")
    return {
        "adopt": _spec(d, register=False, group="t2tmigrationscope", complete_after=False),
        "register": _spec(d, register=True, group="t2tmigrationscope", complete_after=False),
        "new-group": _spec(d, register=False, group=NEW_GROUP, complete_after=False),
        "complete-after": _spec(d, register=False, group="t2tmigrationscope", complete_after=True),
    }


@pytest.fixture
def world(sandbox: SandboxHandle, specs: dict[str, Desired]) -> Iterator[World]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield World(sandbox, specs)
    structlog.reset_defaults()


# -- the scenarios --------------------------------------------------------------------------


def _run_one(
    w: World, plan: Plan, action: Action, provisioning: dict[str, tuple[str, ...]] | None = None
) -> tuple[str, str]:
    if action not in plan.actions:  # an action of the test's own making
        plan = plan.model_copy(update={"actions": (action,)})
    report = w.apply(plan, {action.id}, provisioning)
    [result] = report.results
    assert "unexpected" not in result.message and "Traceback" not in result.message, result
    return result.status, result.message


def _converged(w: World, case: Case) -> None:
    after = _find(w.plan(case.spec), case)
    assert after is None, f"still planned after apply: {after}"


def _handled_once(w: World, case: Case) -> None:
    """Each write of the executor reached the service at most once per distinct request (a
    group's members are one call each; a password is random: left out of the key)."""
    for write in case.writes:
        seen: dict[str, int] = {}
        for e in w.sent(write):
            params = {k: v for k, v in (e["params"] or {}).items() if k != "Password"}
            key = json.dumps([e.get("path"), params], sort_keys=True, default=str)
            seen[key] = seen.get(key, 0) + 1
        # A PATCH may be resent identically by the client (Sent.idempotent): the same request
        # twice changes nothing; a different one, or a third, would.
        most = 2 if write.idempotent else 1
        twice = {k: n for k, n in seen.items() if n > most}
        assert not twice, f"{write.name} handled more than {most}x: {twice}"


def _one_object(w: World, case: Case) -> None:
    if case.count is not None:
        assert case.count(w) == 1, f"{case.kind}: {case.count(w)} objects"


@pytest.mark.parametrize("case", _cases(lambda c: True))
def test_lost_answer_converges_with_the_write_handled_once(world: World, case: Case) -> None:
    plan, action = world.ready(case)
    world.clear_logs()
    world.fault({"kind": "drop", "count": 1, "afterHandling": True, "match": case.write.rule()})
    status, message = _run_one(world, plan, action)
    assert world.control("GET", "faults")["rules"] == [], "the answer was never lost"
    assert status in ("done", "noop"), message
    assert world.sent(case.write), "the write never reached the service"
    _handled_once(world, case)
    _one_object(world, case)
    _converged(world, case)


@pytest.mark.parametrize("case", _cases(lambda c: c.lag))
def test_a_write_not_yet_visible_is_waited_out(world: World, case: Case) -> None:
    plan, action = world.ready(case)
    world.clear_logs()
    assert case.lag is not None
    world.fault({"kind": "lag", "seconds": SHORT_LAG, "match": case.lag})
    status, message = _run_one(world, plan, action)
    assert status == "done", message
    assert case.done is not None and message == case.done(world)
    assert world.control("GET", "faults")["hiddenObjects"] == 0
    _handled_once(world, case)
    _one_object(world, case)
    _converged(world, case)


@pytest.mark.parametrize("case", _cases(lambda c: c.lag))
def test_a_write_visible_only_after_the_deadline_is_unknown_and_the_next_plan_converged(
    world: World, case: Case
) -> None:
    plan, action = world.ready(case)
    world.clear_logs()
    assert case.lag is not None
    world.fault({"kind": "lag", "seconds": LONG_LAG, "match": case.lag})
    world.deadline = SHORT_DEADLINE
    status, message = _run_one(world, plan, action)
    assert status == "unknown", message
    assert re.fullmatch(
        r".*waited \d+ s for .+; it has not happened yet.* — its outcome is unknown: "
        r"run t2t apply again to finish it",
        message,
    ), message
    assert len(world.sent(case.write)) == 1
    _handled_once(world, case)
    world.control("POST", "clock", {"advanceSeconds": LONG_LAG})  # replication catches up
    _one_object(world, case)
    _converged(world, case)


@pytest.mark.parametrize("case", _cases(lambda c: c.fix))
def test_an_object_fixed_since_the_plan_is_a_noop(world: World, case: Case) -> None:
    plan, action = world.ready(case)
    assert case.fix is not None
    case.fix(world, action)
    world.clear_logs()
    status, message = _run_one(world, plan, action)
    assert status == "noop", message
    assert world.writes() == 0, world.all_sent()


@pytest.mark.parametrize("case", _cases(lambda c: c.change))
def test_an_object_changed_since_the_plan_gets_what_a_fresh_plan_says(
    world: World, case: Case
) -> None:
    plan, action = world.ready(case)
    assert case.change is not None and case.resends is not None
    case.change(world, action)
    world.clear_logs()
    status, message = _run_one(world, plan, action)
    assert status == "done", message
    case.resends(world, action, world.sent(case.write))
    _converged(world, case)


# -- what one executor reads, and what it says -----------------------------------------------


def test_a_refused_app_write_fails_naming_the_write(world: World) -> None:
    """Graph refuses the upsert: the action fails with Graph's answer behind the write's own
    name (method and path as sent), and nothing is sent again."""
    case = BY_KIND["app.create"]
    plan, action = world.ready(case)
    world.clear_logs()
    world.fault({"kind": "error", "status": 403, "count": 1, "match": case.write.rule()})
    status, message = _run_one(world, plan, action)
    assert status == "failed", message
    assert message == (
        f"HTTP 403 UnknownError: PATCH /applications(uniqueName='{_unique_name(world)}'): "
        "Injected fault."
    )
    assert _my_apps(world) == []


def _invitation(app_id: str) -> dict[str, Any]:
    """The invitation of the spec's source admin as Graph must receive it: the consent link
    and the message both name the migration app."""
    return {
        "invitedUserEmailAddress": "admin@contoso.com",
        "inviteRedirectUrl": (
            f"https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent"
            f"?client_id={app_id}&redirect_uri={REDIRECT_URI}"
        ),
        "sendInvitationMessage": True,
        "invitedUserMessageInfo": {
            "customizedMessageBody": (
                f"Please consent to the cross-tenant mailbox migration app {app_id} in your "
                "tenant (the link opens the admin-consent page), and put its application id "
                "into the source organization relationship's OAuthApplicationId."
            )
        },
    }


def test_the_invitation_names_the_adopted_app(world: World) -> None:
    """The whole invitation as sent (the sandbox's write log) carries the spec's app id, taken
    from the spec, not read back: with the target's applications unreadable it is still sent."""
    case = BY_KIND["invitation.send"]
    plan, action = world.ready(case)
    world.clear_logs()
    apps = Sent("graph", "GET /applications", path="/applications$")
    world.fault({"kind": "error", "status": 403, "match": apps.rule()})
    assert _run_one(world, plan, action) == (
        "done",
        "the invitation of admin@contoso.com verified",
    )
    assert [e["params"] for e in world.sent(case.write)] == [_invitation(SEEDED_APP)]


def test_the_invitation_names_the_app_registered_in_the_same_run(world: World) -> None:
    """Planned before the app exists (its id known after apply): the invitation sent carries
    the id Entra gave the app earlier in the run."""
    world.reset()
    plan = world.plan("register")
    [invite] = [a for a in plan.actions if a.kind == "invitation.send"]
    assert invite.desired["app_id"] is None
    world.clear_logs()
    report = world.apply(plan, _ancestors(plan, invite.id) | {invite.id})
    assert not report.count("failed"), report
    [app] = _my_apps(world)
    sent = world.sent(BY_KIND["invitation.send"].write)
    assert [e["params"] for e in sent] == [_invitation(app["appId"])]


def test_a_refused_invitation_fails_naming_the_write(world: World) -> None:
    """Graph refuses the invitation: the action fails with Graph's answer behind the write as
    sent (method and path), and no guest is made."""
    case = BY_KIND["invitation.send"]
    plan, action = world.ready(case)
    world.clear_logs()
    world.fault({"kind": "error", "status": 403, "count": 1, "match": case.write.rule()})
    assert _run_one(world, plan, action) == (
        "failed",
        "HTTP 403 UnknownError: POST /invitations: Injected fault.",
    )
    assert _guests(world) == 0


def test_a_guest_whose_mail_changed_is_found_by_its_upn_and_not_invited_again(
    world: World,
) -> None:
    """Someone invited the address after the plan and changed the guest's mail: the re-read
    finds it by the UPN an invitation gives, as the planner's `guest_for` does, and nothing
    is sent (a re-read by mail alone re-invited and waited for a guest that never shows)."""
    case = BY_KIND["invitation.send"]
    plan, action = world.ready(case)
    _invite(world)
    [guest] = world.graph("GET", "/users?$filter=mail eq 'admin@contoso.com'")["value"]
    world.graph("PATCH", f"/users/{guest['id']}", {"mail": "admin@contoso.example"})
    assert _guests(world) == 0
    world.clear_logs()
    assert _run_one(world, plan, action) == ("noop", "already as desired")
    assert world.sent(case.write) == []


def test_guests_that_cannot_be_re_read_are_not_invited(world: World) -> None:
    """The re-read of guests refused at apply: the action fails saying why, and the
    invitation is not sent blind."""
    _reread_refused(
        world,
        "invitation.send",
        Sent("graph", "GET /users", path="/users$"),
        "cannot re-read guests: GET /users failed: HTTP 403 UnknownError: GET /users: "
        "Injected fault.",
    )


def _reread_refused(world: World, kind: str, read: Sent, message: str) -> None:
    """The executor's re-read refused (403) at apply: the action fails with `message` and its
    write is not sent blind."""
    case = BY_KIND[kind]
    plan, action = world.ready(case)
    world.clear_logs()
    world.fault({"kind": "error", "status": 403, "match": read.rule()})
    assert _run_one(world, plan, action) == ("failed", message)
    assert world.sent(case.write) == []


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("org.enable_customization", "Enable-OrganizationCustomization verified"),
        ("batch.remove_user", "Remove-MigrationUser verified"),
    ],
)
def test_a_write_that_shows_is_done_naming_it(world: World, kind: str, message: str) -> None:
    """The whole message the operator reads for a write answered and seen on the re-read: the
    cmdlet as Microsoft spells it, sent once."""
    case = BY_KIND[kind]
    plan, action = world.ready(case)
    world.clear_logs()
    assert _run_one(world, plan, action) == ("done", message)
    assert len(world.sent(case.write)) == 1


def test_an_organization_that_cannot_be_re_read_is_not_customized(world: World) -> None:
    """Get-OrganizationConfig refused at apply: the action fails saying why, and
    Enable-OrganizationCustomization is not sent blind."""
    _reread_refused(
        world,
        "org.enable_customization",
        Sent("exchange", "Get-OrganizationConfig"),
        "cannot re-read the organization: Get-OrganizationConfig failed: "
        "HTTP 403 ServiceUnavailable: Get-OrganizationConfig: Injected fault.",
    )


def _new_batch(w: World, name: str, mailbox: str, *, start: bool) -> None:
    """Someone else's batch on t2t's endpoint (a mailbox the target does not know fails in it
    with MigrationRecipientNotFoundException: a failure a retry may help)."""
    params = {
        "Name": name,
        "SourceEndpoint": ENDPOINT,
        "CSVData": wire.csv_data(f"EmailAddress\r\n{mailbox}\r\n"),
        "TargetDeliveryDomain": "fabrikam.mail.onmicrosoft.com",
        "AutoStart": start,
    }
    w.invoke("fabrikam", "New-MigrationBatch", params)


def test_the_batch_is_read_by_its_own_name_among_others(world: World) -> None:
    """Another batch exists (listed first): batch.create still finds wave-1 absent and creates
    it, instead of taking the other batch for it."""
    case = BY_KIND["batch.create"]
    plan, action = world.ready(case)
    _new_batch(world, "aaa-other", "nobody@fabrikam.com", start=False)
    status, message = _run_one(world, plan, action)
    assert (status, message) == ("done", "New-MigrationBatch verified")
    assert _batches(world) == 1


def test_the_batch_is_replanned_from_its_own_users_only(world: World) -> None:
    """wave-1 (made by hand, not started) has no user a Start-MigrationBatch would retry;
    another batch has a failed one. A batch.start for wave-1 re-plans from wave-1's users
    alone: nothing to do, nothing sent."""
    case = BY_KIND["batch.create"]
    plan, create = world.ready(case)
    _new_batch(world, "aaa-other", "nobody@fabrikam.com", start=True)
    _new_batch(world, "wave-1", create.desired["mailboxes"][0], start=False)
    start = create.model_copy(
        update={"id": "target:batch.start:wave-1", "kind": "batch.start", "parameters": {}}
    )
    world.clear_logs()
    assert _run_one(world, plan, start) == ("noop", "already as desired")
    assert world.writes() == 0, world.all_sent()


def test_a_batch_removed_since_the_plan_fails_naming_it(world: World) -> None:
    case = BY_KIND["batch.start"]
    plan, action = world.ready(case)
    world.invoke("fabrikam", "Remove-MigrationBatch", {"Identity": "wave-1", "Confirm": False})
    world.control("POST", "clock", {"advanceSeconds": 3600})
    assert _run_one(world, plan, action) == ("failed", "batch wave-1 does not exist")


def test_a_batch_whose_licences_are_still_provisioning_is_held(world: World) -> None:
    """Licensed moments ago in this run (the licence executor notes it in the context): the
    batch is not created; it is reported blocked, naming the mailbox and what to do."""
    case = BY_KIND["batch.create"]
    plan, reviewed = world.ready(case)
    debra = reviewed.desired["mailboxes"][0]
    megan = "megan@" + debra.split("@")[1]  # a wave of two, both licensed in this run
    action = reviewed.model_copy(
        update={"desired": {**reviewed.desired, "mailboxes": [debra, megan]}}
    )
    world.clear_logs()
    provisioning = {m.lower(): ("EXCHANGESTANDARD",) for m in (debra, megan)}
    status, message = _run_one(world, plan, action, provisioning)
    assert (status, message) == (
        "blocked",
        f"held: Exchange is still provisioning the licences of {debra}, {megan} (T2T-E320); "
        "apply again once they have provisioned",
    )
    assert world.writes() == 0, world.all_sent()


# -- the licence executor: its re-check before assigning, its wait for provisioning --------


def _licence(w: World, licensing_seconds: int, delays: tuple[float, ...]) -> Any:
    """Ready to assign Debra's licences; Exchange provisions them ``licensing_seconds`` after
    assignLicense and the executor waits for that through ``delays``."""
    plan, action = w.ready(BY_KIND["license.assign"])
    w.control("POST", "strictness", {"licensing_seconds": licensing_seconds})
    w.licence_delays = delays
    w.clear_logs()
    return plan, action


def test_licences_still_provisioning_after_the_wait_are_noted_for_the_batch(world: World) -> None:
    """Exchange has not provisioned within the wait: done (the licences are assigned and
    verified), with the warning the operator reads, and the address noted in the context so
    that batch.create holds its batch in this run (T2T-E320)."""
    plan, action = _licence(world, 3600, (0.0, 0.05))
    provisioning: dict[str, tuple[str, ...]] = {}
    [result] = world.apply(plan, {action.id}, provisioning).results
    assert (result.status, result.message) == (
        "done",
        "licences verified; Exchange is still provisioning them",
    )
    assert result.warnings == [
        "Exchange has not provisioned the licences yet (PendingInput): its batch waits "
        "(T2T-E320); any address licensing removes is stamped again on a later run"
    ]
    assert provisioning == {DEBRA: ("PendingInput", "PendingInput")}, provisioning  # two plans
    assert len(world.sent(BY_KIND["license.assign"].write)) == 1


def test_licences_provisioned_during_the_wait_get_the_scrubbed_proxies_stamped_again(
    world: World,
) -> None:
    """Pending at the first look, provisioned at a later re-read: licensing has scrubbed the
    proxies outside accepted domains; the executor re-reads the MailUser and stamps them again
    before it reports the licences provisioned."""
    plan, action = _licence(world, 1, (0.0, 1.6))
    provisioning: dict[str, tuple[str, ...]] = {}
    gone = _scrub_one(world)
    [result] = world.apply(plan, {action.id}, provisioning).results
    assert (result.status, result.message) == ("done", "licences verified and provisioned")
    assert result.warnings == ["licensing removed stamped addresses; stamped them again"]
    assert provisioning == {}
    [stamp] = world.sent(SET_MAIL_USER)
    assert stamp["params"]["EmailAddresses"]["add"] == [gone], stamp
    assert gone in _proxies(world)


def test_a_refused_restamp_after_provisioning_fails_the_licence(world: World) -> None:
    """The scrubbed address cannot be stamped again: the action fails (its batch must not
    start a move missing that address), not done. Provisioned at the first look: the wait
    stops there (its 60 s are never slept) and goes on to the re-stamp."""
    plan, action = _licence(world, 0, (60.0,))
    _scrub_one(world)
    world.fault({"kind": "error", "status": 400, "match": SET_MAIL_USER.rule(), "count": 1})
    assert _run_one(world, plan, action) == (
        "failed",
        "Set-MailUser: ServiceUnavailable: Injected fault.",
    )


def test_a_licence_is_withheld_from_a_mailuser_without_the_source_exchangeguid(
    world: World,
) -> None:
    """Someone changed the MailUser's ExchangeGuid since the plan: a licence now would
    provision a fresh mailbox, so the executor re-checks and sends nothing."""
    plan, action = _licence(world, 0, ())
    world.invoke("fabrikam", "Set-MailUser", {"Identity": DEBRA, "ExchangeGuid": OTHER})
    assert _run_one(world, plan, action) == (
        "failed",
        f"licence withheld: the target's ExchangeGuid is {OTHER}, not the source's "
        f"{action.desired['exchange_guid']} (a licence now would provision a fresh mailbox)",
    )
    assert world.sent(BY_KIND["license.assign"].write) == []


def test_a_licence_is_withheld_from_a_user_without_a_usage_location(world: World) -> None:
    plan, action = _licence(world, 0, ())
    world.graph("PATCH", f"/users/{_user_id(world)}", {"usageLocation": None})
    assert _run_one(world, plan, action) == (
        "failed",
        "licence withheld: the user has no usageLocation",
    )
    assert world.sent(BY_KIND["license.assign"].write) == []


SET_MAIL_USER = Sent("exchange", "Set-MailUser")


def _proxies(w: World) -> list[str]:
    [mu] = w.invoke("fabrikam", "Get-MailUser", {"Identity": DEBRA})
    return [str(a) for a in mu["EmailAddresses"]]


def _scrub_one(w: World) -> str:
    """An address t2t stamped on Debra's MailUser (its X500) removed by hand and returned:
    from the executor's side, what licensing's scrub leaves behind."""
    gone = next(a for a in _proxies(w) if a.startswith("X500:"))
    w.invoke("fabrikam", "Set-MailUser", {"Identity": DEBRA, "EmailAddresses": {"remove": [gone]}})
    w.clear_logs()
    return gone


def _apply_meanwhile(
    w: World,
    plan: Plan,
    action: Action,
    hold: dict[str, Any],
    meanwhile: Callable[[], None],
    provisioning: dict[str, tuple[str, ...]] | None = None,
) -> tuple[str, str]:
    """`_run_one` in a thread, the sandbox holding the request ``hold`` matches (not yet
    handled) until ``meanwhile`` has changed the tenant: someone else's change landing at that
    exact moment of the action."""
    rule = w.control("POST", "faults", {"kind": "hold", **hold})
    out: list[tuple[str, str] | BaseException] = []

    def run() -> None:
        try:
            out.append(_run_one(w, plan, action, provisioning))
        except BaseException as exc:  # re-raised in the test's thread
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    until = time.monotonic() + 30
    while not w.control("GET", "faults")["held"]:
        assert thread.is_alive() and time.monotonic() < until, out or "never held"
        time.sleep(0.05)
    try:
        meanwhile()
    finally:
        w.control("DELETE", f"faults/{rule['id']}")  # released: the request is served now
        thread.join(60)
    [result] = out
    if isinstance(result, BaseException):
        raise result
    return result


def test_a_user_gone_during_the_provisioning_wait_is_not_taken_as_provisioned(
    world: World,
) -> None:
    """The wait's re-read finds no user (deleted meanwhile): what it could not read is not
    taken as provisioned — the licences stay noted as provisioning, nothing is re-stamped."""
    plan, action = _licence(world, 3600, (0.0,))
    user = _user_id(world)
    provisioning: dict[str, tuple[str, ...]] = {}
    # Graph's reads before the wait's: the re-plan's and the verify's
    hold = {"skip": 2, "match": {"service": "graph", "tenant": "fabrikam", "access": "read"}}

    status, message = _apply_meanwhile(
        world,
        plan,
        action,
        hold,
        lambda: world.graph("DELETE", f"/users/{user}"),
        provisioning,
    )
    assert (status, message) == ("done", "licences verified; Exchange is still provisioning them")
    assert provisioning == {DEBRA: ("PendingInput", "PendingInput")}, provisioning
    assert world.sent(SET_MAIL_USER) == []


def test_a_lost_restamp_that_never_shows_leaves_the_licence_unknown(world: World) -> None:
    """Set-MailUser's answer lost and the scrubbed address not back after the re-reads: the
    licence's outcome is unknown (its batch waits for the next run), never done, and the
    message says so once."""
    plan, action = _licence(world, 0, ())
    _scrub_one(world)
    world.fault({"kind": "drop", "count": 1, "match": SET_MAIL_USER.rule()})
    status, message = _run_one(world, plan, action)
    assert status == "unknown", message
    assert re.fullmatch(
        rf"the answer to Set-MailUser was lost \({_lost(world)}\) and the change does not "
        rf"show after {sum(VERIFY):.0f} s of re-reading — {re.escape(RUN_AGAIN)}",
        message,
    ), message


def test_a_restamp_refused_as_not_found_on_a_mailuser_this_run_created_is_sent_again(
    world: World,
) -> None:
    """The plan saw Debra absent (this run creates her MailUser): a re-stamp answered
    not-found — as Exchange answers a MailUser still replicating — is sent again until the
    deadline, even when no read shows the MailUser then (replication.py): unknown, not failed.
    Here her user is deleted while the re-stamp is in flight, so it never succeeds."""
    plan, action = _licence(world, 0, ())
    _scrub_one(world)
    world.deadline = SHORT_DEADLINE
    fresh = action.model_copy(update={"observed": None})
    user = _user_id(world)
    [mailuser] = world.invoke("fabrikam", "Get-MailUser", {"Identity": DEBRA})
    guid = mailuser["Guid"]
    status, message = _apply_meanwhile(
        world,
        plan,
        fresh,
        {"match": SET_MAIL_USER.rule()},
        lambda: world.graph("DELETE", f"/users/{user}"),
    )
    assert status == "unknown", message
    assert re.fullmatch(
        rf"waited \d+ s for the object to replicate \(Set-MailUser: "
        rf"ManagementObjectNotFoundException: The operation couldn't be performed because "
        rf"object '{guid}' couldn't be found on '[A-Z0-9.]+'\.\); it has not happened yet — "
        rf"{re.escape(RUN_AGAIN)}",
        message,
    ), message
    assert len(world.control("GET", "exchange/requests?cmdlet=Set-MailUser")["requests"]) > 1


def test_a_refused_licence_fails_naming_graph_s_answer(world: World) -> None:
    """Graph refuses assignLicense: failed with Graph's answer behind the request as sent
    (method and path), and the user keeps no licence."""
    plan, action = _licence(world, 0, ())
    write = BY_KIND["license.assign"].write
    world.fault({"kind": "error", "status": 400, "count": 1, "match": write.rule()})
    assert _run_one(world, plan, action) == (
        "failed",
        f"HTTP 400 UnknownError: POST /users/{_user_id(world)}/assignLicense: Injected fault.",
    )
    assert world.sent(write) == []


def test_a_lost_licence_that_never_shows_is_unknown_naming_assignlicense(world: World) -> None:
    """assignLicense's answer lost before Graph acted: the re-reads never show the licences,
    so the outcome is unknown, naming the write — never sent again."""
    plan, action = _licence(world, 0, ())
    write = BY_KIND["license.assign"].write
    world.fault({"kind": "drop", "count": 1, "match": write.rule()})
    status, message = _run_one(world, plan, action)
    assert status == "unknown", message
    assert re.fullmatch(
        rf"the answer to assignLicense was lost \(.+\) and the change does not show after "
        rf"{sum(VERIFY):.0f} s of re-reading — {re.escape(RUN_AGAIN)}",
        message,
    ), message
    assert world.sent(write) == []


def test_a_licence_is_withheld_when_no_recipient_holds_the_target(world: World) -> None:
    """The target address is held by no recipient now (changed since the plan): the re-check
    finds no target object, says so, and assigns nothing."""
    plan, action = _licence(world, 0, ())
    gone = "nobody@fabrikam.com"
    desired = {**action.desired, "target": gone}
    status, message = _run_one(world, plan, action.model_copy(update={"desired": desired}))
    assert (status, message) == (
        "failed",
        "licence withheld: the target's ExchangeGuid is no target object, not the source's "
        f"{action.desired['exchange_guid']} (a licence now would provision a fresh mailbox)",
    )
    assert world.sent(BY_KIND["license.assign"].write) == []


def test_a_licence_is_withheld_from_a_target_that_is_already_a_mailbox(world: World) -> None:
    """The target is a mailbox now, with the source's ExchangeGuid (its move completed, or
    someone licensed it): a licence adds nothing a move needs, so it is withheld, naming it."""
    plan, action = _licence(world, 0, ())
    mailbox = world.invoke("fabrikam", "Get-Mailbox", {"ResultSize": "Unlimited"})[0]
    target = str(mailbox["PrimarySmtpAddress"])
    desired = {**action.desired, "target": target, "exchange_guid": mailbox["ExchangeGuid"]}
    status, message = _run_one(world, plan, action.model_copy(update={"desired": desired}))
    assert (status, message) == ("failed", f"licence withheld: {target} is already a mailbox")
    assert world.sent(BY_KIND["license.assign"].write) == []


# -- a gate's dependants --------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """An action that fails (its write refused) or is blocked, and a case to reach it."""

    case: Case
    blocked: bool = False
    unrelated: str = f"target:mailuser.create:{MEGAN}"


GATES = (
    Gate(BY_KIND["mailuser.create"], unrelated=f"target:orgrel.create:{NAME}"),
    Gate(BY_KIND["mailuser.set_identity"]),
    Gate(BY_KIND["user.usage_location"], unrelated=f"target:mailuser.set_identity:{MEGAN}"),
    Gate(BY_KIND["license.assign"]),
    Gate(BY_KIND["consent.grant"]),
    Gate(BY_KIND["endpoint.create"]),
    Gate(BY_KIND["orgrel.create"]),
    Gate(BY_KIND["group.add_members"]),
    Gate(BY_KIND["invitation.send"]),
    Gate(BY_KIND["batch.remove_user"], unrelated=""),
    Gate(BY_KIND["consent.grant"], blocked=True),
)


def _mentions(entry: dict[str, Any], needles: set[str]) -> bool:
    text = json.dumps([entry.get("path"), entry.get("params")]).lower()
    return any(n.lower() in text for n in needles)


def _leaked(w: World, action: Action) -> list[dict[str, Any]]:
    """The writes of a skipped action's kind that name its object (its key; a mail user's
    Graph id when it has one) and reached the service."""
    needles = {action.key}
    if action.kind in ("user.usage_location", "license.assign"):
        upn = action.key.split("@")[0] + "@fabrikam.onmicrosoft.com"
        found = w.graph("GET", f"/users?$filter=userPrincipalName eq '{upn}'")["value"]
        needles |= {u["id"] for u in found}
    tenant = "contoso" if action.tenant == "source" else "fabrikam"
    writes = [dataclasses.replace(s, tenant=tenant) for s in BY_KIND[action.kind].writes]
    return [e for write in writes for e in w.sent(write) if _mentions(e, needles)]


@pytest.mark.parametrize(
    "gate",
    [pytest.param(g, id=f"{g.case.kind}{'-blocked' if g.blocked else '-fails'}") for g in GATES],
)
def test_a_failed_or_blocked_gate_skips_exactly_its_dependants(world: World, gate: Gate) -> None:
    _, action = world.ready(gate.case)
    plan = world.plan(gate.case.spec)  # the whole plan: the gate, its dependants, the rest
    dependants = _dependants(plan, action.id)
    assert dependants, f"{action.id} gates nothing in {[a.id for a in plan.actions]}"
    if gate.blocked:
        gated = action.model_copy(update={"blocked_by": ("T2T-E999",)})
        plan = plan.model_copy(
            update={"actions": tuple(gated if a.id == action.id else a for a in plan.actions)}
        )
    else:
        world.fault({"kind": "error", "status": 400, "match": gate.case.write.rule()})
    world.clear_logs()
    report = world.apply(plan)
    status = {r.id: r for r in report.results}
    assert status[action.id].status == ("blocked" if gate.blocked else "failed"), status[action.id]
    for aid in dependants:
        assert status[aid].status == "skipped", status[aid]
    by_id = {a.id: a for a in plan.actions}
    for aid in dependants:
        assert _leaked(world, by_id[aid]) == [], aid
    if gate.unrelated:
        assert status[gate.unrelated].status == "done", status[gate.unrelated]


def test_an_unknown_action_holds_its_dependants_until_a_second_apply_converges(
    world: World,
) -> None:
    """The whole plan; Debra's MailUser replicates past the deadline (60 s against 3 s)."""
    world.reset()
    world.fault(
        {
            "kind": "lag",
            "seconds": LONG_LAG,
            "match": {"service": "exchange", "cmdlet": "New-MailUser", "object": "^debra"},
        }
    )
    world.deadline = SHORT_DEADLINE
    first = world.apply(world.plan("adopt"))
    by_id = {r.id: r for r in first.results}
    create = "target:mailuser.create:debra@fabrikam.com"
    assert by_id[create].status == "unknown", by_id[create]
    chain = {
        "target:mailuser.set_identity:debra@fabrikam.com",
        "target:user.usage_location:debra@fabrikam.com",
        "target:license.assign:debra@fabrikam.com",
    }
    waiting = {r.id for r in first.results if r.status == "waiting"}
    assert chain <= waiting
    assert all(by_id[a].message.startswith(f"waiting on {create} ") for a in waiting)
    assert not any(r.status in ("failed", "skipped") for r in first.results), first
    assert by_id["target:mailuser.create:megan@fabrikam.com"].status == "done"
    assert {r.status for r in first.results} == {"done", "unknown", "waiting"}
    assert first.count("unknown") == 1 and first.run_again and not first.ok
    summary = render_report(first)
    assert summary.startswith(
        f"Apply incomplete: {first.count('done')} done, 0 noop, 0 failed, 0 skipped, "
        f"0 blocked, 1 unknown, {len(waiting)} waiting.\n"
    )
    assert summary.endswith(
        f"1 action did not finish: it reached the deadline or lost the answer to a write, so "
        f"its outcome is unknown; the {len(waiting)} waiting on it did not start. Run t2t "
        "apply again: it reads both tenants afresh and finishes them.\n"
    )
    assert _mail_users(world) == 0  # Debra's MailUser is there, but not to reads yet

    world.control("POST", "clock", {"advanceSeconds": LONG_LAG})  # replication catches up
    assert _mail_users(world) == 1
    world.deadline = DEFAULT_DEADLINE_SECONDS
    second = world.apply(world.plan("adopt"))
    assert second.ok, [r for r in second.results if r.status not in ("done", "noop")]
    assert create not in {r.id for r in second.results}  # nothing left of it: not sent again
    assert chain <= {r.id for r in second.results if r.status == "done"}
    assert _mail_users(world) == 1
    assert not world.plan("adopt").runnable


def _lost(w: World) -> str:
    """A dropped Exchange answer as the client reports it (a pattern)."""
    return (
        f"POST /adminapi/beta/{w.ids['fabrikam']}/InvokeCommand: the answer was lost "
        r"\(.+\); the write may or may not have happened"
    )


def _lost_endpoint_answer(world: World, *, lag: float) -> tuple[str, str]:
    """endpoint.create applied with New-MigrationEndpoint's answer lost after Exchange acted and
    the endpoint visible only after `lag` seconds: the action's status and message."""
    plan, action = world.ready(BY_KIND["endpoint.create"])
    world.clear_logs()
    match = {"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MigrationEndpoint"}
    world.fault({"kind": "lag", "seconds": lag, "match": match})
    world.fault({"kind": "drop", "count": 1, "afterHandling": True, "match": match})
    return _run_one(world, plan, action)


def test_a_lost_endpoint_answer_is_re_read_through_the_lag_until_it_shows(world: World) -> None:
    """Exchange refused nothing: New-MigrationEndpoint's answer was lost and the endpoint
    shows only after a lag. converged_after re-reads through the verify delays (not once) and
    reports the write as converged, naming the lost answer (category 1: the lost-answer
    re-read)."""
    status, message = _lost_endpoint_answer(world, lag=SHORT_LAG)
    assert status == "done", message
    assert re.fullmatch(f"already converged after {_lost(world)}", message), message


def test_a_lost_endpoint_answer_that_never_shows_is_unknown_naming_the_write(
    world: World,
) -> None:
    """The endpoint stays invisible past every re-read: the outcome is unknown, naming the
    write, the lost answer and how long it was re-read — never failed, never sent again."""
    status, message = _lost_endpoint_answer(world, lag=LONG_LAG)
    assert status == "unknown", message
    assert re.fullmatch(
        rf"the answer to New-MigrationEndpoint was lost \({_lost(world)}\) and the change "
        rf"does not show after {sum(VERIFY):.0f} s of re-reading — {re.escape(RUN_AGAIN)}",
        message,
    ), message
    assert len(world.sent(Sent("exchange", "New-MigrationEndpoint"))) == 1


def test_a_mailuser_gone_since_the_plan_fails_naming_it(world: World) -> None:
    """The identity's re-plan finds no MailUser (a saved plan for one removed since, here by
    its name): it fails naming the target, and nothing is created or set."""
    plan, action = world.ready(BY_KIND["mailuser.set_identity"])
    gone = "nobody@fabrikam.com"
    desired = {**action.desired, "target": gone, "upn": gone}
    world.clear_logs()
    status, message = _run_one(world, plan, action.model_copy(update={"desired": desired}))
    assert (status, message) == ("failed", f"{gone} does not exist in the target")
    assert world.sent(Sent("exchange", "Set-MailUser")) == []
    assert world.sent(Sent("exchange", "New-MailUser")) == []


def test_set_mailuser_sends_the_addresses_as_exchange_s_add_hashtable(world: World) -> None:
    """-EmailAddresses goes on the wire as the ExchangeOnlineManagement module sends
    @{add=…} (ConvertTo-HashTable: `@odata.type` #Exchange.GenericHashTable), the proxies the
    plan adds and nothing else."""
    plan, action = world.ready(BY_KIND["mailuser.set_identity"])
    world.clear_logs()
    assert _run_one(world, plan, action) == ("done", "Set-MailUser verified")
    [sent] = world.sent(Sent("exchange", "Set-MailUser"))
    add = action.parameters["EmailAddresses"]["add"]
    assert add, action.parameters
    assert sent["params"]["EmailAddresses"] == {
        "@odata.type": "#Exchange.GenericHashTable",
        "add": add,
    }
