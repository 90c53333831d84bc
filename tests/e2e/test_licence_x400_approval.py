"""Issue 13's G17, G19 and G13 end to end, as an administrator meets them (subprocesses against
`t2t sandbox serve`).

T2T-W340: the spec assigns only the cross-tenant licence. The plan warns once, on
identities.licenses, naming the user mailboxes the move converts; a warning, so apply prepares
them, the batch runs and the `complete` wave moves (Microsoft gives 30 days after the move to
license them).

X400: debra's source mailbox carries an X400 proxy (Set-Mailbox -EmailAddresses, as an admin
keeps one). The stamping Set-MailUser adds it to her target MailUser beside the x500s, and a
second plan plans nothing more for her.

T2T-W412: alex's source mailbox holds items a move cannot copy. Once its batch has synced and
its completion is due, alex stays Synced (DataConsistencyScore Investigate) while the others
complete; plan and status name him with the command, apply approves nothing. Approved by
hand (Set-MigrationUser -ApproveSkippedItems), the move completes and the finding is gone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.helpers import control, invoke, plan_json, run
from tests.e2e.test_batches import COMPLETE, advance, batch, recipient, two_waves

DEBRA, DEBRA_T = "debra@contoso.com", "debra@fabrikam.com"
ALEX, ALEX_T = "alex@contoso.com", "alex.wilber@fabrikam.com"
X400 = "X400:C=US;A= ;P=Contoso;O=Exchange;S=Berger;G=Debra;"


def without_exchange_licence(spec: str) -> None:
    path = Path(spec)
    text = path.read_text(encoding="utf-8")
    old = "licenses: [EXCHANGESTANDARD, Cross_tenant_user_data_migration]"
    assert old in text
    path.write_text(text.replace(old, "licenses: [Cross_tenant_user_data_migration]"), "utf-8")


def test_no_exchange_licence_warns_and_x400_is_stamped_and_the_wave_moves(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    without_exchange_licence(spec)
    invoke(
        profile, "contoso", "Set-Mailbox", {"Identity": DEBRA, "EmailAddresses": {"add": [X400]}}
    )

    first = plan_json(spec, state, profile)
    [w340] = [f for f in first["findings"] if f["code"] == "T2T-W340"]
    assert (w340["object"], w340["severity"], w340["tenant"]) == (
        "identities.licenses",
        "warning",
        "target",
    )
    assert w340["message"].startswith("5 user mailbox(es) will be converted without")
    assert "identities.licenses" in w340["fix"] and "EXCHANGESTANDARD" in w340["fix"]
    [stamp] = [
        a for a in first["actions"] if a["kind"] == "mailuser.set_identity" and a["key"] == DEBRA_T
    ]
    assert X400 in stamp["parameters"]["EmailAddresses"]["add"]
    assert not stamp["blocked_by"]

    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)  # the cross-tenant licences provision
    created = run("apply", spec, "--auto-approve", state=state)
    assert "batch.create:cutover: done" in created.stdout, created.stdout[-3000:]
    [debra] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": DEBRA_T})["value"]
    assert X400 in debra["EmailAddresses"]
    again = plan_json(spec, state, profile)
    assert [a for a in again["actions"] if a["key"] == DEBRA_T] == []  # nothing more for her
    assert "T2T-W340" in {f["code"] for f in again["findings"]}  # still said, never blocking

    advance(profile, 3600)
    completed = run("apply", spec, "--auto-approve", state=state)
    assert "batch.complete:cutover: done" in completed.stdout, completed.stdout[-3000:]
    advance(profile, 3600)
    assert batch(profile, "cutover")["Status"] == "Completed"
    moved = recipient(profile, "fabrikam", DEBRA_T)
    assert moved["RecipientTypeDetails"] == "UserMailbox"
    assert X400 in moved["EmailAddresses"]


def test_skipped_items_wait_for_approval_and_t2t_names_the_command(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    # Items a move cannot copy: only mail itself makes them, so the sandbox's control API.
    control(profile, "PATCH", f"exchange/contoso/recipients/{ALEX}", {"corrupt_item_count": 7})
    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)
    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 3600)  # synced
    completed = run("apply", spec, "--auto-approve", state=state)
    assert "batch.complete:cutover: done" in completed.stdout, completed.stdout[-3000:]
    advance(profile, 3600)

    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": "cutover"})["value"]
    statuses = {u["Identity"]: (u["Status"], u["DataConsistencyScore"]) for u in users}
    assert statuses == {
        ALEX_T: ("Synced", "Investigate"),
        **{t: ("Completed", "Perfect") for t in COMPLETE.values() if t != ALEX_T},
    }
    assert batch(profile, "cutover")["Status"] == "Completing"  # appears stuck

    plan = plan_json(spec, state, profile)
    [w412] = [f for f in plan["findings"] if f["code"] == "T2T-W412"]
    assert w412["object"] == ALEX_T and w412["severity"] == "warning"
    assert w412["message"] == (
        "DataConsistencyScore Investigate in batch cutover, 7 skipped item(s): completes once "
        "they are approved (Set-MigrationUser -ApproveSkippedItems)"
    )
    assert "Set-MigrationUser <user> -ApproveSkippedItems" in w412["fix"]
    assert "-IncludeSkippedItems" in w412["fix"]
    assert "ApproveSkippedItems" not in json.dumps(plan["actions"])  # never planned
    status = json.loads(run("status", spec, "--format", "json", state=state).stdout)
    [row] = [
        m for b in status["waves"][0]["batches"] for m in b["mailboxes"] if m["mailbox"] == ALEX_T
    ]
    assert [c["code"] for c in row["checks"]] == ["T2T-W412"] and row["error"] is None

    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
    advance(profile, 3600)
    [still] = invoke(profile, "fabrikam", "Get-MigrationUser", {"Identity": ALEX_T})["value"]
    assert still["Status"] == "Synced"  # t2t approved nothing

    invoke(
        profile, "fabrikam", "Set-MigrationUser", {"Identity": ALEX_T, "ApproveSkippedItems": True}
    )
    advance(profile, 3600)
    [done] = invoke(profile, "fabrikam", "Get-MigrationUser", {"Identity": ALEX_T})["value"]
    assert done["Status"] == "Completed"
    assert recipient(profile, "fabrikam", ALEX_T)["RecipientTypeDetails"] == "UserMailbox"
    after = plan_json(spec, state, profile)
    assert "T2T-W412" not in {f["code"] for f in after["findings"]}
