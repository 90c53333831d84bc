"""The migration app as apply reads it (t2t/apply/executors/common.py), against the sandbox
over HTTPS: every app the spec's app could be is read from the target (by appId, t2t's marker
or name), the spec's one is picked, an app created moments ago is waited for, and an
unreadable target fails the action with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from t2t.apply import ApplyContext
from t2t.apply.executors.common import ExecutionFailed, read_app, read_apps, resolve_app_id
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.clients.errors import DeadlineReached
from t2t.planner.shared.app import AppDesire
from tests.conftest import GRAPH_SCOPE, SandboxHandle
from tests.real_clients import admin_identity

SEEDED_APP = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
SEEDED_NAME = "T2T mailbox migration"
MARKED = "t2t-read-at-apply"

T = TypeVar("T")


def _with_target(
    sandbox: SandboxHandle, use: Callable[[ApplyContext], Awaitable[T]], **ctx: Any
) -> T:
    """Run `use` with an ApplyContext whose Graph client for the target is fabrikam's."""
    hosts = sandbox_hosts(sandbox.profile)
    ident = admin_identity(sandbox, "fabrikam")

    async def run() -> T:
        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            tgt = connect(http, hosts, ident)
            try:
                return await use(ApplyContext(exchange={}, graph={"target": tgt.graph}, **ctx))
            finally:
                tgt.tokens.close()

    return asyncio.run(run())


def _register_marked(sandbox: SandboxHandle) -> str:
    r = sandbox.http.post(
        f"{sandbox.base_url}/v1.0/applications",
        json={"displayName": "T2T marked app", "uniqueName": MARKED},
        headers={"Authorization": f"Bearer {sandbox.token('fabrikam', GRAPH_SCOPE)}"},
    )
    assert r.status_code < 300, r.text
    return str(r.json()["appId"]).lower()


def test_the_apps_are_read_by_app_id_marker_or_name(sandbox: SandboxHandle) -> None:
    marked = _register_marked(sandbox)

    def ids(desire: AppDesire) -> set[str]:
        async def use(ctx: ApplyContext) -> set[str]:
            return {a.app_id for a in await read_apps(ctx, desire)}

        return _with_target(sandbox, use)

    assert ids(AppDesire(app_id=SEEDED_APP, display_name=None, unique_name=None)) == {SEEDED_APP}
    assert ids(AppDesire(app_id=None, display_name=SEEDED_NAME, unique_name=None)) == {SEEDED_APP}
    assert ids(AppDesire(app_id=None, display_name=None, unique_name=MARKED)) == {marked}
    assert ids(AppDesire(app_id=None, display_name=None, unique_name=None)) == set()


def test_the_spec_app_is_picked_by_app_id_or_marker(sandbox: SandboxHandle) -> None:
    marked = _register_marked(sandbox)

    def picked(desire: AppDesire) -> str | None:
        async def use(ctx: ApplyContext) -> str | None:
            app = await read_app(ctx, desire)
            return None if app is None else app.app_id

        return _with_target(sandbox, use)

    assert picked(AppDesire(app_id=SEEDED_APP, display_name=None, unique_name=None)) == SEEDED_APP
    assert picked(AppDesire(app_id=None, display_name=None, unique_name=MARKED)) == marked
    # an app of the same name that t2t did not register is not the spec's
    assert picked(AppDesire(app_id=None, display_name=SEEDED_NAME, unique_name=None)) is None


def test_an_app_registered_earlier_in_the_run_is_resolved_once_readable(
    sandbox: SandboxHandle,
) -> None:
    marked = _register_marked(sandbox)
    desire = AppDesire(app_id=None, display_name="T2T marked app", unique_name=MARKED)

    async def use(ctx: ApplyContext) -> str:
        return await resolve_app_id(ctx, desire, None)

    assert _with_target(sandbox, use, verify_delays=(0.0, 0.0)) == marked


@pytest.mark.parametrize(
    ("display_name", "named"), [("T2T app", "'T2T app'"), (None, "'5f3b8c2d'")]
)
def test_an_app_that_never_appears_is_waited_for_until_the_deadline_and_named(
    sandbox: SandboxHandle, display_name: str | None, named: str
) -> None:
    desire = AppDesire(app_id="5f3b8c2d", display_name=display_name, unique_name=None)

    async def use(ctx: ApplyContext) -> str:
        return await resolve_app_id(ctx, desire, None)

    with pytest.raises(DeadlineReached) as raised:
        _with_target(sandbox, use, verify_delays=(0.0, 0.2), deadline_seconds=0.5)
    assert str(raised.value) == (
        f"waited 0 s for the migration app {named} to appear in the target; it has not happened yet"
    )


def test_an_unreadable_target_fails_with_the_reason(sandbox: SandboxHandle) -> None:
    rule = {"kind": "error", "status": 403, "match": {"service": "graph", "path": "applications"}}
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/faults", json=rule)
    assert r.status_code < 300, r.text
    desire = AppDesire(app_id=SEEDED_APP, display_name=None, unique_name=None)

    async def use(ctx: ApplyContext) -> object:
        return await read_apps(ctx, desire)

    with pytest.raises(ExecutionFailed) as raised:
        _with_target(sandbox, use)
    assert str(raised.value).startswith("cannot read the target's applications: ")
    assert len(str(raised.value)) > len("cannot read the target's applications: ")
