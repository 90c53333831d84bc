"""Pre-flight checks on a mailbox's own state, end to end (issue 13), each defect made through
Microsoft's protocols (or, for what only mail itself changes — a mailbox's size — the
sandbox's control endpoint): `t2t plan` names it before any write, apply leaves that mailbox
out of its batch, and — the check bypassed by hand, the move sent directly — the sandbox's
move fails as the check says.

T2T-E322: the target MailUser was a mailbox before. An admin created it by hand without its
ExchangeGuid and licensed it, so Exchange gave it a mailbox; unlicensed again it is a MailUser
whose Get-User PreviousRecipientTypeDetails is UserMailbox (the Exchange Team's "Permanently
Clear Previous Mailbox Info"). Once Set-User -PermanentlyClearPreviousMailboxInfo has run (by
hand: it is irreversible), the finding is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from t2t.clients import wire
from tests.e2e.helpers import (
    control,
    graph,
    invoke,
    invoke_answer,
    module_secure_string,
    plan_json,
    run,
)
from tests.e2e.test_batches import advance, two_waves

TDD = "fabrikam.mail.onmicrosoft.com"
EXCHANGESTANDARD = "4b9405b0-7788-4568-add1-99614e613b69"
T2T_LICENCE = "946ce899-873d-44bb-9d8b-671870cbfdbf"
REPLICATED = 301  # sandbox seconds: past the window in which a new object is not replicated


def new_mail_user(
    profile: dict[str, Any], name: str, upn: str, primary: str, external: str
) -> None:
    """New-MailUser as an admin's script sends it (its -Password encrypted with the module's
    key), without -ExchangeGuid: New-MailUser has none."""
    params = {
        "Name": name,
        "MicrosoftOnlineServicesID": upn,
        "PrimarySmtpAddress": primary,
        "ExternalEmailAddress": external,
        "Password": module_secure_string(profile, "fabrikam", "Pa55-not-logged!"),
    }
    invoke(profile, "fabrikam", "New-MailUser", params)


def licences(profile: dict[str, Any], upn: str, add: list[str], remove: list[str]) -> None:
    body = {
        "addLicenses": [{"skuId": s, "disabledPlans": []} for s in add],
        "removeLicenses": remove,
    }
    graph(profile, "fabrikam", "POST", f"/users/{upn}/assignLicense", body)


def new_batch(profile: dict[str, Any], name: str, *targets: str) -> None:
    """New-MigrationBatch by hand — the check bypassed — on t2t's endpoint."""
    csv = "EmailAddress\r\n" + "".join(f"{a}\r\n" for a in targets)
    params = {
        "Name": name,
        "SourceEndpoint": "contoso-t2t",
        "CSVData": wire.csv_data(csv),
        "TargetDeliveryDomain": TDD,
        "AutoStart": True,
    }
    invoke(profile, "fabrikam", "New-MigrationBatch", params)


def failure(profile: dict[str, Any], target: str) -> str:
    """The migration user's status and error, as Get-MigrationUserStatistics shows them."""
    [user] = invoke(profile, "fabrikam", "Get-MigrationUser", {"Identity": target})["value"]
    assert user["Status"] == "Failed", user
    [st] = invoke(profile, "fabrikam", "Get-MigrationUserStatistics", {"Identity": target})["value"]
    return str(st["Error"])


def batch_members(profile: dict[str, Any], batch: str) -> set[str]:
    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": batch})["value"]
    return {u["Identity"].lower() for u in users}


def stamp_as_planned(profile: dict[str, Any], plan: dict[str, Any], key: str) -> None:
    """What t2t would have sent for `key` had the check not blocked it: its Set-MailUser and
    its licences, sent by hand."""
    for a in plan["actions"]:
        if a["key"] != key:
            continue
        if a["kind"] == "mailuser.set_identity":
            invoke(profile, "fabrikam", "Set-MailUser", a["parameters"])
        elif a["kind"] == "user.usage_location":
            graph(
                profile,
                "fabrikam",
                "PATCH",
                f"/users/{a['parameters']['UserId']}",
                {"usageLocation": a["parameters"]["UsageLocation"]},
            )
        elif a["kind"] == "license.assign":
            skus = [s["SkuId"] for s in a["parameters"]["AddLicenses"]]
            licences(profile, a["parameters"]["UserId"], skus, [])


DEBRA, DEBRA_T, DEBRA_UPN = (
    "debra@contoso.com",
    "debra@fabrikam.com",
    "debra@fabrikam.onmicrosoft.com",
)


def test_a_target_mailuser_that_was_a_mailbox_is_left_out_until_cleared(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    # The defect: prepared by hand without an ExchangeGuid, licensed, unlicensed.
    new_mail_user(profile, "Debra Berger", DEBRA_UPN, DEBRA_T, DEBRA)
    advance(profile, REPLICATED)
    graph(profile, "fabrikam", "PATCH", f"/users/{DEBRA_UPN}", {"usageLocation": "NL"})
    licences(profile, DEBRA_UPN, [EXCHANGESTANDARD], [])
    advance(profile, 121)  # the licence provisions: Exchange gives the MailUser a mailbox
    [mailbox] = invoke(profile, "fabrikam", "Get-Mailbox", {"Identity": DEBRA_T})["value"]
    licences(profile, DEBRA_UPN, [], [EXCHANGESTANDARD])
    [user] = invoke(profile, "fabrikam", "Get-User", {"Identity": DEBRA_UPN})["value"]
    assert (user["RecipientTypeDetails"], user["PreviousRecipientTypeDetails"]) == (
        "MailUser",
        "UserMailbox",
    )

    plan = plan_json(spec, state, profile)
    [e322] = [f for f in plan["findings"] if f["code"] == "T2T-E322"]
    assert (e322["object"], e322["tenant"]) == (DEBRA_T, "target")
    assert "PreviousRecipientTypeDetails UserMailbox" in e322["message"]
    assert "Set-User <target> -PermanentlyClearPreviousMailboxInfo" in e322["fix"]
    chain = [a for a in plan["actions"] if a["key"] == DEBRA_T]
    assert chain and all(a["blocked_by"] == ["T2T-E322"] for a in chain), chain
    assert "Set-User" not in {a["cmdlet"] for a in plan["actions"]}  # never planned

    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)  # the other mailboxes' licences provision
    applied = run("apply", spec, "--auto-approve", state=state)
    assert "batch.create:cutover: done" in applied.stdout, applied.stdout[-3000:]
    assert batch_members(profile, "cutover") == {"alex.wilber@fabrikam.com", "megan@fabrikam.com"}
    [left] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": DEBRA_T})["value"]
    assert left["ExchangeGuid"] == "00000000-0000-0000-0000-000000000000"  # nothing written

    # Bypassed: what t2t would have written, then the move, by hand.
    stamp_as_planned(profile, plan, DEBRA_T)
    new_batch(profile, "by-hand", DEBRA_T)
    advance(profile, 600)
    error = failure(profile, DEBRA_T)
    assert "MigrationPermanentException" in error and "previous mailbox" in error, error
    assert mailbox["ExchangeGuid"] in error  # the previous mailbox Exchange kept
    assert "PermanentlyClearPreviousMailboxInfo" in error  # the command the fix names

    # The fix the finding names, run by hand: the finding is gone.
    invoke(
        profile,
        "fabrikam",
        "Set-User",
        {"Identity": DEBRA_UPN, "PermanentlyClearPreviousMailboxInfo": True, "Confirm": False},
    )
    cleared = plan_json(spec, state, profile)
    assert "T2T-E322" not in {f["code"] for f in cleared["findings"]}


NESTOR, NESTOR_T = "nestor@contoso.com", "nestor@fabrikam.com"
LYNNE, LYNNE_T = "lynne@contoso.com", "lynne.robbins@fabrikam.com"


def total_item_size(profile: dict[str, Any], source: str) -> int:
    [st] = invoke(profile, "contoso", "Get-MailboxStatistics", {"Identity": source})["value"]
    return int(str(st["TotalItemSize"]).split("(")[1].split(" bytes")[0].replace(",", ""))


def set_quota(profile: dict[str, Any], source: str, send_receive: int) -> None:
    """Set-Mailbox's three quotas, in the order the reference requires."""
    params = {
        "Identity": source,
        "IssueWarningQuota": str(send_receive * 8 // 10),
        "ProhibitSendQuota": str(send_receive * 9 // 10),
        "ProhibitSendReceiveQuota": str(send_receive),
    }
    invoke(profile, "contoso", "Set-Mailbox", params)


def create_as_planned(profile: dict[str, Any], plan: dict[str, Any], key: str) -> None:
    """The blocked New-MailUser of `key`, sent by hand; then what follows it."""
    [create] = [a for a in plan["actions"] if a["key"] == key and a["kind"] == "mailuser.create"]
    p = create["parameters"]
    new_mail_user(
        profile, p["Name"], p["MicrosoftOnlineServicesID"], p["PrimarySmtpAddress"],
        p["ExternalEmailAddress"],
    )  # fmt: skip
    advance(profile, REPLICATED)
    stamp_as_planned(profile, plan, key)
    advance(profile, 121)  # its licences provision


def apply_twice(profile: dict[str, Any], state: Path, spec: str, batch: str) -> set[str]:
    """Apply, let the other mailboxes' licences provision, apply again: the members of the batch
    the second apply created (it must have)."""
    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert f"batch.create:{batch}: done" in applied.stdout, applied.stdout[-3000:]
    return batch_members(profile, batch)


def moved_by_hand(profile: dict[str, Any], plan: dict[str, Any], key: str) -> str:
    """The check bypassed: `key` prepared as t2t would have, moved in a batch of its own by
    hand; its move's failure."""
    create_as_planned(profile, plan, key)
    new_batch(profile, "by-hand", key)
    advance(profile, 600)
    return failure(profile, key)


def test_a_source_mailbox_at_its_quota_is_left_out_and_one_near_it_warned(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)
    # The defects, by Set-Mailbox: nestor's quota is his size; lynne's 5 % above hers.
    nestor_size = total_item_size(profile, NESTOR)
    set_quota(profile, NESTOR, nestor_size)
    set_quota(profile, LYNNE, total_item_size(profile, LYNNE) * 100 // 95)

    plan = plan_json(spec, state, profile)
    [e323] = [f for f in plan["findings"] if f["code"] == "T2T-E323"]
    assert (e323["object"], e323["tenant"]) == (NESTOR, "source")
    assert f"({nestor_size:,} bytes) ≥ ProhibitSendReceiveQuota" in e323["message"]
    assert "fail migration" in e323["prevents"]
    chain = [a for a in plan["actions"] if a["key"] == NESTOR_T]
    assert chain and all(a["blocked_by"] == ["T2T-E323"] for a in chain), chain
    [w324] = [f for f in plan["findings"] if f["code"] == "T2T-W324"]
    assert w324["object"] == LYNNE and "95 % of ProhibitSendReceiveQuota" in w324["message"]
    assert all(not a["blocked_by"] for a in plan["actions"] if a["key"] == LYNNE_T)

    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert "batch.create:copying: done" in applied.stdout, applied.stdout[-3000:]
    assert batch_members(profile, "copying") == {LYNNE_T}  # a warning leaves nobody out
    found = invoke(profile, "fabrikam", "Get-Recipient", {"ResultSize": "Unlimited"})["value"]
    assert NESTOR_T not in {r["PrimarySmtpAddress"].lower() for r in found}  # nothing written

    # Bypassed: nestor prepared as t2t would have, and moved by hand.
    create_as_planned(profile, plan, NESTOR_T)
    new_batch(profile, "by-hand", NESTOR_T)
    advance(profile, 600)
    error = failure(profile, NESTOR_T)
    assert "MigrationPermanentException" in error and "is over its quota" in error, error
    assert f"({nestor_size:,} bytes)" in error


MEGAN, MEGAN_T = "megan@contoso.com", "megan@fabrikam.com"  # has an archive (seed)
GB = 1024**3


def test_an_archive_near_auto_expansion_is_warned_and_its_expansion_fails_the_move(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """A warning leaves the mailbox in its batch: the move itself is the bypass. The archive
    grows past 90 GB while it syncs, Exchange expands it, and the move fails with the
    exception W325 names; the next plan removes and re-adds the user (T2T-W411)."""
    state, profile = served
    spec = two_waves(tmp_path)
    invoke(profile, "contoso", "Enable-Mailbox", {"Identity": MEGAN, "AutoExpandingArchive": True})
    # What only mail changes: the archive's size (the sandbox's control endpoint).
    control(
        profile,
        "PATCH",
        f"exchange/contoso/recipients/{MEGAN}",
        {"archive_total_item_size": 85 * GB},
    )

    plan = plan_json(spec, state, profile)
    [w325] = [f for f in plan["findings"] if f["code"] == "T2T-W325"]
    assert (w325["object"], w325["tenant"]) == (MEGAN, "source")
    assert (
        "85.00 GB" in w325["message"]
        and "the mailbox's AutoExpandingArchiveEnabled" in w325["message"]
    )
    name = "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException"
    assert name in w325["prevents"]
    assert all(not a["blocked_by"] for a in plan["actions"] if a["key"] == MEGAN_T)

    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert "batch.create:cutover: done" in applied.stdout, applied.stdout[-3000:]
    assert MEGAN_T in batch_members(profile, "cutover")  # a warning leaves nobody out

    advance(profile, 60)  # syncing; meanwhile mail fills the archive past 90 GB
    control(
        profile,
        "PATCH",
        f"exchange/contoso/recipients/{MEGAN}",
        {"archive_total_item_size": 91 * GB},
    )
    advance(profile, 600)
    error = failure(profile, MEGAN_T)
    assert name in error, error
    [mbx] = invoke(profile, "contoso", "Get-Mailbox", {"Identity": MEGAN})["value"]
    assert [loc.split(";")[2] for loc in mbx["MailboxLocations"]].count("AuxArchive") == 1

    after = plan_json(spec, state, profile)
    readd = [f for f in after["findings"] if f["code"] == "T2T-W411"]
    assert [f["object"] for f in readd] == [MEGAN_T], after["findings"]


def test_recoverable_items_over_the_target_quota_are_made_room_for_by_the_plan(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """T2T-E306 (G15): Exchange Online raises a MailUser's Recoverable Items quota only with
    Set-MailUser -EnableLitigationHoldForMigration (100 GB, and Litigation Hold); the plan does
    it, and the move proceeds. Bypassed — lynne's Recoverable Items grow past her prepared
    target's 30 GB once her batch runs — the move fails as the check says, -RecoverableItemsQuota
    (the fix E306 used to name) is no Exchange Online parameter, and the next apply repairs her."""
    state, profile = served
    spec = two_waves(tmp_path)
    big = {"total_deleted_item_size": 31 * GB}  # what only deletions change (sandbox control)
    control(profile, "PATCH", f"exchange/contoso/recipients/{DEBRA}", big)

    plan = plan_json(spec, state, profile)
    [e306] = [f for f in plan["findings"] if f["code"] == "T2T-E306"]
    assert (e306["object"], e306["fixed_by_plan"]) == (DEBRA, True)
    assert "Set-MailUser <target> -EnableLitigationHoldForMigration" in e306["fix"]
    [hold] = [a for a in plan["actions"] if a["kind"] == "mailuser.hold_for_migration"]
    assert hold["parameters"] == {"Identity": DEBRA_T, "EnableLitigationHoldForMigration": True}
    assert hold["depends_on"] == [f"target:mailuser.create:{DEBRA_T}"] and not hold["blocked_by"]

    run("apply", spec, "--auto-approve", state=state)
    advance(profile, 121)
    applied = run("apply", spec, "--auto-approve", state=state)
    assert "batch.create:cutover: done" in applied.stdout, applied.stdout[-3000:]
    [mu] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": DEBRA_T})["value"]
    assert mu["RecoverableItemsQuota"] == "100 GB (107,374,182,400 bytes)"
    assert mu["LitigationHoldEnabled"] is True
    assert DEBRA_T in batch_members(profile, "cutover")

    # Bypassed: lynne's batch already runs when her Recoverable Items pass her target's quota.
    control(profile, "PATCH", f"exchange/contoso/recipients/{LYNNE}", big)
    refused = invoke_answer(
        profile,
        "fabrikam",
        "Set-MailUser",
        {"Identity": LYNNE_T, "RecoverableItemsQuota": "50GB"},
    )
    assert refused.status_code == 400, refused.text
    assert "cannot be found that matches parameter name 'RecoverableItemsQuota'" in refused.text
    advance(profile, 600)
    error = failure(profile, LYNNE_T)
    assert "in Recoverable Items, more than the target mail user's RecoverableItemsQuota" in error
    [debra] = invoke(profile, "fabrikam", "Get-MigrationUser", {"Identity": DEBRA_T})["value"]
    assert debra["Status"] != "Failed", debra  # room was made for debra's

    again = plan_json(spec, state, profile)
    assert [a["key"] for a in again["actions"] if a["kind"] == "mailuser.hold_for_migration"] == [
        LYNNE_T
    ]
    run("apply", spec, "--auto-approve", state=state)
    [mu] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": LYNNE_T})["value"]
    assert mu["RecoverableItemsQuota"] == "100 GB (107,374,182,400 bytes)"
