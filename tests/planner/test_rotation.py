"""Rotation (issue 12): `--rotate-credential` on the planner cases that are not due by the spec's
rotateBefore, and the rules that make a rotation stop once done (apply plans every object again
from the action's desire, so a rotation that never ended would rotate on every re-read).

The cases themselves — rotateBefore due and not due, in both modes; the old key removed once the
endpoint names a newer version — are folders under tests/planner/cases/ (their names say
`rotate` or `rotation`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from t2t.planner.actions import Action
from t2t.planner.domain import plan_domain
from t2t.planner.endpoint import (
    ADD_PASSWORD_DEFAULT_LIFETIME,
    EndpointDesire,
    marker_keys,
    plan_endpoint,
)
from t2t.planner.plan import DOMAINS
from t2t.planner.shared.app import app_desire
from t2t.planner.shared.key_vault import VALIDITY_MONTHS, plan_certificate, vault_desire
from t2t.planner.shared.rotation import Rotation, forces_rotation
from t2t.spec.resolve import ROTATE_BEFORE_MAX
from t2t.state.azure import CertificateVersion
from t2t.state.directory import PasswordCredential
from tests.planner.cases import ROOT, Case

BY_NAME = {d.name: d for d in DOMAINS}
V1 = "4f1c2a9be07d4c0b9a51d3e2f6a7b8c9"


def flagged(case: str) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    """The case's domain planned with --rotate-credential: (actions as JSON, (code, message))."""
    found = Case(ROOT / case)
    ctx = dataclasses.replace(found.context(), rotate_credential=True)
    outcome = plan_domain(BY_NAME[found.domain], ctx)
    return (
        [a.model_dump(mode="json") for a in outcome.actions],
        [(f.code, f.message) for f in outcome.findings],
    )


def test_the_flag_makes_a_new_version_of_a_certificate_not_due() -> None:
    unflagged = Case(ROOT / "key_vault/kv-rotate-before-not-due-plans-nothing").outcome()
    assert unflagged.actions == [] and unflagged.findings == []
    actions, findings = flagged("key_vault/kv-rotate-before-not-due-plans-nothing")
    assert [a["kind"] for a in actions] == ["keyvault.certificate.create", "app.key_credential.add"]
    create = actions[0]
    assert create["operation"] == "update"
    assert create["desired"]["rotation"] == {"before_seconds": 60 * 86400, "replaces": [V1]}
    assert findings == [
        (
            "T2T-W246",
            f"--rotate-credential: version {V1} (expires 2027-01-05T09:00:00Z) is replaced",
        )
    ]


def test_the_flag_moves_the_endpoint_to_the_new_version() -> None:
    actions, _ = flagged("endpoint/endpoint-kv-converged")
    [update] = [a for a in actions if a["kind"] == "endpoint.update"]
    assert update["parameters"]["AppSecretKeyVaultUrl"] == "(known after apply)"
    assert {
        "target:keyvault.certificate.create:fabrikam-t2t-kv/t2t-cert",
        "target:app.key_credential.add:5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f",
    } <= set(update["depends_on"])


def test_the_flag_gives_the_endpoint_a_new_secret_not_due() -> None:
    unflagged = Case(ROOT / "endpoint/endpoint-secret-rotate-before-not-due-plans-nothing")
    assert unflagged.outcome().actions == []
    actions, findings = flagged("endpoint/endpoint-secret-rotate-before-not-due-plans-nothing")
    [update] = actions
    assert update["kind"] == "endpoint.update"
    assert update["desired"]["rotation"] == {"before_seconds": 60 * 86400, "replaces": ["k-fine"]}
    assert update["parameters"]["Credentials"].startswith("(a new client secret")
    assert findings == [
        (
            "T2T-W246",
            "--rotate-credential: the endpoint gets a new secret; t2t's secret(s) k-fine "
            "removed once it holds it",
        )
    ]
    assert forces_rotation([update_action(update)])
    assert not forces_rotation(
        Case(ROOT / "endpoint/endpoint-secret-rotate-before-due-gets-a-new-one").outcome().actions
    )


def update_action(data: dict[str, object]) -> Action:
    return Action.model_validate(data)


def _secret_desire(case: Case, replaces: tuple[str, ...] | None, app_id: str) -> EndpointDesire:
    desired = case.spec()
    rel = desired.relationship
    return EndpointDesire(
        name=rel.endpoint.name,
        remote_tenant=desired.source.domain,
        app=app_desire(desired),
        app_id=app_id,
        credential=rel.credential,
        max_concurrent_migrations=rel.endpoint.max_concurrent_migrations,
        rotation=Rotation(rel.endpoint.rotate_before, replaces),
    )


@pytest.mark.parametrize(
    ("secrets", "rotates"),
    [
        ((("k-fine", "2027-01-10T00:00:00Z"),), True),  # the one it replaces: not done
        ((("k-fine", "2027-01-10T00:00:00Z"), ("k-new", "2028-11-01T09:00:00Z")), True),
        ((("k-new", "2028-11-01T09:00:00Z"),), False),  # one marker made since: done
    ],
)
def test_the_flags_secret_rotation_is_done_once_the_app_holds_only_a_new_marker(
    secrets: tuple[tuple[str, str], ...], rotates: bool
) -> None:
    """Apply's re-plan: with two markers it is replaced anyway (the leftover rule), with only
    the new one it is done — and the new one is not due by rotateBefore either."""
    case = Case(ROOT / "endpoint/endpoint-secret-rotate-before-not-due-plans-nothing")
    endpoints = case.snapshot().target.endpoints
    apps = case.snapshot().target.applications
    assert endpoints is not None and apps is not None
    desire = _secret_desire(case, ("k-fine",), apps.get()[0].app_id)
    held = tuple(
        PasswordCredential(key_id=k, display_name=f"t2t:endpoint:{desire.name}", end=e)
        for k, e in secrets
    )
    registered = dataclasses.replace(apps.get()[0], password_credentials=held)
    outcome = plan_endpoint(
        desire,
        endpoints.get(),
        marker_keys(registered, desire.name),
        held,
        now=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC),
    )
    assert (outcome.action is not None) is rotates


def test_the_flags_certificate_rotation_is_done_once_the_version_is_replaced() -> None:
    case = Case(ROOT / "key_vault/kv-rotate-before-not-due-plans-nothing")
    vault = vault_desire(case.spec())
    assert vault is not None
    certs = case.snapshot().target.vault_certificates
    assert certs is not None
    cert = certs.get()[0]
    now = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    wanted = Rotation(dt.timedelta(days=60), (V1,))
    assert plan_certificate(vault, cert, now, wanted).action is not None
    fresh = CertificateVersion(
        id=f"https://fabrikam-t2t-kv.vault.azure.net/certificates/t2t-cert/{'0' * 32}",
        version="0" * 32,
        thumbprint="AB" * 20,
        enabled=True,
        not_before="2026-11-20T09:00:00Z",
        expires="2027-11-20T09:00:00Z",
        created="2026-11-20T09:00:00Z",
        cer="MIIB",
    )
    replaced = dataclasses.replace(cert, current=fresh, versions=(*cert.versions, fresh))
    done = plan_certificate(vault, replaced, now, wanted)
    assert done.action is None and done.findings == []


def test_the_longest_rotate_before_never_finds_a_new_credential_due() -> None:
    """The spec's bound (Key Vault's 27 days per month of validity) is shorter than the life of
    every credential t2t makes, so a rotation's new credential is never due at once."""
    certificate = dt.timedelta(days=365 * VALIDITY_MONTHS // 12)
    assert ROTATE_BEFORE_MAX["keyVaultCertificate"] == dt.timedelta(days=VALIDITY_MONTHS * 27)
    assert ROTATE_BEFORE_MAX["keyVaultCertificate"] < certificate
    assert ROTATE_BEFORE_MAX["clientSecret"] < ADD_PASSWORD_DEFAULT_LIFETIME
