"""A write to an object the plan saw, refused as not found because it was created moments ago
(Exchange's and Entra's replicas lag: t2t/apply/executors/replication.py): the executor reads
the object right then (`present`: mailuser.py `_exists` for Set-MailUser, licensing.py
`_present` for the licence), and since the read shows it, sends the write again — only while
it is refused, never once it was accepted.

Against the sandbox over HTTPS, with its replication behaviour (t2t/sandbox/replication.py:
within its window the first `refusals` writes naming a new object are refused as Microsoft
refuses them — ManagementObjectNotFoundException, Graph 404). The MailUser is made by an
earlier apply (test_executor_faults' `World.ready`) with no refusals, so the plan sees it and
the action is not "fresh" (`planned_absent`): only `present` lets the write be retried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from t2t.spec import Desired
from tests.apply.test_executor_faults import (
    DEBRA,
    Case,
    Sent,
    World,
    _converged,
    _run_one,
    _spec,
)
from tests.conftest import SandboxHandle

REFUSALS = 2
SET_MAIL_USER = Sent("exchange", "Set-MailUser")
ASSIGN = Sent("graph", "POST /users/{id}/assignLicense", path="assignLicense$")


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Desired]:
    d = tmp_path_factory.mktemp("specs")
    return {"adopt": _spec(d, register=False, group="t2tmigrationscope", complete_after=False)}


@pytest.fixture
def world(sandbox: SandboxHandle, specs: dict[str, Desired]) -> Iterator[World]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield World(sandbox, specs)
    structlog.reset_defaults()


def _replicating(w: World) -> None:
    """The sandbox notes each creation (replication on) but refuses nothing yet."""
    w.control("POST", "strictness", {"replication": True})
    w.control("POST", "replication", {"refusals": 0})


def _ready(w: World, case: Case) -> Any:
    plan, action = w.ready(case)
    assert action.observed is not None, "the plan must see the MailUser (not a fresh object)"
    w.control("POST", "replication", {"refusals": REFUSALS})
    w.clear_logs()
    return plan, action


def _exchange_log(w: World) -> list[tuple[str, int]]:
    found = w.control("GET", "exchange/requests")["requests"]
    return [(str(e["cmdlet"]), int(e["status"])) for e in found]


def _graph_log(w: World, write: Sent) -> list[int]:
    found = w.control("GET", f"graph/writes?operation={write.name}")["writes"]
    return [int(e["status"]) for e in found if e["tenant"] == write.tenant]


def test_set_mailuser_refused_while_the_mailuser_replicates_is_sent_again_until_accepted(
    world: World,
) -> None:
    case = Case("mailuser.set_identity", DEBRA, SET_MAIL_USER, before=_replicating)
    plan, action = _ready(world, case)
    assert _run_one(world, plan, action) == ("done", "Set-MailUser verified")
    log = _exchange_log(world)
    sets = [status for cmdlet, status in log if cmdlet == "Set-MailUser"]
    assert sets == [404] * REFUSALS + [200], log
    # between the first refusal and the next send: the read that found the MailUser there
    first = log.index(("Set-MailUser", 404))
    assert log[first + 1][0] == "Get-MailUser", log
    _converged(world, case)


def test_a_licence_refused_while_the_user_replicates_is_sent_again_until_accepted(
    world: World,
) -> None:
    case = Case("license.assign", DEBRA, ASSIGN, before=_replicating)
    plan, action = _ready(world, case)
    status, message = _run_one(world, plan, action)
    assert (status, message) == ("done", "licences verified and provisioned")
    assert _graph_log(world, ASSIGN) == [404] * REFUSALS + [200]
    _converged(world, case)


def test_set_mailuser_on_a_mailuser_this_run_created_is_sent_again_without_reading_it(
    world: World,
) -> None:
    """The same refusals, for a MailUser the plan saw absent (created by this run's
    New-MailUser moments ago: `planned_absent`): t2t knows it is there, so it sends again on
    the schedule without reading it between the refusals."""
    case = Case("mailuser.set_identity", DEBRA, SET_MAIL_USER, before=_replicating)
    plan, seen = _ready(world, case)
    fresh = seen.model_copy(update={"observed": None})
    assert _run_one(world, plan, fresh) == ("done", "Set-MailUser verified")
    log = _exchange_log(world)
    sets = [i for i, (cmdlet, _) in enumerate(log) if cmdlet == "Set-MailUser"]
    assert [log[i][1] for i in sets] == [404] * REFUSALS + [200], log
    between = log[sets[0] : sets[-1]]
    assert [c for c, _ in between if c != "Set-MailUser"] == [], log
    _converged(world, case)
