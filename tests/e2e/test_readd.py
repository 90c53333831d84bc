"""A failure Microsoft fixes only by removing the user and adding it to a new batch, end to
end: Microsoft maintenance moves a source mailbox while its batch syncs, the migration user
fails with MailboxIsNotInExpectedDBException and would fail again on every Start-MigrationBatch
(LEARN-24 "Migration Failures"). The plan shows T2T-W411, removes the user (disruptive) and
creates the wave's next sub-batch for it, which depends on the removal; apply does it and the
mailbox syncs in the new batch; the next plan plans nothing for it."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.helpers import invoke, run
from tests.e2e.test_batches import advance, batch, two_waves

MOVED = "nestor@contoso.com"
TARGET = "nestor@fabrikam.com"


def _sandbox(profile: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method,
        f"{profile['baseUrl']}/_sandbox/{path}",
        json=body,
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    assert response.status_code < 300, response.text
    return response.json()


def _user(profile: dict[str, Any], identity: str) -> dict[str, Any]:
    [user] = invoke(profile, "fabrikam", "Get-MigrationUser", {"Identity": identity})["value"]
    return dict(user)


def test_a_user_microsoft_says_to_re_add_is_removed_and_goes_into_a_new_sub_batch(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
    # Maintenance moves the source mailbox after its migration user was created.
    now = _sandbox(profile, "GET", "clock")["now"]
    _sandbox(profile, "PATCH", f"exchange/contoso/recipients/{MOVED}", {"database_moved_at": now})
    advance(profile, 3600)
    failed = _user(profile, TARGET)
    assert failed["Status"] == "Failed" and failed["BatchId"] == "copying", failed
    start = run("plan", spec, "--format", "json", state=state)
    plan = json.loads(start.stdout)
    mine = {(a["kind"], a["key"]): a for a in plan["actions"] if a["kind"] != "batch.complete"}
    assert sorted(mine) == [("batch.create", "copying-02"), ("batch.remove_user", TARGET)]
    removal, create = mine[("batch.remove_user", TARGET)], mine[("batch.create", "copying-02")]
    assert removal["risk"] == "disruptive" and removal["cmdlet"] == "Remove-MigrationUser"
    assert removal["id"] in create["depends_on"]
    assert "W411" in json.dumps(plan["findings"])

    fixed = run("apply", spec, "--auto-approve", state=state)
    assert " 0 failed" in fixed.stdout, fixed.stdout[-3000:] + fixed.stderr
    assert f"batch.remove_user:{TARGET}: done" in fixed.stdout
    assert "batch.create:copying-02: done" in fixed.stdout
    again = _user(profile, TARGET)
    assert again["BatchId"] == "copying-02", again
    advance(profile, 3600)
    assert _user(profile, TARGET)["Status"] == "Synced"
    assert batch(profile, "copying-02")["Status"].lower() == "synced"
    final = run("plan", spec, "--format", "json", state=state)
    left = [(a["kind"], a["key"]) for a in json.loads(final.stdout)["actions"]]
    assert left == [], left  # the cutover wave was completed by the same apply
