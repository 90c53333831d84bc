"""Issue 3's walking skeleton, exactly as a user runs it: separate processes, real HTTPS.

sandbox up → plan shows both relationships to create → apply → plan empty (exit 0 with
--detailed-exitcode) → target relationship broken by hand (wrong tenant id in DomainNames) →
plan names the check and shows the one-field update → apply fixes it → a second apply of the
converged pair writes nothing, by the sandbox's own counters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.helpers import WRONG_TENANT, invoke, run, stats
from tests.e2e.test_batches import advance

SPEC = Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml"


def client_secret_copy(tmp_path: Path) -> Path:
    """The example with Microsoft's current credential (a client secret); the Key Vault mode
    it ships with converges in tests/e2e/test_key_vault_credential.py."""
    text = SPEC.read_text(encoding="utf-8")
    text = text.replace("credential: keyVaultCertificate", "credential: clientSecret")
    text = re.sub(r"\n  keyVault:\n(    .*\n)+", "\n", text)
    spec = tmp_path / "contoso-to-fabrikam.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_relationships_end_to_end(served: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    state, profile = served
    spec = str(client_secret_copy(tmp_path))

    first = run("plan", spec, "--detailed-exitcode", state=state)
    assert first.returncode == 2, first.stdout + first.stderr
    assert "+ target  orgrel.create" in first.stdout
    assert "+ source  orgrel.create" in first.stdout

    applied = run("apply", spec, "--auto-approve", state=state)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert " 0 failed" in applied.stdout
    # The licences provision over the strict sandbox's 120 s; the batch waits for them
    # (T2T-E320) and the next apply creates it.
    advance(profile, 121)
    provisioned = run("apply", spec, "--auto-approve", state=state)
    assert provisioned.returncode == 0, provisioned.stdout + provisioned.stderr

    clean = run("plan", spec, "--detailed-exitcode", state=state)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No changes:" in clean.stdout

    rels = invoke(profile, "fabrikam", "Get-OrganizationRelationship", {})["value"]
    assert len(rels) == 1
    name = rels[0]["Name"]
    invoke(
        profile,
        "fabrikam",
        "Set-OrganizationRelationship",
        {"Identity": name, "DomainNames": [WRONG_TENANT]},
    )

    drift = run("plan", spec, "--detailed-exitcode", state=state)
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert "Plan: 0 to add, 1 to change, 0 to destroy" in drift.stdout
    assert "T2T-E101" in drift.stdout
    assert "InboundMailboxMoveCapabilityMissingException" in drift.stdout
    assert "~ target  orgrel.update" in drift.stdout
    lines = drift.stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if "~ target  orgrel.update" in ln)
    block = lines[start : next(i for i in range(start, len(lines)) if not lines[i].strip())]
    changed = [ln.strip() for ln in block if ln.strip().startswith("~ ")]
    assert changed[1:] == [
        f'~ DomainNames = ["{WRONG_TENANT}"] -> ["6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"]'
    ]
    fixed = run("apply", spec, "--auto-approve", state=state)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    rels = invoke(profile, "fabrikam", "Get-OrganizationRelationship", {})["value"]
    assert rels[0]["DomainNames"] == ["6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"]

    before = stats(profile)
    again = run("apply", spec, "--auto-approve", state=state)
    after = stats(profile)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to apply." in again.stdout
    assert after["writes"] == before["writes"]
    assert after["reads"] > before["reads"]  # it did look
