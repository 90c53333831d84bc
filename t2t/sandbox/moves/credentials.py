"""The move service signs in to the source tenant with the migration endpoint's credential.

Why emulate it: a cross-tenant move authenticates as the migration app with the secret given
to ``New-/Set-MigrationEndpoint -Credentials`` (LEARN-24, microsoft-t2t.md §3.2), and does so
again at every step that talks to the source, so a secret removed from the app, expired, still
propagating, or another app's fails the move *at that step* — "deep inside the move with
AADSTS7000215" (exo-module-protocol.md, "Credentials in time" [live]). An endpoint with no
credential at all is accepted by Exchange, and every batch against it fails (same source).

The sign-in is the token endpoint's own rule (t2t/sandbox/credentials.py), on the sandbox
clock. A Key Vault certificate endpoint (``AppSecretKeyVaultUrl``) is not checked: the sandbox
emulates no Key Vault (README, open questions).
"""

from __future__ import annotations

import datetime as dt

from t2t.sandbox.credentials import secret_refusal
from t2t.sandbox.model import SandboxState, Tenant
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.moves.model import MigrationEndpoint, MigrationFailure


def _failure(name: str, **fields: str) -> MigrationFailure:
    s = spec(name)
    return MigrationFailure(
        exception=s.full_type.rsplit(".", 1)[1], full_type=s.full_type, message=s.render(**fields)
    )


def sign_in_failure(
    state: SandboxState, source: Tenant, ep: MigrationEndpoint, now: dt.datetime
) -> MigrationFailure | None:
    """None when the endpoint's credential signs in to ``source`` at ``now``; else the
    failure the move (or the endpoint's verification) reports."""
    if ep.app_secret_key_vault_url and not ep.has_secret:
        return None
    if not ep.application_id or not ep.has_secret or not ep.secret_fingerprint:
        return _failure("EndpointWithoutCredential")
    app = next(
        (a for t in state.tenants if (a := t.application(ep.application_id)) is not None), None
    )
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


def endpoint_of(target: Tenant, name: str) -> MigrationEndpoint | None:
    key = name.lower()
    return next((e for e in target.migration_endpoints if e.name.lower() == key), None)
