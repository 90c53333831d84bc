"""The keyCredentials t2t sends to Graph for the migration app (shared/key_vault/certificate.py):
the new one for the vault's certificate, and each existing one repeated whole, since a PATCH
of keyCredentials replaces the collection (Graph keyCredential resource type: keyId, type,
usage, key, displayName, startDateTime, endDateTime, customKeyIdentifier)."""

from __future__ import annotations

import dataclasses

import pytest

from t2t.planner.shared.key_vault import vault_desire
from t2t.planner.shared.key_vault.certificate import (
    holds_key,
    kept_key_credential,
    new_key_credential,
)
from t2t.state.azure import CertificateVersion
from t2t.state.directory import Application, KeyCredential
from tests.planner.cases import ROOT, Case

DESIRE = vault_desire(Case(ROOT / "key_vault" / "kv-converged-plans-nothing").spec())
VERSION = CertificateVersion(
    id="https://fabrikam-t2t-kv.vault.azure.net/certificates/t2t-cert/v2",
    version="v2",
    thumbprint="9F2C4A7E1B3D5F6A8C0E2B4D6F8A0C2E4B6D8F0A",
    enabled=True,
    not_before="2026-01-01T00:00:00Z",
    expires="2027-01-01T00:00:00Z",
    created="2026-01-01T00:00:00Z",
)
KEPT = KeyCredential(
    key_id="k-1",
    display_name="hand-made",
    type="AsymmetricX509Cert",
    usage="Verify",
    start="2025-06-01T00:00:00Z",
    end="2026-06-01T00:00:00Z",
    custom_key_identifier="QUJD",
    thumbprint="9F2C4A7E1B3D5F6A8C0E2B4D6F8A0C2E4B6D8F0A",
    key="TUlJQ...",
)


def test_the_new_key_credential_carries_the_der_the_marker_and_the_certificates_dates() -> None:
    assert DESIRE is not None
    with_der = dataclasses.replace(VERSION, cer="TUlJQ2VydA==")
    assert new_key_credential(DESIRE, with_der) == {
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": "TUlJQ2VydA==",
        "displayName": f"t2t:keyvault:{DESIRE.certificate_key}",
        "startDateTime": "2026-01-01T00:00:00Z",
        "endDateTime": "2027-01-01T00:00:00Z",
    }
    undated = dataclasses.replace(with_der, not_before=None, expires=None)
    assert new_key_credential(DESIRE, undated) == {
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": "TUlJQ2VydA==",
        "displayName": f"t2t:keyvault:{DESIRE.certificate_key}",
    }


def test_a_kept_key_credential_is_repeated_whole_without_empty_fields() -> None:
    assert kept_key_credential(KEPT) == {
        "keyId": "k-1",
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": "TUlJQ...",
        "displayName": "hand-made",
        "startDateTime": "2025-06-01T00:00:00Z",
        "endDateTime": "2026-06-01T00:00:00Z",
        "customKeyIdentifier": "QUJD",
    }
    bare = dataclasses.replace(KEPT, display_name=None, start=None, custom_key_identifier=None)
    assert kept_key_credential(bare) == {
        "keyId": "k-1",
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": "TUlJQ...",
        "endDateTime": "2026-06-01T00:00:00Z",
    }


def test_a_key_credential_graph_sent_without_its_key_cannot_be_repeated() -> None:
    no_key = r"^Graph returned no key for the app's keyCredential k-1$"
    with pytest.raises(ValueError, match=no_key):
        kept_key_credential(dataclasses.replace(KEPT, key=None))


def _app_holding(credential: KeyCredential) -> Application:
    """The migration app with one keyCredential."""
    return Application(
        object_id="obj-1",
        app_id="5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f",
        display_name="T2T mailbox migration",
        sign_in_audience="AzureADMultipleOrgs",
        required_resource_access=(),
        redirect_uris=(),
        password_credentials=(),
        key_credential_count=1,
        key_credentials=(credential,),
    )


def test_the_app_holds_the_certificate_by_thumbprint_without_its_der() -> None:
    app = _app_holding(dataclasses.replace(KEPT, key=None))
    assert holds_key(app, VERSION)  # VERSION has no DER (cer): only the thumbprint tells
    other = dataclasses.replace(VERSION, thumbprint="0" * 40)
    assert not holds_key(app, other)


def test_the_app_holds_the_certificate_by_its_der_without_a_thumbprint() -> None:
    """A keyCredential read without a thumbprint still matches by its DER: the apply-time
    re-read (executors/key_vault.py re-plans with holds_key) must not add the key twice."""
    with_der = dataclasses.replace(VERSION, cer="TUlJQ2VydA==")
    app = _app_holding(dataclasses.replace(KEPT, thumbprint=None, key="TUlJQ2VydA=="))
    assert holds_key(app, with_der)
    assert not holds_key(app, dataclasses.replace(with_der, cer="T3RoZXI="))
