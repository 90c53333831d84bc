"""The vault certificate's plan at its edges (shared/key_vault/certificate.py): a version that
expires this very moment, one that expires exactly when the warning starts, a creation that
failed with or without Key Vault's words, and the key credential for an app this plan creates."""

from __future__ import annotations

import dataclasses
import datetime as dt

from t2t.planner.shared.app import app_desire
from t2t.planner.shared.key_vault import vault_desire
from t2t.planner.shared.key_vault.certificate import plan_certificate, plan_key_credential, usable
from t2t.state.azure import CertificateOperation, CertificateVersion, VaultCertificate
from tests.planner.cases import ROOT, Case

SPEC = Case(ROOT / "key_vault" / "kv-converged-plans-nothing").spec()
DESIRE = vault_desire(SPEC)
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
VERSION = CertificateVersion(
    id="https://fabrikam-t2t-kv.vault.azure.net/certificates/t2t-cert/v1",
    version="v1",
    thumbprint="66B94AAD421A13E2B6E03446B3BA4C2C28E79D60",
    enabled=True,
    not_before="2025-03-01T00:00:00Z",
    expires="2026-03-31T00:00:00Z",  # NOW + 30 days: the warning's first moment
    created="2025-03-01T00:00:00Z",
    cer="MIIC...",
)


def test_a_version_is_unusable_from_the_moment_it_expires() -> None:
    assert usable(VERSION, NOW)
    assert not usable(dataclasses.replace(VERSION, expires="2026-03-01T00:00:00Z"), NOW)


def test_a_version_expiring_exactly_at_the_warning_is_warned_about() -> None:
    assert DESIRE is not None
    cert = VaultCertificate(vault_name="fabrikam-t2t-kv", name="t2t-cert", current=VERSION)
    out = plan_certificate(DESIRE, cert, NOW)
    assert out.action is None
    assert [(f.code, f.message) for f in out.findings] == [
        ("T2T-W241", "version v1 expires 2026-03-31T00:00:00Z")
    ]


def test_a_failed_creation_shows_key_vaults_words_or_only_its_status() -> None:
    assert DESIRE is not None

    def previous(operation: CertificateOperation) -> object:
        cert = VaultCertificate("fabrikam-t2t-kv", "t2t-cert", None, operation=operation)
        action = plan_certificate(DESIRE, cert, NOW).action
        assert action is not None
        return next(c.before for c in action.changes if c.field == "previous creation")

    assert previous(CertificateOperation("failed", status_details="Issuer refused")) == (
        "failed: Issuer refused"
    )
    assert previous(CertificateOperation("cancelled")) == "cancelled"


def test_the_key_credential_of_an_app_this_plan_creates_names_no_object_id_yet() -> None:
    assert DESIRE is not None
    out = plan_key_credential(DESIRE, app_desire(SPEC), None, None, app_key="app")
    assert out.action is not None
    assert out.action.cmdlet == "Graph PATCH /applications/{id} (keyCredentials)"
