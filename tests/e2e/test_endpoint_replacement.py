"""An endpoint pointing at the wrong tenant (T2T-E232), end to end on `t2t sandbox serve`:
created by hand over InvokeCommand as an admin would (a typo in -RemoteTenant, with
-SkipVerification), and the wave's batch created on it by hand. `t2t plan` shows the remedy
before any write — a replacement endpoint under the next name (Set-MigrationEndpoint has no
-RemoteTenant), the batch removed and its users in a new sub-batch on the replacement (no batch
can be re-pointed: Set-MigrationBatch has no -SourceEndpoint); `t2t apply` converges, the batch
on the replacement completes on the sandbox clock, the old endpoint stays without
--allow-destroy and goes with it, and a second plan is empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from t2t.clients import wire
from tests.e2e.helpers import invoke, plan_json, run
from tests.e2e.test_batches import advance, batch, two_waves

OLD, NEW = "contoso-t2t", "contoso-t2t-2"
WRONG = "contso.onmicrosoft.com"  # the admin's typo
COPYING = {"lynne.robbins@fabrikam.com", "nestor@fabrikam.com"}
TDD = "fabrikam.mail.onmicrosoft.com"


def _endpoints(profile: dict[str, Any]) -> dict[str, str]:
    found = invoke(profile, "fabrikam", "Get-MigrationEndpoint", {})["value"]
    return {e["Identity"]: e["RemoteTenant"] for e in found}


def _by_hand(profile: dict[str, Any]) -> None:
    """What the admin ran: the endpoint with the wrong RemoteTenant, the wave's batch on it."""
    invoke(
        profile,
        "fabrikam",
        "New-MigrationEndpoint",
        {
            "ExchangeRemoteMove": True,
            "Name": OLD,
            "RemoteServer": "outlook.office.com",
            "RemoteTenant": WRONG,
            "SkipVerification": True,
        },
    )
    csv = "EmailAddress\r\n" + "".join(f"{a}\r\n" for a in sorted(COPYING))
    invoke(
        profile,
        "fabrikam",
        "New-MigrationBatch",
        {
            "Name": "copying",
            "SourceEndpoint": OLD,
            "CSVData": wire.csv_data(csv),
            "TargetDeliveryDomain": TDD,
            "AutoStart": True,
        },
    )


def test_wrong_remote_tenant_endpoint_is_replaced_and_its_batch_completes(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    text = Path(spec).read_text(encoding="utf-8")  # the moved wave cuts over too
    Path(spec).write_text(text.replace("phase: sync", "phase: complete"), encoding="utf-8")
    _by_hand(profile)
    advance(profile, 600)  # the hand-made batch's users fail: no MailUser, a tenant not found
    assert batch(profile, "copying")["SourceEndpoint"] == OLD

    plan = plan_json(spec, state, profile)
    [e232] = [f for f in plan["findings"] if f["code"] == "T2T-E232"]
    assert e232["object"] == OLD and e232["fixed_by_plan"] is True, e232
    assert WRONG in e232["message"] and repr(NEW) in e232["message"]
    acts = {a["id"]: a for a in plan["actions"]}
    create = acts[f"target:endpoint.create:{NEW}"]
    assert create["parameters"]["RemoteTenant"] == "contoso.onmicrosoft.com"
    assert "RemoteTenant" not in str(
        [a["parameters"] for a in plan["actions"] if a["cmdlet"] == "Set-MigrationEndpoint"]
    )
    remove = acts["target:batch.remove:copying"]
    assert (remove["cmdlet"], remove["risk"]) == ("Remove-MigrationBatch", "disruptive")
    recreate = acts["target:batch.create:copying-02"]
    assert recreate["parameters"]["SourceEndpoint"] == NEW
    assert set(recreate["desired"]["mailboxes"]) == COPYING
    assert {create["id"], remove["id"]} <= set(recreate["depends_on"])
    assert not any(a["kind"] == "endpoint.remove" for a in plan["actions"])
    assert _endpoints(profile) == {OLD: WRONG}  # the plan wrote nothing

    outputs = [run("apply", spec, "--auto-approve", state=state).stdout]
    advance(profile, 121)  # the licences provision
    outputs.append(run("apply", spec, "--auto-approve", state=state).stdout)
    for _ in range(6):  # the move service syncs on the sandbox clock; apply completes cutover
        advance(profile, 3600)
        outputs.append(run("apply", spec, "--auto-approve", state=state).stdout)
    applied = "\n".join(outputs)
    assert "batch.remove:copying: done" in applied, applied[-6000:]
    # the old batch was gone by the time the held batch.create ran: the wave's own name is free
    on_new = invoke(profile, "fabrikam", "Get-MigrationBatch", {"Endpoint": NEW})["value"]
    [moved] = [b for b in on_new if b["Identity"].startswith("copying")]
    assert f"batch.create:{moved['Identity']}: done" in applied, applied[-6000:]
    assert _endpoints(profile) == {OLD: WRONG, NEW: "contoso.onmicrosoft.com"}
    assert {b["Identity"] for b in on_new} == {"cutover", moved["Identity"]}, on_new
    moved = batch(profile, moved["Identity"])
    assert moved["Identity"] in ("copying", "copying-02")
    assert (moved["SourceEndpoint"], moved["Status"]) == (NEW, "Completed"), moved
    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": moved["Identity"]})[
        "value"
    ]
    assert {u["Identity"].lower() for u in users} == COPYING
    assert {u["Status"] for u in users} == {"Completed"}, users
    assert invoke(profile, "fabrikam", "Get-MigrationBatch", {"Endpoint": OLD})["value"] == []

    kept = run("plan", spec, "--detailed-exitcode", state=state)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert f"endpoint {OLD} (RemoteTenant {WRONG}) is replaced by {NEW}" in kept.stdout
    assert "--allow-destroy removes it" in kept.stdout

    destroyed = run("plan", spec, "--allow-destroy", "--detailed-exitcode", state=state)
    assert destroyed.returncode == 2, destroyed.stdout + destroyed.stderr
    assert f"endpoint.remove  '{OLD}'" in destroyed.stdout, destroyed.stdout
    run("apply", spec, "--allow-destroy", "--auto-approve", state=state)
    assert _endpoints(profile) == {NEW: "contoso.onmicrosoft.com"}

    again = run("plan", spec, "--allow-destroy", "--detailed-exitcode", state=state)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "T2T-E232" not in again.stdout and "replaced by" not in again.stdout
