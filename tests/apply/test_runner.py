"""The runner: an unexpected error fails one action, skips its dependants, and the rest
runs; messages are scrubbed of registered secrets."""

from __future__ import annotations

import asyncio

import pytest

from t2t.apply import ApplyContext, apply_plan
from t2t.apply import executors as registry
from t2t.apply.result import ActionResult
from t2t.logs import register_secret
from t2t.planner import Action, Plan


def _action(id_: str, kind: str, depends_on: tuple[str, ...] = ()) -> Action:
    return Action(
        id=id_,
        tenant="target",
        kind=kind,
        key=id_,
        operation="run",
        cmdlet="Test-Nothing",
        parameters={},
        fingerprint="x",
        depends_on=depends_on,
    )


def test_unexpected_error_fails_one_action_only(monkeypatch: pytest.MonkeyPatch) -> None:
    register_secret("s3cr3t-value-xyz")

    async def boom(action: Action, ctx: ApplyContext) -> ActionResult:
        raise ValueError("bad JSON near s3cr3t-value-xyz")

    async def fine(action: Action, ctx: ApplyContext) -> ActionResult:
        return ActionResult(id=action.id, status="done")

    monkeypatch.setitem(registry.EXECUTORS, "test.boom", boom)
    monkeypatch.setitem(registry.EXECUTORS, "test.fine", fine)
    plan = Plan(
        spec_name="t",
        spec_path="t.yaml",
        source_tenant="s",
        target_tenant="t",
        actions=(
            _action("a", "test.boom"),
            _action("b", "test.fine", depends_on=("a",)),
            _action("c", "test.fine"),
        ),
        findings=(),
        unknowns=(),
    )
    report = asyncio.run(apply_plan(plan, ApplyContext(exchange={})))
    status = {r.id: r for r in report.results}
    assert status["a"].status == "failed"
    assert "unexpected ValueError" in status["a"].message
    assert "s3cr3t-value-xyz" not in status["a"].message
    assert status["b"].status == "skipped"
    assert status["c"].status == "done"


def test_a_403_for_a_missing_exchange_role_names_the_plans_fix() -> None:
    from t2t.apply.executors.common import ExecutionFailed
    from t2t.apply.executors.common import failure_message as _failure
    from t2t.clients import PermissionDenied
    from t2t.planner.checks import CATALOGUE, EXCHANGE_ROLE_FIX

    denied = PermissionDenied(
        403, "Forbidden", "New-MailUser: denied", exception_type="CmdletAccessDeniedException"
    )
    assert _failure(denied).endswith(EXCHANGE_ROLE_FIX)
    try:
        raise ExecutionFailed("cannot create") from denied
    except ExecutionFailed as wrapped:
        assert _failure(wrapped) == f"cannot create — {EXCHANGE_ROLE_FIX}"
    assert CATALOGUE["T2T-W121"].fix == EXCHANGE_ROLE_FIX
    graph = PermissionDenied(403, "Authorization_RequestDenied", "Graph: denied")
    assert _failure(graph) == "HTTP 403 Authorization_RequestDenied: Graph: denied"
