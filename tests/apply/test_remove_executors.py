"""The executors that take apart what an endpoint pointing at the wrong tenant left behind
(T2T-E232's remedy) against the sandbox, over HTTPS, under issue 11's faults: `batch.remove`,
`batch.remove_user` for a user unfinished in a batch on a replaced endpoint, and
`endpoint.remove` (planned only with --allow-destroy).

Why apart from test_executor_faults (whose `World`, `Case` and helpers this reuses): each needs
a replaced endpoint, which its table's worlds never have, and each refuses more ways — an
object changed since the plan so that removing it is no longer right must fail (or be held)
with nothing sent, not be removed anyway. The worlds, each built over InvokeCommand as an
admin would (tests/e2e/test_endpoint_replacement.py does it end to end):

- **typo**: the spec's endpoint made by hand with a typo in -RemoteTenant, and wave-1 made on
  it, not started: the plan removes the batch and puts debra in wave-1-02 on the replacement;
- **custom**: the spec's endpoint made by hand with the source's custom domain as RemoteTenant
  (T2T-E232: "not the source domain" the spec names, as VerifySetup.ps1 would flag it) — the
  move service reaches the source through any of its domains, so its batches sync and complete
  (an endpoint naming the tenant id reaches nothing, like a typo: README, open questions);
- **pair**: custom, with wave-1 = debra and megan; megan left the scope group before the batch
  started, so she failed (retryably) while debra completed: the plan removes megan alone;
- **both**: custom, with wave-1 = debra and megan, both synced: the plan removes the batch.

Each test checks the action's whole message and the sandbox's request log: a refusal sends no
Remove-* at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from t2t.cli.app import probe_request
from t2t.clients import wire
from t2t.planner import Plan, build_plan
from t2t.probes import read_snapshot
from t2t.spec import Desired, load_spec
from tests.apply.test_executor_faults import (
    DEBRA,
    ENDPOINT,
    LONG_LAG,
    MEGAN,
    SEEDED_APP,
    SPEC,
    SRC,
    TGT,
    Case,
    Sent,
    World,
    _converged,
    _dependants,
    _handled_once,
    _leaked,
    _run_one,
    _spec,
)
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import migration_secret
from tests.sandbox.module_forms import credential

REPLACEMENT = f"{ENDPOINT}-2"
SOURCE_DOMAIN = "contoso.onmicrosoft.com"
TYPO = "contso.onmicrosoft.com"
CUSTOM = "contoso.com"
TDD = "fabrikam.mail.onmicrosoft.com"
SCOPE = "t2tmigrationscope"
NEW_BATCH = "target:batch.create:wave-1-02"
#: What the first plans apply before a world's batch is made by hand: the rest.
LATER = ("endpoint.", "batch.")


# -- what the admin did by hand, over InvokeCommand ------------------------------------------


def _endpoint(w: World, name: str, remote_tenant: str, *, app: bool = False) -> None:
    params: dict[str, Any] = {
        "ExchangeRemoteMove": True,
        "Name": name,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": remote_tenant,
        "SkipVerification": True,
    }
    if app:  # the migration app and a real secret of it: the move service signs in with it
        secret = migration_secret(w.sandbox, SEEDED_APP, wait=False)
        params |= {
            "ApplicationId": SEEDED_APP,
            "Credentials": credential(w.sandbox, SEEDED_APP, secret),
        }
    w.invoke("fabrikam", "New-MigrationEndpoint", params)


def _remove_endpoint(w: World, name: str) -> None:
    w.invoke("fabrikam", "Remove-MigrationEndpoint", {"Identity": name, "Confirm": False})


def _batch(w: World, name: str, endpoint: str, *mailboxes: str, start: bool = False) -> None:
    csv = "EmailAddress\r\n" + "".join(f"{m}\r\n" for m in mailboxes)
    params = {
        "Name": name,
        "SourceEndpoint": endpoint,
        "CSVData": wire.csv_data(csv),
        "TargetDeliveryDomain": TDD,
        "AutoStart": start,
    }
    w.invoke("fabrikam", "New-MigrationBatch", params)


def _batch_cmdlet(w: World, cmdlet: str, name: str = "wave-1", **params: Any) -> None:
    w.invoke("fabrikam", cmdlet, {"Identity": name, **params})


def _remove_batch(w: World, name: str = "wave-1") -> None:
    _batch_cmdlet(w, "Remove-MigrationBatch", name, Confirm=False)


def _scope(w: World, cmdlet: str, mailbox: str) -> None:
    params = {"Identity": SCOPE, "Member": mailbox, "BypassSecurityGroupManagerCheck": True}
    if cmdlet.startswith("Remove-"):
        params["Confirm"] = False
    w.invoke("contoso", cmdlet, params)


def _status(w: World, name: str = "wave-1") -> str:
    found = w.invoke("fabrikam", "Get-MigrationBatch", {})
    return next((str(b["Status"]) for b in found if b["Identity"] == name), "gone")


def _user_status(w: World, identity: str) -> str:
    found = w.invoke("fabrikam", "Get-MigrationUser", {})
    return next((str(u["Status"]) for u in found if u["Identity"].lower() == identity), "gone")


def _until(w: World, done: Callable[[], bool], what: str) -> None:
    """Move the sandbox clock (the move service's pace) until `done`."""
    for _ in range(12):
        if done():
            return
        w.control("POST", "clock", {"advanceSeconds": 900})
    raise AssertionError(f"never happened: {what}")


def _everything_but_batches(w: World, spec: str) -> None:
    """Apply what the spec needs except the replacement endpoint and the batches: the moves
    of a batch made on the old endpoint can then run."""
    for _ in range(4):
        plan = w.plan(spec)
        todo = {a.id for a in plan.actions if not a.kind.startswith(LATER)}
        if not todo:
            return
        report = w.apply(plan, todo)
        assert report.ok, report
    raise AssertionError(f"never converged: {[a.id for a in w.plan(spec).actions]}")


def _typo(w: World) -> None:
    _endpoint(w, ENDPOINT, TYPO)
    _batch(w, "wave-1", ENDPOINT, DEBRA)


def _custom(w: World) -> None:
    """wave-1 (debra) synced on the custom-domain endpoint."""
    _endpoint(w, ENDPOINT, CUSTOM, app=True)
    _everything_but_batches(w, "adopt")
    _batch(w, "wave-1", ENDPOINT, DEBRA, start=True)
    _until(w, lambda: _status(w) == "Synced", "wave-1 synced")


def _both(w: World) -> None:
    """wave-1 (debra, megan) synced on the custom-domain endpoint."""
    _endpoint(w, ENDPOINT, CUSTOM, app=True)
    _everything_but_batches(w, "pair")
    _batch(w, "wave-1", ENDPOINT, DEBRA, MEGAN, start=True)
    _until(w, lambda: _status(w) == "Synced", "wave-1 synced")


def _pair(w: World) -> None:
    """wave-1 (debra, megan) on the custom-domain endpoint: debra completed, megan failed out
    of scope."""
    _endpoint(w, ENDPOINT, CUSTOM, app=True)
    _everything_but_batches(w, "pair")
    _scope(w, "Remove-DistributionGroupMember", "megan@contoso.com")
    _batch(w, "wave-1", ENDPOINT, DEBRA, MEGAN, start=True)
    _until(w, lambda: _status(w) == "SyncedWithErrors", "wave-1 synced with megan failed")
    _batch_cmdlet(w, "Complete-MigrationBatch", Confirm=False)
    _until(w, lambda: _status(w) == "CompletedWithErrors", "debra completed")
    assert _user_status(w, MEGAN) == "Failed"


REMOVE_BATCH = Sent("exchange", "Remove-MigrationBatch")
REMOVE_USER = Sent("exchange", "Remove-MigrationUser")
REMOVE_ENDPOINT = Sent("exchange", "Remove-MigrationEndpoint")
ENDPOINTS = "Get-MigrationEndpoint"

BATCH_TYPO = Case("batch.remove", "wave-1", REMOVE_BATCH, before=_typo)
BATCH_CUSTOM = Case("batch.remove", "wave-1", REMOVE_BATCH, before=_custom)
BATCH_BOTH = Case("batch.remove", "wave-1", REMOVE_BATCH, spec="pair", before=_both)
USER_PAIR = Case("batch.remove_user", MEGAN, REMOVE_USER, spec="pair", before=_pair)
OLD_ENDPOINT = Case(
    "endpoint.remove", ENDPOINT, REMOVE_ENDPOINT, before=lambda w: _endpoint(w, ENDPOINT, TYPO)
)


# -- the world, planning with --allow-destroy -------------------------------------------------


class Destroying(World):
    """`World`, planning as `t2t plan --allow-destroy` does (endpoint.remove is planned only
    so)."""

    def plan(self, spec: str) -> Plan:
        desired = self.specs[spec]

        async def run() -> Plan:
            async with self._clients() as (_, src, tgt):
                pair = ((src.exchange, src.graph), (tgt.exchange, tgt.graph))
                snapshot = await read_snapshot(probe_request(desired), *pair)
                return build_plan(desired, snapshot, allow_destroy=True)

        return asyncio.run(run())


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Desired]:
    d = tmp_path_factory.mktemp("specs")
    text = SPEC.format(
        src=SRC,
        tgt=TGT,
        app=f"appId: {SEEDED_APP}",
        group=SCOPE,
        endpoint=ENDPOINT,
        complete_after="",
    )
    wave = "    mailboxes: [debra@contoso.com]\n"
    assert wave in text
    (d / "pair.yaml").write_text(
        text.replace(wave, "    mailboxes: [debra@contoso.com, megan@contoso.com]\n"),
        encoding="utf-8",
    )
    return {
        "adopt": _spec(d, register=False, group=SCOPE, complete_after=False),
        "pair": load_spec(d / "pair.yaml"),
    }


@pytest.fixture
def world(sandbox: SandboxHandle, specs: dict[str, Desired]) -> Iterator[World]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield Destroying(sandbox, specs)
    structlog.reset_defaults()


def _removes(w: World) -> list[dict[str, Any]]:
    """Every Remove-* request the sandbox received since the logs were cleared, refused or
    not."""
    found = w.control("GET", "exchange/requests")["requests"]
    return [e for e in found if str(e["cmdlet"]).startswith("Remove-")]


def _refused_with(w: World, case: Case, change: Callable[[World], None], message: str) -> None:
    """After the plan, someone else `change`s the object: the action fails (or is held) with
    `message` and nothing at all is sent."""
    plan, action = w.ready(case)
    change(w)
    w.clear_logs()
    status, said = _run_one(w, plan, action)
    assert (status, said) == ("blocked" if message.startswith("held:") else "failed", message)
    assert _removes(w) == [] and w.writes() == 0, w.all_sent()


def _lost(w: World, case: Case) -> None:
    """The remove's answer is lost after Exchange handled it: re-read, it is done, sent once,
    and the next plan has nothing left for it."""
    plan, action = w.ready(case)
    w.clear_logs()
    w.fault({"kind": "drop", "count": 1, "afterHandling": True, "match": case.write.rule()})
    status, message = _run_one(w, plan, action)
    assert w.control("GET", "faults")["rules"] == [], "the answer was never lost"
    assert status == "done" and message.startswith("already converged after "), message
    assert len(w.sent(case.write)) == 1
    _handled_once(w, case)
    _converged(w, case)


def _fixed(w: World, case: Case, fix: Callable[[World], None]) -> None:
    plan, action = w.ready(case)
    fix(w)
    w.clear_logs()
    assert _run_one(w, plan, action) == ("noop", "already as desired")
    assert w.writes() == 0, w.all_sent()


def _gate(w: World, case: Case, unrelated: str) -> None:
    """The remove is refused (400): exactly its dependants are skipped and none of their writes
    reaches Exchange; an unrelated action runs."""
    _, action = w.ready(case)
    plan = w.plan(case.spec)  # the whole plan: the remove, the new sub-batch, the rest
    dependants = _dependants(plan, action.id)
    assert NEW_BATCH in dependants, [a.id for a in plan.actions]
    w.fault({"kind": "error", "status": 400, "match": case.write.rule()})
    w.clear_logs()
    report = w.apply(plan)
    status = {r.id: r for r in report.results}
    assert status[action.id].status == "failed", status[action.id]
    for aid in dependants:
        assert status[aid].status == "skipped", status[aid]
    by_id = {a.id: a for a in plan.actions}
    for aid in dependants:
        assert _leaked(w, by_id[aid]) == [], aid
    if unrelated:
        assert status[unrelated].status == "done", status[unrelated]


# -- batch.remove ------------------------------------------------------------------------------


def test_a_batch_remove_is_sent_once_and_verified(world: World) -> None:
    plan, action = world.ready(BATCH_TYPO)
    world.clear_logs()
    assert _run_one(world, plan, action) == ("done", "Remove-MigrationBatch verified")
    assert [e["params"]["Identity"] for e in world.sent(REMOVE_BATCH)] == ["wave-1"]
    assert _status(world) == "Removing"


def test_a_batch_remove_whose_answer_was_lost_converges_sent_once(world: World) -> None:
    _lost(world, BATCH_TYPO)
    assert _status(world) == "Removing"


def _removed_and_gone(w: World) -> None:
    _remove_batch(w)
    _until(w, lambda: _status(w) == "gone", "wave-1 gone")


def _gone_and_moved_by_hand(w: World) -> None:
    """wave-1 gone, debra in a batch of another name on the endpoint in use: the re-read asks
    for wave-1 by name, not for whichever batch there is."""
    _removed_and_gone(w)
    _batch(w, "by-hand", REPLACEMENT, DEBRA)


@pytest.mark.parametrize(
    "fix",
    [
        pytest.param(_remove_batch, id="removing"),
        pytest.param(_removed_and_gone, id="gone"),
        pytest.param(_gone_and_moved_by_hand, id="gone-another-batch-there"),
    ],
)
def test_a_batch_someone_removed_since_the_plan_is_a_noop(
    world: World, fix: Callable[[World], None]
) -> None:
    _fixed(world, BATCH_TYPO, fix)


def _moved_to_the_replacement(w: World) -> None:
    """Someone removed wave-1 and made it again on the endpoint in use."""
    _remove_batch(w)
    _until(w, lambda: _status(w) == "gone", "wave-1 gone")
    _batch(w, "wave-1", REPLACEMENT, DEBRA)


def _completed(*users: str) -> Callable[[World], None]:
    def complete(w: World) -> None:
        _batch_cmdlet(w, "Complete-MigrationBatch", Confirm=False)
        _until(
            w, lambda: all(_user_status(w, u) == "Completed" for u in users), f"{users} completed"
        )

    return complete


@pytest.mark.parametrize(
    ("case", "change", "message"),
    [
        pytest.param(
            BATCH_TYPO,
            _moved_to_the_replacement,
            f"batch wave-1 is on {REPLACEMENT}, the endpoint in use: not removed; run plan again",
            id="on-the-endpoint-in-use",
        ),
        pytest.param(
            BATCH_CUSTOM,
            lambda w: _batch_cmdlet(w, "Stop-MigrationBatch", Confirm=False),
            "batch wave-1 is Stopping: Remove-MigrationBatch removes only a batch that isn't "
            "running; run plan again",
            id="running",
        ),
        pytest.param(
            BATCH_CUSTOM,
            _completed(DEBRA),
            f"batch wave-1: {DEBRA} completed since the plan: not removed (its unfinished "
            "users are removed one by one instead); run plan again",
            id="a-user-completed",
        ),
        pytest.param(
            BATCH_BOTH,
            _completed(DEBRA, MEGAN),
            f"batch wave-1: {DEBRA}, {MEGAN} completed since the plan: not removed (its "
            "unfinished users are removed one by one instead); run plan again",
            id="users-completed",
        ),
    ],
)
def test_a_batch_changed_since_the_plan_is_not_removed(
    world: World, case: Case, change: Callable[[World], None], message: str
) -> None:
    _refused_with(world, case, change, message)


def test_a_failed_batch_remove_skips_the_new_sub_batch(world: World) -> None:
    _gate(world, BATCH_TYPO, unrelated=f"target:mailuser.create:{MEGAN}")
    assert _status(world) == "Created"


# -- batch.remove_user, for a user unfinished on a replaced endpoint ---------------------------


def test_a_user_remove_whose_answer_was_lost_converges_sent_once(world: World) -> None:
    _lost(world, USER_PAIR)
    assert _user_status(world, MEGAN) == "gone"
    assert _user_status(world, DEBRA) == "Completed"  # its completed neighbour stays


def _remove_megan(w: World) -> None:
    w.invoke("fabrikam", "Remove-MigrationUser", {"Identity": MEGAN, "Confirm": False})


@pytest.mark.parametrize(
    "fix",
    [
        pytest.param(_remove_megan, id="removed"),
        # Remove-MigrationBatch: every user of the batch is Removing, on its way out as the
        # planner counts it (batches/domain.py: "in none for a new one")
        pytest.param(_remove_batch, id="its-batch-being-removed"),
    ],
)
def test_a_user_someone_removed_since_the_plan_is_a_noop(
    world: World, fix: Callable[[World], None]
) -> None:
    _fixed(world, USER_PAIR, fix)


def _megan_completed(w: World) -> None:
    """Someone retried the batch (megan is back in scope: the plan's group.add_members ran
    before the remove, as it must): she completed."""
    _batch_cmdlet(w, "Start-MigrationBatch")
    _until(w, lambda: _user_status(w, MEGAN) == "Completed", "megan completed")


def _megan_moved(w: World) -> None:
    """Someone took megan out of wave-1 and into a batch on the endpoint in use."""
    _remove_megan(w)
    _batch(w, "by-hand", REPLACEMENT, MEGAN)


def _megan_moved_unseen(w: World) -> None:
    """As `_megan_moved`, her new batch not replicated yet: Get-MigrationBatch cannot find it,
    so nothing says she is on a replaced endpoint — she is not removed."""
    match = {"service": "exchange", "tenant": "fabrikam", "cmdlet": "New-MigrationBatch"}
    w.fault({"kind": "lag", "seconds": LONG_LAG, "match": match})
    _megan_moved(w)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param(_megan_completed, "Completed", id="completed"),
        pytest.param(_megan_moved, "Queued", id="on-the-endpoint-in-use"),
        pytest.param(_megan_moved_unseen, "Queued", id="in-a-batch-not-replicated-yet"),
    ],
)
def test_a_user_changed_since_the_plan_is_not_removed(
    world: World, change: Callable[[World], None], status: str
) -> None:
    message = (
        f"migration user {MEGAN} is now {status} (no error), neither failed in a way that "
        "needs removing nor unfinished on a replaced endpoint: not removed; run plan again"
    )
    _refused_with(world, USER_PAIR, change, message)


def test_a_failed_user_remove_skips_the_new_sub_batch(world: World) -> None:
    _gate(world, USER_PAIR, unrelated="")
    assert _user_status(world, MEGAN) == "Failed"


# -- endpoint.remove ---------------------------------------------------------------------------


def _endpoints(w: World) -> dict[str, str]:
    found = w.invoke("fabrikam", "Get-MigrationEndpoint", {})
    return {e["Identity"]: e["RemoteTenant"] for e in found}


def test_an_endpoint_remove_whose_answer_was_lost_converges_sent_once(world: World) -> None:
    _lost(world, OLD_ENDPOINT)
    assert _endpoints(world) == {REPLACEMENT: SOURCE_DOMAIN}


def test_an_endpoint_someone_removed_since_the_plan_is_a_noop(world: World) -> None:
    _fixed(world, OLD_ENDPOINT, lambda w: _remove_endpoint(w, ENDPOINT))


def test_batches_on_the_replacement_do_not_hold_the_old_endpoints_removal(world: World) -> None:
    """The replacement's own batches (the moved waves': wave-1-02 in a real run) name another
    endpoint: only the batches on the old one (Get-MigrationBatch -Endpoint) keep it."""
    plan, action = world.ready(OLD_ENDPOINT)
    _batch(world, "wave-1-02", REPLACEMENT, DEBRA)
    world.clear_logs()
    assert _run_one(world, plan, action) == ("done", "Remove-MigrationEndpoint verified")
    assert len(world.sent(REMOVE_ENDPOINT)) == 1
    assert _endpoints(world) == {REPLACEMENT: SOURCE_DOMAIN}


def _in_use(*removing: bool) -> Callable[[World], None]:
    """Batches on the old endpoint made since the plan; `removing`: being removed."""

    def make(w: World) -> None:
        for i, gone in enumerate(removing):
            name = f"by-hand-{i}"
            _batch(w, name, ENDPOINT, (DEBRA, MEGAN)[i])
            if gone:
                _remove_batch(w, name)

    return make


REPLACEMENT_MISSING = (
    f"its replacement {REPLACEMENT} does not exist or does not point at {SOURCE_DOMAIN}: "
    f"{ENDPOINT} is not removed; run plan again"
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda w: (_remove_endpoint(w, ENDPOINT), _endpoint(w, ENDPOINT, SOURCE_DOMAIN)),
            f"endpoint {ENDPOINT} now points at {SOURCE_DOMAIN}: not removed; run plan again",
            id="made-again-pointing-at-the-source",
        ),
        pytest.param(
            lambda w: _remove_endpoint(w, REPLACEMENT),
            REPLACEMENT_MISSING,
            id="replacement-removed",
        ),
        pytest.param(
            lambda w: (_remove_endpoint(w, REPLACEMENT), _endpoint(w, REPLACEMENT, TYPO)),
            REPLACEMENT_MISSING,
            id="replacement-made-again-pointing-elsewhere",
        ),
        pytest.param(
            _in_use(True, True),
            f"held: batch(es) by-hand-0, by-hand-1 on {ENDPOINT} are still being removed; "
            "apply again once they are gone",
            id="batches-being-removed",
        ),
        pytest.param(
            lambda w: w.fault(
                {
                    "kind": "error",
                    "status": 400,
                    "count": 1,
                    "match": Sent("exchange", ENDPOINTS).rule(),
                }
            ),
            "cannot read the endpoints: Get-MigrationEndpoint failed: Get-MigrationEndpoint: "
            "ServiceUnavailable: Injected fault.",
            id="endpoints-unreadable",
        ),
        pytest.param(
            _in_use(False, True),
            f"batch(es) by-hand-0 (Created), by-hand-1 (Removing) use {ENDPOINT}: not removed; "
            "run plan again",
            id="batches-using-it",
        ),
    ],
)
def test_an_endpoint_changed_since_the_plan_is_not_removed(
    world: World, change: Callable[[World], None], message: str
) -> None:
    _refused_with(world, OLD_ENDPOINT, change, message)
    assert ENDPOINT in _endpoints(world)


def test_a_failed_replacement_skips_the_old_endpoints_removal(world: World) -> None:
    """New-MigrationEndpoint refused: the old endpoint, its only way to the source (wrong as it
    is), is not removed; an unrelated action runs."""
    world.reset()
    _endpoint(world, ENDPOINT, TYPO)
    plan = world.plan("adopt")
    remove = f"target:endpoint.remove:{ENDPOINT}"
    create = f"target:endpoint.create:{REPLACEMENT}"
    assert _dependants(plan, create) >= {remove}, [a.id for a in plan.actions]
    world.fault(
        {"kind": "error", "status": 400, "match": Sent("exchange", "New-MigrationEndpoint").rule()}
    )
    world.clear_logs()
    status = {r.id: r for r in world.apply(plan).results}
    assert status[create].status == "failed", status[create]
    assert status[remove].status == "skipped", status[remove]
    assert status[f"target:mailuser.create:{MEGAN}"].status == "done"
    assert _removes(world) == []
    assert _endpoints(world) == {ENDPOINT: TYPO}
