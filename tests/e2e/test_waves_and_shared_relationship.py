"""One wave at a time, and two specs sharing the organization relationship, end to end on
`t2t sandbox serve` with its request counters (issue 15).

`apply --wave wave-2` of a three-wave spec creates only wave 2's mail users and batch: the
sandbox's counters and request log show no other New-MailUser, batch or member added. Two
specs between the same tenants share the source relationship: each apply merges its own
scope, neither removes the other's, and once both are applied neither plans a relationship
write again; a third spec naming another app is blocked with T2T-E112 naming the others.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.e2e.helpers import ROOT, control, exchange_requests, invoke, run, stats

QUICKSTART = (ROOT / "specs" / "quickstart.yaml").read_text(encoding="utf-8")
THREE_WAVES = """batches:
  - name: wave-1
    mailboxes: [debra@contoso.com, alex@contoso.com]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: sync
  - name: wave-2
    mailboxes: [megan@contoso.com, lynne@contoso.com]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: sync
  - name: wave-3
    mailboxes: [nestor@contoso.com]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: sync
"""


def _spec(tmp_path: Path, name: str, batches: str, **replace: str) -> str:
    text = re.sub(r"\nbatches:\n(.*\n?)*\Z", "\n" + batches, QUICKSTART)
    text = text.replace("name: quickstart", f"name: {name}")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _writes(before: dict[str, Any], after: dict[str, Any], cmdlet: str) -> int:
    return int(after["byCmdlet"].get(cmdlet, 0)) - int(before["byCmdlet"].get(cmdlet, 0))


def test_apply_one_wave_creates_only_its_mail_users_and_batch(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = _spec(tmp_path, "three-waves", THREE_WAVES)

    unknown = run("plan", spec, "--wave", "wave-9", state=state)
    assert unknown.returncode == 64, unknown.stderr
    assert "no wave named 'wave-9' in the spec; its waves: wave-1, wave-2, wave-3" in (
        " ".join(unknown.stderr.replace("│", " ").split())  # rich's error box
    )

    plan = run("plan", spec, "--wave", "wave-2", "--format", "json", state=state)
    document = json.loads(plan.stdout)
    assert document["waves"] == ["wave-2"]
    keys = {a["key"] for a in document["actions"] if a["kind"] == "mailuser.create"}
    assert keys == {"megan@fabrikam.com", "lynne.robbins@fabrikam.com"}
    text = run("plan", spec, "--wave", "wave-2", state=state)
    assert "Only wave wave-2 (--wave)" in text.stdout

    before = stats(profile)
    first = run("apply", spec, "--wave", "wave-2", "--auto-approve", state=state)
    assert first.returncode in (0, 3), first.stdout[-3000:] + first.stderr
    control(profile, "POST", "clock", {"advanceSeconds": 3600})  # the licences provision
    second = run("apply", spec, "--wave", "wave-2", "--auto-approve", state=state)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    after = stats(profile)

    assert _writes(before, after, "New-MailUser") == 2
    assert _writes(before, after, "New-MigrationBatch") == 1
    created = [
        json.dumps(r["cmdletInput"]["Parameters"])
        for r in exchange_requests(profile, "New-MailUser")
    ]
    for address in ("megan@fabrikam.com", "lynne.robbins@fabrikam.com"):
        assert sum(address in c for c in created) == 1, created
    for other in ("debra@fabrikam.com", "alex.wilber@fabrikam.com", "nestor@fabrikam.com"):
        assert not any(other in c for c in created)
    batches = [
        r["cmdletInput"]["Parameters"]["Name"]
        for r in exchange_requests(profile, "New-MigrationBatch")
    ]
    assert batches == ["wave-2"]
    listed = invoke(profile, "fabrikam", "Get-MigrationBatch", {})["value"]
    assert [b["Identity"] for b in listed] == ["wave-2"]
    added = exchange_requests(profile, "Add-DistributionGroupMember")
    members = sorted(str(r["cmdletInput"]["Parameters"]["Member"]).lower() for r in added)
    assert members == ["lynne@contoso.com", "megan@contoso.com"]  # the seed's scope group
    # the other waves' mailboxes were not even read one by one
    stat_reads = exchange_requests(profile, "Get-MailboxStatistics")
    read = {str(r["cmdletInput"]["Parameters"].get("Identity", "")).lower() for r in stat_reads}
    assert not read & {"debra@contoso.com", "alex@contoso.com", "nestor@contoso.com"}


def test_two_specs_share_the_relationship_without_flipping_it(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    one = (
        "batches:\n  - name: w\n    mailboxes: [debra@contoso.com]\n"
        "    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com\n    phase: prepare\n"
    )
    sales = _spec(
        tmp_path, "sales", one, **{"scopeGroup: t2tmigrationscope": "scopeGroup: sales-scope"}
    )
    finance = _spec(
        tmp_path,
        "finance",
        one.replace("debra", "megan"),
        **{"scopeGroup: t2tmigrationscope": "scopeGroup: finance-scope"},
    )
    for spec in (sales, finance, sales):
        done = run("apply", spec, "--wave", "w", "--auto-approve", state=state)
        # 6: the mailbox waits for its licence to provision (T2T-E320), nothing else blocks
        assert done.returncode in (0, 6), done.stdout[-3000:] + done.stderr
    rel = invoke(profile, "contoso", "Get-OrganizationRelationship", {})["value"]
    scopes = [s.lower() for r in rel for s in r["MailboxMovePublishedScopes"]]
    assert sorted(scopes) == ["finance-scope", "sales-scope"]
    sets = len(exchange_requests(profile, "Set-OrganizationRelationship"))
    for spec in (sales, finance):
        again = run(
            "plan", spec, "--wave", "w", "--detailed-exitcode", "--format", "json", state=state
        )
        assert again.returncode in (0, 6), again.stdout[-3000:]  # 6: T2T-E320 as above
        assert not [a for a in json.loads(again.stdout)["actions"] if "orgrel" in a["kind"]]
    assert len(exchange_requests(profile, "Set-OrganizationRelationship")) == sets

    other_app = _spec(
        tmp_path,
        "legal",
        one.replace("debra", "nestor"),
        **{
            "scopeGroup: t2tmigrationscope": "scopeGroup: legal-scope",
            "appId: 5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f": "displayName: Legal migration app",
        },
    )
    blocked = run("plan", other_app, "--wave", "w", "--format", "json", state=state)
    assert blocked.returncode == 3, blocked.stdout[-3000:] + blocked.stderr
    findings = [f for f in json.loads(blocked.stdout)["findings"] if f["code"] == "T2T-E112"]
    assert findings and "spec 'finance'" in findings[0]["message"]
    assert "spec 'sales'" in findings[0]["message"]
