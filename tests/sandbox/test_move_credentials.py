"""Credentials in time (issue 10): a new secret is refused until it has propagated, the
token endpoint and the move service apply the same rule, and the move signs in with the
endpoint's credential at every sync and completion step (t2t/sandbox/credentials.py,
t2t/sandbox/moves/credentials.py). Everything over HTTPS; the clock through /_sandbox/clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msal
import pytest
import requests

from t2t.sandbox.credentials import expired_secret_text, invalid_secret_text
from t2t.sandbox.moves.catalogue import spec
from tests.conftest import EXCHANGE_SCOPE, SandboxHandle
from tests.sandbox.exchange_setup import (
    APP_ID,
    CONTOSO_ID,
    ENDPOINT,
    advance_clock,
    batch_status,
    consent,
    migration_secret,
    new_batch,
    ok,
    prepare_user,
    sandbox_now,
    set_pace,
    setup_organizations,
    user_status,
)
from tests.sandbox.graph_helpers import graph
from tests.sandbox.helpers import error_detail
from tests.sandbox.module_forms import credential

STEP = 60
SOURCE, TARGET = "debra@contoso.com", "debra.berger@fabrikam.com"
OTHER, OTHER_T = "megan@contoso.com", "megan.bowen@fabrikam.com"


def _token(sandbox: SandboxHandle, tenant: str, app_id: str, secret: str) -> dict[str, Any]:
    """Client credentials through MSAL, as any client (and the move service) signs in."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sandbox.profile["caFile"])
    app = msal.ConfidentialClientApplication(
        app_id,
        client_credential=secret,
        authority=f"{sandbox.profile['endpoints']['login'].rstrip('/')}/{tenant}",
        instance_discovery=False,
        http_client=session,
    )
    result: dict[str, Any] = app.acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    session.close()
    return result


def _add_password(sandbox: SandboxHandle, **credential_fields: Any) -> dict[str, Any]:
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        f"/applications(appId='{APP_ID}')/addPassword",
        json={"passwordCredential": {"displayName": "test", **credential_fields}},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _key_ids(sandbox: SandboxHandle) -> list[str]:
    r = graph(sandbox, "fabrikam", "GET", f"/applications(appId='{APP_ID}')")
    assert r.status_code == 200, r.text
    return [p["keyId"] for p in r.json()["passwordCredentials"]]


def _remove_password(sandbox: SandboxHandle, key_id: str) -> None:
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        f"/applications(appId='{APP_ID}')/removePassword",
        json={"keyId": key_id},
    )
    assert r.status_code == 204, r.text


def _description(result: dict[str, Any]) -> str:
    return str(result["error_description"]).split("\r\n")[0]


def _strictness(sandbox: SandboxHandle, **fields: Any) -> None:
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/strictness", json=fields)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- the token endpoint


def test_a_new_secret_is_refused_until_it_has_propagated(sandbox: SandboxHandle) -> None:
    consent(sandbox, "contoso")
    secret = _add_password(sandbox)["secretText"]
    refused = _token(sandbox, CONTOSO_ID, APP_ID, secret)
    assert (refused["error"], refused["error_codes"]) == ("invalid_client", [7000215])
    assert _description(refused) == f"AADSTS7000215: {invalid_secret_text(APP_ID)}"
    # Strict default: usable from floor(created + 10 s) of a sandbox clock that also runs
    # with the wall, so 8 s later is surely inside the delay and 11 s surely past it.
    advance_clock(sandbox, 8)
    assert _token(sandbox, CONTOSO_ID, APP_ID, secret)["error_codes"] == [7000215]
    advance_clock(sandbox, 3)
    assert "access_token" in _token(sandbox, CONTOSO_ID, APP_ID, secret)


def test_a_new_secret_is_refused_on_the_wire_as_entra_refuses_it(sandbox: SandboxHandle) -> None:
    """What MSAL hides: the HTTP status. Entra answers an invalid client secret 401
    ``invalid_client`` with AADSTS7000215 in ``error_codes`` and the description
    (t2t/sandbox/credentials.py cites the texts)."""
    consent(sandbox, "contoso")
    secret = _add_password(sandbox)["secretText"]
    url = f"{sandbox.base_url}/{CONTOSO_ID}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": secret,
        "scope": EXCHANGE_SCOPE,
    }
    refused = sandbox.http.post(url, data=form)
    assert refused.status_code == 401, refused.text
    body = refused.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [7000215])
    assert body["error_description"].split("\r\n")[0] == (
        f"AADSTS7000215: {invalid_secret_text(APP_ID)}"
    )
    advance_clock(sandbox, 11)
    signed_in = sandbox.http.post(url, data=form)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["token_type"] == "Bearer"


def test_without_the_delay_a_new_secret_signs_in_at_once(sandbox: SandboxHandle) -> None:
    _strictness(sandbox, secret_delay_seconds=0)
    consent(sandbox, "contoso")
    secret = _add_password(sandbox)["secretText"]
    assert "access_token" in _token(sandbox, CONTOSO_ID, APP_ID, secret)


def test_an_expired_secret_gets_aadsts7000222(sandbox: SandboxHandle) -> None:
    consent(sandbox, "contoso")
    end = (sandbox_now(sandbox) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    secret = _add_password(sandbox, endDateTime=end)["secretText"]
    advance_clock(sandbox, 30)
    assert "access_token" in _token(sandbox, CONTOSO_ID, APP_ID, secret)
    advance_clock(sandbox, 300)
    expired = _token(sandbox, CONTOSO_ID, APP_ID, secret)
    assert (expired["error"], expired["error_codes"]) == ("invalid_client", [7000222])
    assert _description(expired) == f"AADSTS7000222: {expired_secret_text(APP_ID)}"


def test_a_removed_secret_is_an_invalid_one(sandbox: SandboxHandle) -> None:
    consent(sandbox, "contoso")
    created = _add_password(sandbox)
    advance_clock(sandbox, 11)
    _remove_password(sandbox, created["keyId"])
    assert _token(sandbox, CONTOSO_ID, APP_ID, created["secretText"])["error_codes"] == [7000215]


# ---------------------------------------------------------------- endpoint verification


def _endpoint_params(sandbox: SandboxHandle, secret: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Name": ENDPOINT,
        "ExchangeRemoteMove": True,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": "contoso.onmicrosoft.com",
        "ApplicationId": APP_ID,
    }
    if secret is not None:
        params["Credentials"] = credential(sandbox, APP_ID, secret)
    return params


def test_new_migration_endpoint_signs_in_with_its_credentials(sandbox: SandboxHandle) -> None:
    consent(sandbox, "fabrikam")
    consent(sandbox, "contoso")
    fresh = _add_password(sandbox)["secretText"]
    r = sandbox.invoke("fabrikam", "New-MigrationEndpoint", _endpoint_params(sandbox, fresh))
    _eid, exc, text = error_detail(r)
    assert (r.status_code, exc) == (400, spec("EndpointCredentialRefused").full_type)
    assert text == spec("EndpointCredentialRefused").render(
        code="7000215", text=invalid_secret_text(APP_ID)
    )
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationEndpoint",
        _endpoint_params(sandbox, "not-a-secret-of-this-app"),
    )
    assert r.status_code == 400 and error_detail(r)[2].endswith(invalid_secret_text(APP_ID))
    advance_clock(sandbox, 11)
    [ep] = ok(sandbox, "fabrikam", "New-MigrationEndpoint", _endpoint_params(sandbox, fresh))
    assert ep["ApplicationId"] == APP_ID


def test_an_endpoint_without_credentials_is_accepted_and_every_batch_fails(
    sandbox: SandboxHandle,
) -> None:
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    prepare_user(sandbox, SOURCE, TARGET)
    ok(
        sandbox,
        "fabrikam",
        "New-MigrationEndpoint",
        {**_endpoint_params(sandbox, None), "Name": "no-credential"},
    )
    new_batch(sandbox, "bare", TARGET, AutoStart=True, SourceEndpoint="no-credential")
    advance_clock(sandbox, STEP)
    failed = user_status(sandbox, TARGET)
    s = spec("EndpointWithoutCredential")
    assert (failed["Status"], failed["ErrorSummary"]) == (
        "Failed",
        f"MigrationServerConnectionFailedException: {s.render()}",
    )
    assert batch_status(sandbox, "bare") == "Failed"
    [stats] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": TARGET})
    assert stats["Error"] == failed["ErrorSummary"]
    # Every batch against it fails, a retry too: the credential never appears.
    prepare_user(sandbox, OTHER, OTHER_T)
    new_batch(sandbox, "bare-2", OTHER_T, AutoStart=True, SourceEndpoint="no-credential")
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "bare"})
    advance_clock(sandbox, STEP)
    for address, batch in ((TARGET, "bare"), (OTHER_T, "bare-2")):
        again = user_status(sandbox, address)
        assert (again["Status"], again["ErrorSummary"]) == ("Failed", failed["ErrorSummary"])
        assert batch_status(sandbox, batch) == "Failed"


# ---------------------------------------------------------------- the move service


def _synced(sandbox: SandboxHandle) -> None:
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    prepare_user(sandbox, SOURCE, TARGET)
    new_batch(sandbox, "wave", TARGET, AutoStart=True)
    advance_clock(sandbox, 2 * STEP)
    assert batch_status(sandbox, "wave") == "Synced"


def test_a_secret_removed_while_syncing_fails_the_move_at_its_next_sync_step(
    sandbox: SandboxHandle,
) -> None:
    """The move signs in at every sync step, not only when it starts: a secret removed from
    the app between two steps fails the user at the next one, with Entra's AADSTS7000215
    inside Exchange's exception, on Get-MigrationUser and Get-MigrationUserStatistics."""
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    prepare_user(sandbox, SOURCE, TARGET)
    new_batch(sandbox, "wave", TARGET, AutoStart=True)
    advance_clock(sandbox, STEP)
    assert user_status(sandbox, TARGET)["Status"] == "Syncing"
    [key_id] = _key_ids(sandbox)
    _remove_password(sandbox, key_id)
    advance_clock(sandbox, STEP)
    refused = spec("EndpointCredentialRefused").render(
        code="7000215", text=invalid_secret_text(APP_ID)
    )
    summary = f"MigrationServerConnectionFailedException: {refused}"
    failed = user_status(sandbox, TARGET)
    assert (failed["Status"], failed["ErrorSummary"]) == ("Failed", summary)
    [stats] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": TARGET})
    assert stats["Error"] == summary
    assert batch_status(sandbox, "wave") == "Failed"


def test_a_secret_removed_after_the_sync_fails_the_completion_then_a_new_one_repairs(
    sandbox: SandboxHandle,
) -> None:
    _synced(sandbox)
    [key_id] = _key_ids(sandbox)
    _remove_password(sandbox, key_id)
    ok(sandbox, "fabrikam", "Complete-MigrationBatch", {"Identity": "wave", "Confirm": False})
    failed = user_status(sandbox, TARGET)
    refused = spec("EndpointCredentialRefused").render(
        code="7000215", text=invalid_secret_text(APP_ID)
    )
    assert (failed["Status"], failed["ErrorSummary"]) == (
        "Failed",
        f"MigrationServerConnectionFailedException: {refused}",
    )
    # The repair: a new secret, past its delay, on the endpoint; the batch restarted.
    secret = migration_secret(sandbox)
    ok(
        sandbox,
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": ENDPOINT, "Credentials": credential(sandbox, APP_ID, secret)},
    )
    # Complete-MigrationBatch set CompleteAfter (PSDOC-CB): the retried user completes.
    ok(sandbox, "fabrikam", "Start-MigrationBatch", {"Identity": "wave"})
    advance_clock(sandbox, 3 * STEP)
    assert batch_status(sandbox, "wave") == "Completed"
    assert user_status(sandbox, TARGET)["Status"] == "Completed"


def test_an_expired_endpoint_secret_fails_the_move_at_its_next_step(
    sandbox: SandboxHandle,
) -> None:
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    prepare_user(sandbox, SOURCE, TARGET)
    end = (sandbox_now(sandbox) + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    short = _add_password(sandbox, endDateTime=end)["secretText"]
    advance_clock(sandbox, 11)
    ok(
        sandbox,
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": ENDPOINT, "Credentials": credential(sandbox, APP_ID, short)},
    )
    new_batch(sandbox, "wave", TARGET, AutoStart=True)
    advance_clock(sandbox, 2 * STEP)
    assert batch_status(sandbox, "wave") == "Synced"
    advance_clock(sandbox, 3600)
    ok(sandbox, "fabrikam", "Complete-MigrationBatch", {"Identity": "wave", "Confirm": False})
    expired = spec("EndpointCredentialRefused").render(
        code="7000222", text=expired_secret_text(APP_ID)
    )
    assert user_status(sandbox, TARGET)["ErrorSummary"] == (
        f"MigrationServerConnectionFailedException: {expired}"
    )


def _other_app(sandbox: SandboxHandle) -> tuple[str, str]:
    """A second multi-tenant app with Mailbox.Migration, consented in both tenants."""
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        "/applications",
        json={"displayName": "another migration app", "signInAudience": "AzureADMultipleOrgs"},
    )
    assert r.status_code == 201, r.text
    app_id = str(r.json()["appId"])
    consent(sandbox, "fabrikam", app_id)
    consent(sandbox, "contoso", app_id)
    return app_id, migration_secret(sandbox, app_id)


@pytest.mark.parametrize("where", ["credential of another app", "endpoint names another app"])
def test_another_apps_credentials_fail_the_move(sandbox: SandboxHandle, where: str) -> None:
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    prepare_user(sandbox, SOURCE, TARGET)
    other, secret = _other_app(sandbox)
    if where == "credential of another app":
        # Exchange binds -Credentials to -ApplicationId by user name only; with verification
        # skipped, another app's secret under this app's id is stored as given.
        ok(
            sandbox,
            "fabrikam",
            "Set-MigrationEndpoint",
            {
                "Identity": ENDPOINT,
                "Credentials": credential(sandbox, APP_ID, secret),
                "SkipVerification": True,
            },
        )
        summary = "MigrationServerConnectionFailedException: " + spec(
            "EndpointCredentialRefused"
        ).render(code="7000215", text=invalid_secret_text(APP_ID))
    else:
        ok(
            sandbox,
            "fabrikam",
            "Set-MigrationEndpoint",
            {
                "Identity": ENDPOINT,
                "ApplicationId": other,
                "Credentials": credential(sandbox, other, secret),
            },
        )
        summary = "MigrationServerConnectionFailedException: " + spec("SourceAccessDenied").render()
    new_batch(sandbox, "wave", TARGET, AutoStart=True)
    advance_clock(sandbox, STEP)
    failed = user_status(sandbox, TARGET)
    assert (failed["Status"], failed["ErrorSummary"]) == ("Failed", summary)
