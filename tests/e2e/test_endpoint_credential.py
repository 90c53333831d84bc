"""The endpoint's credential stops working after setup, as it does in production: someone
removes the app's secret, or it expires. The move service would fail every move at its next
step (AADSTS7000215 / AADSTS7000222); the plan must see it before that (T2T-E236, from
Test-MigrationServerAvailability) and apply must repair it: a new secret, handed to Exchange
only once it signs in, and t2t's old secret removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.helpers import graph, invoke, run
from tests.e2e.test_batches import advance, batch, started, two_waves
from tests.e2e.test_org_setup import MERGER, _markers, _mine, _runnable

SEED_APP = "/applications(appId='5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f')"


def _seed_app_markers(profile: dict[str, Any]) -> list[str]:
    """t2t's secrets for the example spec's endpoint on the seed's migration app."""
    app = graph(profile, "fabrikam", "GET", SEED_APP)
    marker = "t2t:endpoint:contoso-t2t"
    return [p["keyId"] for p in app["passwordCredentials"] if p["displayName"] == marker]


def _endpoint_test(profile: dict[str, Any]) -> dict[str, Any]:
    [result] = invoke(
        profile, "fabrikam", "Test-MigrationServerAvailability", {"Endpoint": "contoso-merger"}
    )["value"]
    return dict(result)


def _set_up(state: Path, profile: dict[str, Any]) -> list[str]:
    applied = run("apply", MERGER, "--auto-approve", state=state)
    assert " 0 failed" in applied.stdout, applied.stdout[-3000:] + applied.stderr
    assert "new secret usable after" in applied.stdout  # it waited out propagation
    assert _endpoint_test(profile)["Result"] == "Success"
    return _markers(profile)


def _repaired(state: Path, profile: dict[str, Any], old: list[str], code: str) -> None:
    plan = run("plan", MERGER, state=state)
    assert "T2T-E236" in plan.stdout and code in plan.stdout, plan.stdout[-3000:]
    assert [ln for ln in _runnable(plan.stdout) if "endpoint" in ln] == [
        "~ target  endpoint.update  'contoso-merger'  (unverified wire form: WIRE-4)"
    ], _runnable(plan.stdout)
    fixed = run("apply", MERGER, "--auto-approve", state=state)
    assert " 0 failed" in fixed.stdout, fixed.stdout[-3000:] + fixed.stderr
    assert "endpoint.update" in fixed.stdout and "new secret usable after" in fixed.stdout
    new = _markers(profile)
    assert len(new) == 1 and new != old  # one t2t secret: the new one; the old one went
    assert _endpoint_test(profile)["Result"] == "Success"
    again = run("plan", MERGER, "--detailed-exitcode", state=state)
    assert "T2T-E236" not in again.stdout
    assert _runnable(again.stdout) == []


def test_a_removed_endpoint_secret_is_seen_and_replaced(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    old = _set_up(state, profile)
    app = _mine(profile)
    graph(
        profile, "fabrikam", "POST", f"/applications/{app['id']}/removePassword", {"keyId": old[0]}
    )
    broken = _endpoint_test(profile)
    assert broken["Result"] == "Failed" and "AADSTS7000215" in broken["ErrorDetail"]
    assert _markers(profile) == []
    _repaired(state, profile, old, "AADSTS7000215")


def test_an_expired_endpoint_secret_is_seen_replaced_and_removed(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    old = _set_up(state, profile)
    advance(profile, 2 * 366 * 86400)  # past addPassword's default two-year lifetime
    broken = _endpoint_test(profile)
    assert broken["Result"] == "Failed" and "AADSTS7000222" in broken["ErrorDetail"]
    assert _markers(profile) == old  # expired, still on the app
    _repaired(state, profile, old, "AADSTS7000222")


def test_a_secret_removed_mid_migration_fails_the_move_and_is_repaired_before_the_restart(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    started(state, profile, spec)
    old = _seed_app_markers(profile)
    assert len(old) == 1
    graph(profile, "fabrikam", "POST", f"{SEED_APP}/removePassword", {"keyId": old[0]})
    advance(profile, 3600)  # the next sync step signs in with the removed secret
    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": "cutover"})["value"]
    assert {u["Status"] for u in users} == {"Failed"}, users
    stats = invoke(
        profile, "fabrikam", "Get-MigrationUserStatistics", {"Identity": users[0]["Identity"]}
    )
    assert "AADSTS7000215" in stats["value"][0]["Error"]

    plan = json.loads(run("plan", spec, "--format", "json", state=state).stdout)
    assert "T2T-E236" in {f["code"] for f in plan["findings"]}
    by_kind = {(a["kind"], a["key"]): a for a in plan["actions"]}
    update = by_kind[("endpoint.update", "contoso-t2t")]
    for wave in ("cutover", "copying"):
        assert update["id"] in by_kind[("batch.start", wave)]["depends_on"], wave
    fixed = run("apply", spec, "--auto-approve", state=state)
    assert " 0 failed" in fixed.stdout, fixed.stdout[-3000:] + fixed.stderr
    new = _seed_app_markers(profile)
    assert len(new) == 1 and new != old
    advance(profile, 3600)
    assert batch(profile, "cutover")["Status"].lower() == "synced"
    completed = run("apply", spec, "--auto-approve", state=state)
    assert "batch.complete:cutover: done" in completed.stdout, completed.stdout[-3000:]
    advance(profile, 3600)
    assert batch(profile, "cutover")["Status"].lower() == "completed"
