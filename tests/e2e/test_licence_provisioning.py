"""t2t survives licensing that provisions over minutes (strict sandbox: 120 s of its clock).

apply licenses the target MailUsers (after their ExchangeGuid) and sees Exchange has not
provisioned the licences yet (provisionedPlans PendingInput): the licence step is done with a
warning and the batch is held in that run — started now, the move would find no
ExchangeT2TMbxMove and fail CrossTenantMigrationWithoutLicensePermanentException. The next
plan holds it too (T2T-E320, the mailbox left out by T2T-W407). Once the sandbox clock has
passed the provisioning time, plan shows the batch again and apply creates it; the
MailUsers carry the capability and are still MailUsers (no fresh mailbox).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.helpers import ROOT, graph, invoke, run
from tests.e2e.test_batches import advance

SPEC = str(ROOT / "specs" / "quickstart.yaml")
TARGET = "debra@fabrikam.com"


def test_batch_waits_for_licences_to_provision(served: tuple[Path, dict[str, Any]]) -> None:
    state, profile = served
    applied = run("apply", SPEC, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    out = applied.stdout
    assert f"✓ target:license.assign:{TARGET}: done" in out, out
    assert "Exchange is still provisioning them" in out
    assert "target:batch.create:wave-1: blocked" in out and "T2T-E320" in out, out
    assert invoke(profile, "fabrikam", "Get-MigrationBatch", {})["value"] == []
    [mu] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": TARGET})["value"]
    assert "ExchangeT2TMbxMove" not in (mu.get("PersistedCapabilities") or [])
    path = f"/users/{mu['ExternalDirectoryObjectId']}?$select=provisionedPlans"
    user = graph(profile, "fabrikam", "GET", path)
    assert {p["provisioningStatus"] for p in user["provisionedPlans"]} == {"PendingInput"}

    held = run("plan", SPEC, "--format", "json", state=state)
    plan = json.loads(held.stdout)
    plan = plan.get("plan", plan)
    found = {(f["code"], f["object"]) for f in plan["findings"]}
    assert ("T2T-E320", TARGET) in found, plan["findings"]
    assert ("T2T-W407", TARGET) in found
    assert not [a for a in plan["actions"] if a["kind"] == "batch.create"], plan["actions"]

    advance(profile, 121)  # past the strict profile's licensing time
    ready = run("plan", SPEC, state=state)
    assert "+ target  batch.create  'wave-1'" in ready.stdout, ready.stdout
    assert "T2T-E320" not in ready.stdout
    created = run("apply", SPEC, "--auto-approve", state=state)
    assert created.returncode == 0, created.stdout + created.stderr
    assert "✓ target:batch.create:wave-1: done" in created.stdout, created.stdout
    [mu] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": TARGET})["value"]
    assert mu["RecipientTypeDetails"] == "MailUser"
    assert "ExchangeT2TMbxMove" in mu["PersistedCapabilities"]
