"""t2t's target identity may not pass Set-MailUser -ExchangeGuid/-ArchiveGuid (T2T-E319, the
seed walkthrough's comment 9), end to end on `t2t sandbox serve`: the plan names it before any
write, apply creates no MailUser, and — bypassed by hand — Exchange refuses the parameter as
PowerShell does and the unstamped MailUser's move fails with MissingExchangeGuidException.

The defect, from the seed (Exchange RBAC has no API to trim a role entry's parameters for a
service principal that the sandbox emulates): the target's app holds no directory role and its
role group's roles are custom copies whose Set-MailUser entry lacks the two parameters
(`exchangeRemovedParameters`, t2t/sandbox/exchange/rbac.py) — what Set-ManagementRoleEntry
'<role>\\Set-MailUser' -Parameters ExchangeGuid,ArchiveGuid -RemoveParameter leaves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from t2t.sandbox.seed import load_seed
from tests.e2e.helpers import exchange_requests, invoke, invoke_answer, plan_json, run
from tests.e2e.test_batches import COMPLETE, SYNC, advance, two_waves
from tests.e2e.test_mailbox_state_checks import REPLICATED, failure, new_batch, new_mail_user

NESTOR, NESTOR_T = "nestor@contoso.com", "nestor@fabrikam.com"
TARGETS = {*COMPLETE.values(), *SYNC.values()}


@pytest.fixture
def sandbox_seed(tmp_path: Path) -> Path:
    """The default seed with fabrikam's app trimmed of Set-MailUser's GUID parameters."""
    data = load_seed().model_dump(mode="json", exclude_defaults=True)
    [fabrikam] = [t for t in data["tenants"] if t["name"] == "fabrikam"]
    app = fabrikam["adminApp"]
    app.pop("directoryRoles", None)  # Exchange Administrator would give them back
    app["exchangeRemovedParameters"] = {"Set-MailUser": ["ExchangeGuid", "ArchiveGuid"]}
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_trimmed_exchange_guid_parameter_is_found_before_any_mailuser_is_created(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = two_waves(tmp_path)

    plan = plan_json(spec, state, profile)
    [e326] = [f for f in plan["findings"] if f["code"] == "T2T-E319"]
    assert (e326["object"], e326["tenant"], e326["severity"]) == ("Set-MailUser", "target", "error")
    assert "-ExchangeGuid and -ArchiveGuid" in e326["message"]
    assert f"{len(TARGETS)} mailbox(es)" in e326["message"]
    binding = "A parameter cannot be found that matches parameter name 'ExchangeGuid'"
    assert binding in e326["prevents"]
    assert "Set-ManagementRoleEntry" in e326["fix"] and "Exchange Administrator" in e326["fix"]
    chains = [a for a in plan["actions"] if a["key"] in TARGETS]
    assert {a["key"] for a in chains} == TARGETS
    assert all("T2T-E319" in a["blocked_by"] for a in chains), chains
    assert {a["kind"] for a in chains} >= {"mailuser.create", "mailuser.set_identity"}

    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode != 1, applied.stdout[-3000:] + applied.stderr
    assert exchange_requests(profile, "New-MailUser") == []  # not one MailUser created
    assert exchange_requests(profile, "Set-MailUser") == []
    assert exchange_requests(profile, "New-MigrationBatch") == []

    # Bypassed: nestor's MailUser created by hand as the plan would have, then the stamp.
    [create] = [a for a in chains if a["key"] == NESTOR_T and a["kind"] == "mailuser.create"]
    p = create["parameters"]
    new_mail_user(
        profile, p["Name"], p["MicrosoftOnlineServicesID"], p["PrimarySmtpAddress"],
        p["ExternalEmailAddress"],
    )  # fmt: skip
    advance(profile, REPLICATED)
    [stamp] = [a for a in chains if a["key"] == NESTOR_T and a["kind"] == "mailuser.set_identity"]
    refused = invoke_answer(profile, "fabrikam", "Set-MailUser", stamp["parameters"])
    assert refused.status_code == 400, refused.text
    assert "System.Management.Automation.ParameterBindingException" in refused.text
    assert f"{binding}." in refused.text
    [mail_user] = invoke(profile, "fabrikam", "Get-MailUser", {"Identity": NESTOR_T})["value"]
    assert mail_user["ExchangeGuid"] == "00000000-0000-0000-0000-000000000000", mail_user

    # The move of the unstamped MailUser fails as Microsoft's does.
    new_batch(profile, "by-hand", NESTOR_T)
    advance(profile, 600)
    error = failure(profile, NESTOR_T)
    assert "MissingExchangeGuidException" in error, error
