"""The move service signs in to the source tenant with the migration endpoint's credential.

Why emulate it: a cross-tenant move authenticates as the migration app with the secret given
to ``New-/Set-MigrationEndpoint -Credentials`` (LEARN-24, microsoft-t2t.md §3.2), and does so
again at every step that talks to the source, so a secret removed from the app, expired, still
propagating, or another app's fails the move *at that step* — "deep inside the move with
AADSTS7000215" (exo-module-protocol.md, "Credentials in time" [live]). An endpoint with no
credential at all is accepted by Exchange, and every batch against it fails (same source).

The sign-in is the token endpoint's own rule (t2t/sandbox/credentials.py), on the sandbox
clock. A Key Vault certificate endpoint (``AppSecretKeyVaultUrl``, microsoft-t2t.md §3.2) signs
in with the certificate Exchange Online reads from the target tenant's vault, so the move
checks that whole link again at every step (t2t/sandbox/azure/link.py): the vault, Exchange
Online's access to the certificate's secret, the version (present, enabled, valid) and the
certificate on the app's keyCredentials. A broken link fails the step with Key Vault's or
Entra's text.
"""

from __future__ import annotations

import datetime as dt

from t2t.sandbox.azure.link import link_problem
from t2t.sandbox.credentials import secret_refusal
from t2t.sandbox.model import Application, SandboxState, Tenant
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.moves.model import MigrationEndpoint, MigrationFailure


def _failure(name: str, **fields: str) -> MigrationFailure:
    s = spec(name)
    return MigrationFailure(
        exception=s.full_type.rsplit(".", 1)[1], full_type=s.full_type, message=s.render(**fields)
    )


def sign_in_failure(
    state: SandboxState,
    source: Tenant,
    ep: MigrationEndpoint,
    now: dt.datetime,
    *,
    target: Tenant | None = None,
) -> MigrationFailure | None:
    """None when the endpoint's credential signs in to ``source`` at ``now``; else the
    failure the move (or the endpoint's verification) reports. ``target``: the tenant whose
    endpoint it is (default: the one holding an endpoint with its guid)."""
    if ep.app_secret_key_vault_url and not ep.has_secret:
        owner = target or next(
            (t for t in state.tenants if any(e.guid == ep.guid for e in t.migration_endpoints)),
            None,
        )
        return certificate_failure(state, owner, ep, now) if owner else None
    if not ep.application_id or not ep.has_secret or not ep.secret_fingerprint:
        return _failure("EndpointWithoutCredential")
    app = _registration(state, ep.application_id)
    if app is None:
        return _failure(
            "EndpointCredentialRefused",
            code="700016",
            text=f"Application with identifier '{ep.application_id}' was not found in the "
            f"directory '{source.display_name}'.",
        )
    refused = secret_refusal(app, ep.secret_fingerprint, now)
    if refused is None:
        return None
    code, text = refused
    return _failure("EndpointCredentialRefused", code=str(code), text=text)


def _registration(state: SandboxState, app_id: str) -> Application | None:
    return next((a for t in state.tenants if (a := t.application(app_id)) is not None), None)


def certificate_failure(
    state: SandboxState, target: Tenant, ep: MigrationEndpoint, now: dt.datetime
) -> MigrationFailure | None:
    """The ``AppSecretKeyVaultUrl`` link from ``target``'s Exchange Online to the migration app
    (t2t/sandbox/azure/link.py), as a move failure."""
    url = ep.app_secret_key_vault_url or ""
    if not ep.application_id:
        return _failure("EndpointWithoutCredential")
    problem = link_problem(target, _registration(state, ep.application_id), url, now)
    if problem is None:
        return None
    if problem.kind == "sign-in":
        return _failure("EndpointCredentialRefused", code=str(problem.code), text=problem.text)
    return _failure("EndpointCertificateUnreadable", url=url, text=problem.text)


def endpoint_of(target: Tenant, name: str) -> MigrationEndpoint | None:
    key = name.lower()
    return next((e for e in target.migration_endpoints if e.name.lower() == key), None)
