"""A failure Microsoft fixes only by removing the user and adding it to a new batch, end to
end: Microsoft maintenance moves a source mailbox while its batch syncs, the migration user
fails with MailboxIsNotInExpectedDBException and would fail again on every Start-MigrationBatch
(LEARN-24 "Migration Failures"). The plan shows T2T-W411, removes the user (disruptive) and
creates the wave's next sub-batch for it, which depends on the removal; apply does it and the
mailbox syncs in the new batch and is completed with it; then nothing is left to plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.helpers import control, invoke, run
from tests.e2e.test_batches import advance, batch, started, two_waves

MOVED = "debra@contoso.com"  # in the `cutover` wave (phase: complete)
TARGET = "debra@fabrikam.com"


def _user(profile: dict[str, Any], identity: str) -> dict[str, Any]:
    [user] = invoke(profile, "fabrikam", "Get-MigrationUser", {"Identity": identity})["value"]
    return dict(user)


def test_a_user_microsoft_says_to_re_add_is_removed_and_goes_into_a_new_sub_batch(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    started(state, profile, spec)
    # Maintenance moves the source mailbox after its migration user was created.
    now = control(profile, "GET", "clock")["now"]
    control(profile, "PATCH", f"exchange/contoso/recipients/{MOVED}", {"database_moved_at": now})
    advance(profile, 3600)
    failed = _user(profile, TARGET)
    assert failed["Status"] == "Failed" and failed["BatchId"] == "cutover", failed
    start = run("plan", spec, "--format", "json", state=state)
    plan = json.loads(start.stdout)
    actions = {(a["kind"], a["key"]): a for a in plan["actions"]}
    assert sorted(actions) == [
        ("batch.complete", "cutover"),  # the others synced; SyncedWithErrors completes
        ("batch.create", "cutover-02"),
        ("batch.remove_user", TARGET),
    ], sorted(actions)
    removal, create = (
        actions[("batch.remove_user", TARGET)],
        actions[("batch.create", "cutover-02")],
    )
    assert removal["risk"] == "disruptive" and removal["cmdlet"] == "Remove-MigrationUser"
    assert removal["id"] in create["depends_on"]
    assert [f["code"] for f in plan["findings"] if f["object"] == TARGET] == ["T2T-W411"]

    fixed = run("apply", spec, "--auto-approve", state=state)
    assert " 0 failed" in fixed.stdout, fixed.stdout[-3000:] + fixed.stderr
    assert f"batch.remove_user:{TARGET}: done" in fixed.stdout
    assert "batch.create:cutover-02: done" in fixed.stdout
    assert _user(profile, TARGET)["BatchId"] == "cutover-02"
    advance(profile, 3600)
    assert _user(profile, TARGET)["Status"] == "Synced"
    completing = run("plan", spec, "--format", "json", state=state)
    left = [(a["kind"], a["key"]) for a in json.loads(completing.stdout)["actions"]]
    assert left == [("batch.complete", "cutover-02")], left
    done = run("apply", spec, "--auto-approve", state=state)
    assert " 0 failed" in done.stdout, done.stdout[-3000:] + done.stderr
    advance(profile, 3600)
    assert _user(profile, TARGET)["Status"] == "Completed"
    assert batch(profile, "cutover-02")["Status"].lower() == "completed"
    moved = invoke(profile, "fabrikam", "Get-Recipient", {"Identity": TARGET})["value"][0]
    assert moved["RecipientTypeDetails"] == "UserMailbox"
    final = run("plan", spec, "--format", "json", state=state)
    assert json.loads(final.stdout)["actions"] == []
