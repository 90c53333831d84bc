"""What the move will lose, end to end on `t2t sandbox serve` (T2T-W350, T2T-E350,
`t2t plan --report`): permissions granted through Microsoft's cmdlets (Add-MailboxPermission,
Add-RecipientPermission, Set-Mailbox -GrantSendOnBehalfTo / -ForwardingSmtpAddress) and group
memberships (New-DistributionGroup, Add-DistributionGroupMember) are named per mailbox before any
write, listed in the CSV, and — with delegates.keepTogether — a FullAccess delegate in another
wave leaves both mailboxes out (exit 6), while a membership stays a warning. A plain plan reads
the permissions of the due wave's mailboxes only (issue 14), and says which it did not read."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from t2t.render.permissions_csv import HEADER
from tests.e2e.helpers import exchange_requests, invoke, plan_json, run
from tests.e2e.test_batches import advance, two_waves
from tests.e2e.test_mailbox_state_checks import REPLICATED

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


def _join(profile: dict[str, Any], group: str, kind: str, *members: str) -> str:
    """A group made and filled by Microsoft's cmdlets; its PrimarySmtpAddress."""
    invoke(profile, "contoso", "New-DistributionGroup", {"Name": group, "Type": kind})
    advance(profile, REPLICATED)  # Exchange's directory lag (the sandbox's faults.py)
    for member in members:
        invoke(
            profile,
            "contoso",
            "Add-DistributionGroupMember",
            {"Identity": group, "Member": member, "BypassSecurityGroupManagerCheck": True},
        )
    [g] = invoke(profile, "contoso", "Get-DistributionGroup", {"Identity": group})["value"]
    return str(g["PrimarySmtpAddress"])


def test_the_plan_and_the_report_name_what_the_move_loses(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    _grant(profile)
    rows = invoke(profile, "contoso", "Get-MailboxPermission", {"Identity": DEBRA})["value"]
    assert [r["User"] for r in rows] == ["NT AUTHORITY\\SELF", LYNNE]
    # debra in a distribution and a security group; henrietta (in no wave) in one too.
    finance = _join(profile, "finance-team", "Distribution", DEBRA, "henrietta@contoso.com")
    approvers = _join(profile, "approvers", "Security", DEBRA)
    groups = invoke(profile, "contoso", "Get-DistributionGroup", {"ResultSize": "Unlimited"})
    names = {g["Name"] for g in groups["value"]}
    assert {"finance-team", "approvers", "allstaff", "t2tmigrationscope"} <= names

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
        f"member of {approvers} (MailUniversalSecurityGroup)",
    ):
        assert said in w350["message"], w350["message"]
    # Five shown, the sixth (finance-team, sorted last) in the report only.
    assert w350["message"].endswith("; and 1 more (t2t plan --report FILE.csv)")
    # One Get-DistributionGroupMember per group but the spec's scope group (read by its own
    # part), after one Get-DistributionGroup collection: the bulk read, not one per mailbox.
    member_reads = [
        r["cmdletInput"]["Parameters"]["Identity"]
        for r in exchange_requests(profile, "Get-DistributionGroupMember")
    ]
    per_group = sorted(i.split("@")[0] for i in member_reads if "t2tmigrationscope" not in i)
    assert per_group == sorted([*(names - {"t2tmigrationscope"})] * 2)  # each group, each plan
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
    joined = {(r[0], r[1], r[2], r[3], r[5]) for r in table[1:] if r[4] == DEBRA}
    assert {x for x in joined if x[2] == "Membership"} == {
        (finance, "", "Membership", "MailUniversalDistributionGroup", "cutover"),
        (approvers, "", "Membership", "MailUniversalSecurityGroup", "cutover"),
    }
    assert not [r for r in table[1:] if r[4] == "henrietta@contoso.com"]  # not in a wave
    again = run("plan", spec, "--report", str(report), state=state)  # a t2t report: replaced
    assert again.returncode in (0, 6), again.stderr

    kept = Path(spec)
    kept.write_text(kept.read_text() + "delegates:\n  keepTogether: true\n", encoding="utf-8")
    blocked = run("plan", spec, state=state)
    assert blocked.returncode == 6, blocked.stdout + blocked.stderr
    findings = plan_json(spec, state, profile)["findings"]
    codes = {(f["code"], f["object"]) for f in findings}
    assert {("T2T-E350", DEBRA), ("T2T-E350", LYNNE)} <= codes
    # A membership is no split pair: it stays a warning under keepTogether.
    [still] = [f for f in findings if f["code"] == "T2T-W350" and f["object"] == DEBRA]
    assert f"member of {approvers}" in still["message"], still["message"]


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


def _permission_reads(profile: dict[str, Any], since: int) -> list[str]:
    """The mailboxes of the Get-MailboxPermission calls the sandbox received after the first
    `since`, sorted."""
    sent = exchange_requests(profile, "Get-MailboxPermission")[since:]
    return sorted(r["cmdletInput"]["Parameters"]["Identity"] for r in sent)


def test_a_plan_reads_permissions_only_for_the_due_wave(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """cutover is due (its batch would be created); copying waits (phase prepare): a plain plan
    reads the cutover mailboxes' permissions one call each and says, as a notice, that copying's
    were not read; `--report` and delegates.keepTogether read every wave mailbox."""
    state, profile = served
    spec = Path(two_waves(tmp_path))
    spec.write_text(spec.read_text().replace("phase: sync", "phase: prepare"), encoding="utf-8")
    invoke(  # debra (cutover) holds FullAccess on lynne's mailbox (copying)
        profile,
        "contoso",
        "Add-MailboxPermission",
        {"Identity": LYNNE, "User": DEBRA, "AccessRights": ["FullAccess"], "Confirm": False},
    )
    cutover = sorted(["debra@contoso.com", "alex@contoso.com", "megan@contoso.com"])
    every = sorted([*cutover, LYNNE, "nestor@contoso.com"])

    plan = plan_json(str(spec), state, profile)
    assert _permission_reads(profile, 0) == cutover
    [notice] = [n for n in plan["notices"] if n.startswith("delegates:")]
    assert notice.startswith(
        "delegates: the mailbox permissions of 2 wave mailbox(es) in copying were not read"
    ), notice
    assert "t2t plan --report FILE.csv reads and lists every wave mailbox's" in notice
    w350 = {f["object"]: f["message"] for f in plan["findings"] if f["code"] == "T2T-W350"}
    assert "FullAccess on lynne" not in w350.get(DEBRA, ""), w350  # not read: not claimed

    report = tmp_path / "permissions.csv"
    seen = len(exchange_requests(profile, "Get-MailboxPermission"))
    done = run("plan", str(spec), "--report", str(report), "--format", "json", state=state)
    assert done.returncode in (0, 6), done.stdout[-3000:] + done.stderr
    assert _permission_reads(profile, seen) == every
    assert not [n for n in json.loads(done.stdout)["notices"] if n.startswith("delegates:")]
    with report.open(encoding="utf-8", newline="") as f:
        rows = {(r[0], r[2], r[4], r[5]) for r in list(csv.reader(f))[1:]}
    assert (LYNNE, "FullAccess", DEBRA, "cutover") in rows

    spec.write_text(spec.read_text() + "delegates:\n  keepTogether: true\n", encoding="utf-8")
    seen = len(exchange_requests(profile, "Get-MailboxPermission"))
    kept = plan_json(str(spec), state, profile)
    assert _permission_reads(profile, seen) == every
    codes = {(f["code"], f["object"]) for f in kept["findings"]}
    assert {("T2T-E350", DEBRA), ("T2T-E350", LYNNE)} <= codes
    assert not [n for n in kept["notices"] if n.startswith("delegates:")]
