"""A write naming an object created moments ago is sent again only while Microsoft says the
object is not there yet — and only when this run created it or a read still shows it — after
the context's delays; never after a lost answer (t2t/apply/executors/replication.py)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

import pytest

from t2t.apply import ApplyContext
from t2t.apply.executors.replication import (
    exchange_not_replicated,
    graph_not_replicated,
    planned_absent,
    send_replicated,
)
from t2t.clients import (
    ClientError,
    ExchangeError,
    GraphError,
    GraphNotFound,
    ObjectNotFound,
    PermissionDenied,
    TransportError,
)
from t2t.clients.errors import DeadlineReached
from tests.apply.scratch import scratch_action

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"


def _not_found() -> ObjectNotFound:
    return ObjectNotFound(404, "NotFound", "no such object", exception_type=NOT_FOUND)


def test_graph_not_replicated_is_a_404_or_a_400_not_a_valid_reference() -> None:
    assert graph_not_replicated(GraphNotFound(404, "Request_ResourceNotFound", "gone"))
    assert graph_not_replicated(
        GraphError(400, "Request_BadRequest", "Not a valid reference update.")
    )
    assert graph_not_replicated(
        GraphError(400, "Request_BadRequest", "NOT A VALID REFERENCE UPDATE")
    )
    assert not graph_not_replicated(GraphError(400, "Request_BadRequest", "Invalid property."))
    assert not graph_not_replicated(
        GraphError(403, "Authorization_RequestDenied", "Not a valid reference update.")
    )
    assert not graph_not_replicated(
        PermissionDenied(400, "Request_BadRequest", "Not a valid reference update.")
    )
    assert not graph_not_replicated(_not_found())


def test_exchange_not_replicated_is_management_object_not_found_only() -> None:
    assert exchange_not_replicated(_not_found())
    other = ExchangeError(400, "BadRequest", "bad", exception_type="x.InvalidOperation")
    assert not exchange_not_replicated(other)
    assert not exchange_not_replicated(GraphNotFound(404, "Request_ResourceNotFound", "gone"))


def test_planned_absent_is_an_object_the_plan_did_not_see() -> None:
    base = scratch_action("a")
    assert planned_absent(base)
    assert not planned_absent(base.model_copy(update={"observed": {"Name": "a"}}))


class Sender:
    """A send that answers each error of `answers` in turn (then "ok"), noting when it ran."""

    def __init__(self, *answers: ClientError) -> None:
        self.answers = list(answers)
        self.at: list[float] = []

    async def __call__(self) -> str:
        self.at.append(time.monotonic())
        if self.answers:
            raise self.answers.pop(0)
        return "ok"


class Present:
    def __init__(self, answer: bool) -> None:
        self.answer, self.calls = answer, 0

    async def __call__(self) -> bool:
        self.calls += 1
        return self.answer


def _run(
    send: Sender,
    *,
    fresh: bool,
    present: Callable[[], Awaitable[bool]] | None = None,
    delays: tuple[float, ...] = (0.0, 0.0, 0.0),
    deadline: float = 60.0,
) -> str:
    ctx = ApplyContext(exchange={}, verify_delays=delays, deadline_seconds=deadline)
    return asyncio.run(
        send_replicated(
            ctx, send, not_replicated=exchange_not_replicated, fresh=fresh, present=present
        )
    )


def test_a_fresh_object_is_sent_again_while_not_replicated_after_the_delays() -> None:
    send = Sender(_not_found(), _not_found())
    assert _run(send, fresh=True, delays=(0.0, 0.05, 0.1)) == "ok"
    assert len(send.at) == 3
    assert send.at[1] - send.at[0] >= 0.045
    assert send.at[2] - send.at[1] >= 0.095


def test_retries_go_on_past_the_delays_until_the_deadline_naming_the_last_answer() -> None:
    errors = [_not_found() for _ in range(50)]
    send = Sender(*errors)
    started = time.monotonic()
    with pytest.raises(DeadlineReached) as raised:
        _run(send, fresh=True, delays=(0.0, 0.0, 0.0), deadline=2.0)
    assert time.monotonic() - started >= 1.0
    # 1 + the schedule's 2 retries, then one a second later (its last delay repeated, at
    # least 1 s) and a last one half a second before the deadline
    assert len(send.at) == 1 + 2 + 1 + 1
    last = errors[len(send.at) - 1]
    assert re.fullmatch(
        rf"waited \d+ s for the object to replicate \({re.escape(str(last))}\); "
        "it has not happened yet",
        str(raised.value),
    )


def test_a_replica_that_catches_up_after_the_delays_is_still_written() -> None:
    send = Sender(*(_not_found() for _ in range(4)))
    assert _run(send, fresh=True, delays=(0.0, 0.0), deadline=30.0) == "ok"
    assert len(send.at) == 5


def test_a_lost_answer_is_never_sent_again() -> None:
    lost = TransportError("connection reset")
    send = Sender(lost, _not_found())
    with pytest.raises(TransportError) as raised:
        _run(send, fresh=True)
    assert raised.value is lost and len(send.at) == 1


def test_another_error_is_not_retried() -> None:
    other = ExchangeError(400, "BadRequest", "bad", exception_type="x.InvalidOperation")
    send = Sender(other)
    with pytest.raises(ExchangeError) as raised:
        _run(send, fresh=True)
    assert raised.value is other and len(send.at) == 1


def test_a_not_found_on_an_object_the_plan_saw_is_the_real_answer() -> None:
    first = _not_found()
    send = Sender(first, _not_found())
    with pytest.raises(ObjectNotFound) as raised:
        _run(send, fresh=False)
    assert raised.value is first and len(send.at) == 1


def test_a_not_found_on_an_object_a_read_no_longer_shows_is_the_real_answer() -> None:
    present = Present(False)
    send = Sender(_not_found(), _not_found())
    with pytest.raises(ObjectNotFound):
        _run(send, fresh=False, present=present)
    assert len(send.at) == 1 and present.calls == 1


def test_a_not_found_on_an_object_a_read_still_shows_is_retried_reading_once() -> None:
    present = Present(True)
    send = Sender(_not_found(), _not_found())
    assert _run(send, fresh=False, present=present) == "ok"
    assert len(send.at) == 3
    assert present.calls == 1  # once seen, the rest is a replica behind


def test_a_fresh_object_is_retried_without_reading() -> None:
    present = Present(False)
    send = Sender(_not_found())
    assert _run(send, fresh=True, present=present) == "ok"
    assert len(send.at) == 2 and present.calls == 0


def test_the_first_send_waits_for_no_delay() -> None:
    send = Sender()
    started = time.monotonic()
    assert _run(send, fresh=True, delays=(0.5, 0.0)) == "ok"
    assert send.at[0] - started < 0.25 and len(send.at) == 1
