"""A shared mailbox migrates end to end, as a user runs it (issue 13: "A shared mailbox
migrates end to end on the sandbox with no blocking finding").

Microsoft moves shared mailboxes (Learn, Cross-tenant mailbox migration, FAQ "Will shared
mailboxes move and still work? Yes."; t2t/planner/mailboxes/recipient_types.py). The default
seed's Contoso Sales (sales@contoso.com, a SharedMailbox) is declared in a `phase: complete`
wave: plan shows its whole chain and no blocking finding, apply prepares it, the batch is
created once its licences provision, syncs on the sandbox clock, is completed, and the mailbox
ends in the target with the source's ExchangeGuid while the source holds a MailUser routing to
it; a final plan has nothing to do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.e2e.helpers import ROOT, run
from tests.e2e.test_batches import advance, batch, recipient

SPEC = ROOT / "specs" / "contoso-to-fabrikam.yaml"
SOURCE, TARGET = "sales@contoso.com", "sales@fabrikam.com"
CHAIN = ("mailuser.create", "mailuser.set_identity", "user.usage_location", "license.assign")
WAVE = f"""  mailboxes:
    - {SOURCE}

batches:
  - name: shared
    mailboxes: [{SOURCE}]
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: complete
"""


def shared_spec(tmp_path: Path) -> str:
    """The example spec with a client secret (its Key Vault mode is
    tests/e2e/test_key_vault_credential.py's) and the shared mailbox as its only mailbox and
    wave."""
    text = SPEC.read_text(encoding="utf-8")
    text = text.replace("credential: keyVaultCertificate", "credential: clientSecret")
    text = re.sub(r"\n  keyVault:\n(    .*\n)+", "\n", text)
    text = re.sub(r"\n  mailboxes:\n(.*\n?)*\Z", "\n" + WAVE, text)
    spec = tmp_path / "shared.yaml"
    spec.write_text(text, encoding="utf-8")
    return str(spec)


def plan_json(state: Path, spec: str) -> dict[str, Any]:
    result = run("plan", spec, "--format", "json", state=state)
    plan = json.loads(result.stdout)
    return dict(plan.get("plan", plan))


def test_shared_mailbox_migrates_through_batch_completion(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    spec = shared_spec(tmp_path)
    source = recipient(profile, "contoso", SOURCE)
    assert source["RecipientTypeDetails"] == "SharedMailbox"

    first = plan_json(state, spec)
    blocking = [f for f in first["findings"] if f["severity"] == "error" and not f["fixed_by_plan"]]
    assert blocking == [], blocking
    about_it = [f for f in first["findings"] if f["object"] in (SOURCE, TARGET)]
    assert about_it == [], about_it  # not even a warning (statistics are read for it too)
    kinds = [a["kind"] for a in first["actions"] if a["key"] == TARGET]
    assert kinds == list(CHAIN), first["actions"]
    assert any(a["kind"] == "batch.create" and a["key"] == "shared" for a in first["actions"])

    prepared = run("apply", spec, "--auto-approve", state=state)
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    for kind in CHAIN:
        assert f"✓ target:{kind}:{TARGET}: done" in prepared.stdout, prepared.stdout
    advance(profile, 121)  # past the strict profile's licensing time (T2T-E320 holds the batch)
    created = run("apply", spec, "--auto-approve", state=state)
    assert created.returncode == 0, created.stdout + created.stderr
    assert "batch.create:shared: done" in created.stdout, created.stdout

    advance(profile, 3600)
    assert batch(profile, "shared")["Status"].lower() == "synced"
    completed = run("apply", spec, "--auto-approve", state=state)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "batch.complete:shared: done" in completed.stdout, completed.stdout

    advance(profile, 3600)
    assert batch(profile, "shared")["Status"].lower() == "completed"
    moved = recipient(profile, "fabrikam", TARGET)
    assert moved["RecipientTypeDetails"].endswith("Mailbox"), moved
    assert moved["ExchangeGuid"] == source["ExchangeGuid"]
    left = recipient(profile, "contoso", SOURCE)
    assert left["RecipientTypeDetails"] == "MailUser"
    assert left["ExternalEmailAddress"].lower() == "smtp:sales@fabrikam.mail.onmicrosoft.com"

    final = run("plan", spec, "--detailed-exitcode", state=state)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "batch shared: Completed" in final.stdout
