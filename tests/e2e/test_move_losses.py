"""What the move will lose, end to end on `t2t sandbox serve` (T2T-W350, T2T-E350,
`t2t plan --report`): permissions granted through Microsoft's cmdlets (Add-MailboxPermission,
Add-RecipientPermission, Set-Mailbox -GrantSendOnBehalfTo / -ForwardingSmtpAddress) are named
per mailbox before any write, listed in the CSV, and — with delegates.keepTogether — a FullAccess
delegate in another wave leaves both mailboxes out (exit 6)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from t2t.render.permissions_csv import HEADER
from tests.e2e.helpers import invoke, plan_json, run
from tests.e2e.test_batches import two_waves

DEBRA, LYNNE = "debra@contoso.com", "lynne@contoso.com"


def _grant(profile: dict[str, Any]) -> None:
    invoke(
        profile,
        "contoso",
        "Add-MailboxPermission",
        {"Identity": DEBRA, "User": LYNNE, "AccessRights": ["FullAccess"], "Confirm": False},
    )
    invoke(
        profile,
        "contoso",
        "Add-RecipientPermission",
        {
            "Identity": DEBRA,
            "Trustee": "alex@contoso.com",
            "AccessRights": ["SendAs"],
            "Confirm": False,
        },
    )
    invoke(
        profile,
        "contoso",
        "Set-Mailbox",
        {
            "Identity": DEBRA,
            "GrantSendOnBehalfTo": ["nestor@contoso.com"],
            "ForwardingSmtpAddress": "debra.home@example.net",
        },
    )


def test_the_plan_and_the_report_name_what_the_move_loses(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    _grant(profile)
    rows = invoke(profile, "contoso", "Get-MailboxPermission", {"Identity": DEBRA})["value"]
    assert [r["User"] for r in rows] == ["NT AUTHORITY\\SELF", LYNNE]

    report = tmp_path / "permissions.csv"
    done = run("plan", spec, "--report", str(report), state=state)
    assert done.returncode in (0, 6), done.stdout + done.stderr
    [w350] = [
        f
        for f in plan_json(spec, state, profile)["findings"]
        if f["code"] == "T2T-W350" and f["object"] == DEBRA
    ]
    for said in (
        "FullAccess of lynne@contoso.com, who moves in copying",
        "SendAs of alex@contoso.com, who moves in cutover",
        "send on behalf by nestor@contoso.com",
        "forwarding to debra.home@example.net",
    ):
        assert said in w350["message"], w350["message"]
    with report.open(encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == HEADER
    mine = {(r[0], r[2], r[4], r[5]) for r in table[1:] if r[0] == DEBRA}
    assert mine == {
        (DEBRA, "FullAccess", LYNNE, "copying"),
        (DEBRA, "SendAs", "alex@contoso.com", "cutover"),
        (DEBRA, "SendOnBehalf", "nestor@contoso.com", "copying"),
        (DEBRA, "Forwarding", "debra.home@example.net", ""),
    }
    again = run("plan", spec, "--report", str(report), state=state)  # a t2t report: replaced
    assert again.returncode in (0, 6), again.stderr

    kept = Path(spec)
    kept.write_text(kept.read_text() + "delegates:\n  keepTogether: true\n", encoding="utf-8")
    blocked = run("plan", spec, state=state)
    assert blocked.returncode == 6, blocked.stdout + blocked.stderr
    codes = {(f["code"], f["object"]) for f in plan_json(spec, state, profile)["findings"]}
    assert {("T2T-E350", DEBRA), ("T2T-E350", LYNNE)} <= codes


def test_report_refuses_a_path_it_must_not_write(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, _ = served
    spec = two_waves(tmp_path)
    other = tmp_path / "budget.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    refused = run("plan", spec, "--report", str(other), state=state)
    assert refused.returncode == 64, refused.stderr
    # the usage-error panel folds a long path anywhere: compare with every space removed
    said = "".join(refused.stderr.replace("│", " ").split())
    assert "isnotat2tpermissionsreport" in said and str(other) in said, said
    assert other.read_text(encoding="utf-8") == "a,b\n1,2\n"
    missing = run("plan", spec, "--report", str(tmp_path / "no" / "r.csv"), state=state)
    said = " ".join(missing.stderr.replace("│", " ").split())
    assert missing.returncode == 64 and "does not exist" in said, said
