"""The one meaning of apply (`converge`, t2t/apply/executors/common.py): re-read and re-plan
before writing, send what the re-plan says once, verify by re-reading until the action's
deadline (then its outcome is unknown, not failed); a refused write is re-read once, a lost
answer re-read while reads lag (then unknown), and neither is ever sent again. `replan` and
`send` are the executor's own callables, faked here."""

from __future__ import annotations

import asyncio
import time

import pytest

from t2t.apply import ApplyContext
from t2t.apply.executors.common import (
    ExecutionFailed,
    Held,
    Write,
    converge,
    resolve_app_id,
    verified,
)
from t2t.apply.result import ActionResult
from t2t.clients import ClientError, CmdletResult, ExchangeError, TransportError
from t2t.clients.errors import DeadlineReached
from t2t.logs import register_secret
from t2t.planner.shared.app import AppDesire
from tests.apply.scratch import scratch_action

ACTION = scratch_action("mailuser:debra")
REFUSED = ExchangeError(400, "BadRequest", "refused", exception_type="x.InvalidOperation")


class Object:
    """The object as re-reads show it: converged from the `converges_at`-th re-plan on (the
    first re-plan is the one before the write); every re-plan until then says `write`."""

    def __init__(
        self,
        converges_at: int | None,
        *,
        answer: CmdletResult | None = None,
        error: ClientError | None = None,
    ) -> None:
        self.converges_at, self.answer, self.error = converges_at, answer, error
        self.replans = 0
        self.sends = 0

    async def send(self) -> CmdletResult | None:
        self.sends += 1
        if self.error is not None:
            raise self.error
        return self.answer

    async def replan(self) -> Write | None:
        self.replans += 1
        if self.converges_at is not None and self.replans >= self.converges_at:
            return None
        return Write("New-MailUser debra", self.send)


#: What an unknown outcome's message ends with.
RUN_AGAIN = " — its outcome is unknown: run t2t apply again to finish it"


def _converge(
    obj: Object, delays: tuple[float, ...] = (0.0, 0.0, 0.0), deadline: float = 60.0
) -> ActionResult:
    ctx = ApplyContext(exchange={}, verify_delays=delays, deadline_seconds=deadline)
    return asyncio.run(converge(ACTION, ctx, obj.replan))


def test_an_object_already_as_desired_is_a_noop_without_a_write() -> None:
    obj = Object(converges_at=1)
    result = _converge(obj)
    assert (result.id, result.status, result.message) == (ACTION.id, "noop", "already as desired")
    assert obj.sends == 0 and obj.replans == 1


def test_a_write_is_sent_once_and_verified_by_a_re_read() -> None:
    answer = CmdletResult(warnings=["w1"], request_ids=["r1"])
    obj = Object(converges_at=2, answer=answer)
    result = _converge(obj)
    assert (result.id, result.status, result.message) == (
        ACTION.id,
        "done",
        "New-MailUser debra verified",
    )
    assert result.warnings == ["w1"] and result.request_ids == ["r1"]
    assert obj.sends == 1 and obj.replans == 2


def test_a_graph_write_answering_nothing_is_verified_too() -> None:
    obj = Object(converges_at=3, answer=None)
    result = _converge(obj)
    assert (result.status, result.warnings, result.request_ids) == ("done", [], [])
    assert obj.sends == 1 and obj.replans == 3


def test_a_write_never_visible_is_re_read_until_the_deadline_then_unknown_naming_its_warnings() -> (
    None
):
    answer = CmdletResult(warnings=["w1", "w2"])
    obj = Object(converges_at=None, answer=answer)
    started = time.monotonic()
    result = _converge(obj, delays=(0.0, 0.1), deadline=1.2)
    took = time.monotonic() - started
    assert result.status == "unknown"
    assert result.message == (
        "New-MailUser debra returned but waited 1 s for New-MailUser debra's change to show; "
        "it has not happened yet (warned: w1; w2)" + RUN_AGAIN
    )
    assert result.warnings == ["w1", "w2"]
    assert 0.7 <= took < 2.5  # re-read until the deadline, not a fixed number of times
    # the schedule (0, 0.1 s), then a last look 0.5 s before the deadline (its last delay
    # repeated would come later): more re-reads than the schedule holds, one write
    assert obj.sends == 1 and obj.replans == 1 + 2 + 1


def test_a_write_never_visible_without_warnings_says_only_that() -> None:
    result = _converge(Object(converges_at=None, answer=CmdletResult()), deadline=0.3)
    assert result.message == (
        "New-MailUser debra returned but waited 0 s for New-MailUser debra's change to show; "
        "it has not happened yet" + RUN_AGAIN
    )


def test_a_write_shown_late_is_waited_out_past_the_schedule() -> None:
    obj = Object(converges_at=1 + 3 + 2, answer=CmdletResult())  # 2 re-reads past the schedule
    result = _converge(obj, delays=(0.0, 0.0, 0.0), deadline=30.0)
    assert (result.status, result.message) == ("done", "New-MailUser debra verified")
    assert obj.sends == 1


def test_a_refused_write_is_re_read_once_and_not_sent_again() -> None:
    obj = Object(converges_at=None, error=REFUSED)
    result = _converge(obj, delays=(0.0, 0.0, 0.0))
    assert (result.status, result.message) == ("failed", str(REFUSED))
    assert obj.sends == 1 and obj.replans == 2  # no verify loop: the refusal is an answer


def test_a_refused_write_whose_object_converged_meanwhile_is_done() -> None:
    register_secret("s3cr3t-in-a-refusal")
    error = ExchangeError(400, "BadRequest", "s3cr3t-in-a-refusal", exception_type="x.Dup")
    obj = Object(converges_at=2, error=error)
    result = _converge(obj)
    assert result.status == "done"
    assert result.message.startswith("already converged after ")
    assert "s3cr3t-in-a-refusal" not in result.message
    assert obj.sends == 1


def test_a_lost_answer_is_re_read_while_reads_lag_and_never_sent_again() -> None:
    obj = Object(converges_at=4, error=TransportError("connection reset"))
    result = _converge(obj, delays=(0.0, 0.0, 0.0))
    assert (result.status, result.message) == ("done", "already converged after connection reset")
    assert obj.sends == 1 and obj.replans == 4


def test_a_lost_answer_never_visible_is_unknown_without_a_second_write() -> None:
    obj = Object(converges_at=None, error=TransportError("connection reset"))
    result = _converge(obj, delays=(0.0, 0.0, 0.0))
    assert (result.status, result.message) == (
        "unknown",
        "the answer to New-MailUser debra was lost (connection reset) and the change does "
        "not show after 0 s of re-reading" + RUN_AGAIN,
    )
    assert obj.sends == 1 and obj.replans == 1 + 3  # one pass of the schedule, not the deadline


@pytest.mark.parametrize(
    ("raised", "status", "message"),
    [
        (Held("the licence is still provisioning"), "blocked", "the licence is still provisioning"),
        (ExecutionFailed("the object is gone"), "failed", "the object is gone"),
        (REFUSED, "failed", str(REFUSED)),
    ],
)
def test_a_re_plan_that_cannot_go_on_settles_the_action(
    raised: Exception, status: str, message: str
) -> None:
    async def replan() -> Write | None:
        raise raised

    ctx = ApplyContext(exchange={}, verify_delays=(0.0,))
    result = asyncio.run(converge(ACTION, ctx, replan))
    assert (result.id, result.status, result.message) == (ACTION.id, status, message)


def test_verify_re_reads_after_each_delay_until_the_write_shows() -> None:
    at: list[float] = []

    async def converged() -> bool:
        at.append(time.monotonic())
        return len(at) == 3

    ctx = ApplyContext(exchange={}, verify_delays=(0.0, 0.05, 0.1, 0.2))
    asyncio.run(verified(ctx, converged))
    assert len(at) == 3
    assert at[1] - at[0] >= 0.045 and at[2] - at[1] >= 0.095

    async def never() -> bool:
        return False

    short = ApplyContext(exchange={}, verify_delays=(0.0, 0.0), deadline_seconds=0.2)
    with pytest.raises(DeadlineReached, match=r"^waited 0 s for the thing; it has not happened"):
        asyncio.run(verified(short, never, "the thing"))


def test_an_app_id_known_from_this_run_is_used_lower_case_without_a_read() -> None:
    desire = AppDesire(app_id=None, display_name="T2T app", unique_name=None)
    ctx = ApplyContext(exchange={}, verify_delays=(0.0,))  # no Graph client: nothing is read
    known = "5F3B8C2D-1E4A-4B6C-9D7E-2A8B4C6D8E0F"
    assert asyncio.run(resolve_app_id(ctx, desire, known)) == known.lower()


def test_an_app_id_cannot_be_resolved_without_a_graph_client_for_the_target() -> None:
    desire = AppDesire(app_id=None, display_name="T2T app", unique_name=None)
    ctx = ApplyContext(exchange={}, verify_delays=(0.0,))
    with pytest.raises(ExecutionFailed, match=r"^no Graph client for the target tenant$"):
        asyncio.run(resolve_app_id(ctx, desire, None))
