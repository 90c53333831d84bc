"""The sandbox's device authorization grant through real MSAL public clients: Learn's
responses and errors (v2-oauth2-device-code.md), delegated tokens that carry the user, and
Exchange and Graph authorising them by that user's roles."""

from __future__ import annotations

from typing import Any

import jwt
import msal
import pytest

from tests.conftest import SandboxHandle

EXO_CLIENT = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
GRAPH_CLIENT = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
EXCHANGE = ["https://outlook.office365.com/.default"]
GRAPH = [
    "https://graph.microsoft.com/User.Read.All",
    "https://graph.microsoft.com/Application.ReadWrite.All",
]
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"


def _app(sandbox: SandboxHandle, tenant: str, client: str) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        client,
        authority=f"{sandbox.base_url}/{sandbox.tenant(tenant)['tenantId']}",
        instance_discovery=False,
        http_client=sandbox.msal_session,
    )


def _poll_once(app: msal.PublicClientApplication, flow: dict[str, Any]) -> dict[str, Any]:
    flow["latest_attempt_at"] = 0  # polling now, not after `interval`
    result: dict[str, Any] = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
    return result


def _decide(sandbox: SandboxHandle, code: str, user: str, decline: bool = False) -> Any:
    return sandbox.http.post(
        f"{sandbox.base_url}/_sandbox/devicelogin",
        json={"userCode": code, "user": user, "decline": decline},
    )


def _signed_in(
    sandbox: SandboxHandle, tenant: str, client: str, scopes: list[str], user: str
) -> dict[str, Any]:
    app = _app(sandbox, tenant, client)
    flow = app.initiate_device_flow(scopes=scopes)
    assert _decide(sandbox, flow["user_code"], user).status_code == 200
    result = _poll_once(app, flow)
    assert "access_token" in result, result
    return result


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_the_device_authorization_response_is_microsofts(sandbox: SandboxHandle) -> None:
    tid = sandbox.tenant("fabrikam")["tenantId"]
    answer = sandbox.http.post(
        f"{sandbox.base_url}/{tid}/oauth2/v2.0/devicecode",
        data={"client_id": EXO_CLIENT, "scope": " ".join([*EXCHANGE, "offline_access"])},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "user_code",
        "device_code",
        "verification_uri",
        "expires_in",
        "interval",
        "message",
    }
    assert (body["expires_in"], body["interval"]) == (900, 5)
    assert body["user_code"].isalnum() and body["user_code"].isupper()
    assert body["verification_uri"] == f"{sandbox.base_url}/_sandbox/devicelogin"
    assert body["message"] == (
        f"To sign in, use a web browser to open the page {body['verification_uri']} and enter "
        f"the code {body['user_code']} to authenticate."
    )
    waiting = sandbox.http.get(f"{sandbox.base_url}/_sandbox/devicelogin").json()["pending"]
    assert [w["userCode"] for w in waiting] == [body["user_code"]]


def test_pending_then_approved_gives_a_delegated_token_exchange_accepts(
    sandbox: SandboxHandle,
) -> None:
    app = _app(sandbox, "fabrikam", EXO_CLIENT)
    flow = app.initiate_device_flow(scopes=EXCHANGE)
    pending = _poll_once(app, flow)
    assert pending["error"] == "authorization_pending"
    assert pending["error_codes"] == [70016]

    assert _decide(sandbox, flow["user_code"], "admin@fabrikam.com").json()["state"] == "approved"
    result = _poll_once(app, flow)
    assert {"access_token", "refresh_token", "id_token"} <= set(result)
    claims = _claims(result["access_token"])
    admin = sandbox.http.get  # the user's object id, as Graph reads it with the admin app
    users = admin(
        f"{sandbox.base_url}/v1.0/users/admin@fabrikam.com",
        headers={
            "Authorization": f"Bearer {sandbox.token('fabrikam', 'https://graph.microsoft.com/.default')}"
        },
    ).json()
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["appid"] == EXO_CLIENT and claims["idtyp"] == "user"
    assert claims["scp"] == "AdminApi.AccessAsUser.All"
    assert claims["upn"] == "admin@fabrikam.com" and claims["oid"] == users["id"]
    assert claims["wids"] == [GLOBAL_ADMINISTRATOR] and "roles" not in claims
    account = app.get_accounts()[0]  # MSAL built it from client_info and the ID token
    assert account["username"] == "admin@fabrikam.com"
    assert account["home_account_id"] == f"{users['id']}.{claims['tid']}"

    answer = sandbox.invoke("fabrikam", "Get-OrganizationConfig", token=result["access_token"])
    assert answer.status_code == 200
    # Redeemed: the device code is gone.
    again = _poll_once(app, flow)
    assert (again["error"], again["error_codes"]) == ("bad_verification_code", [70018])


def test_a_user_without_an_admin_role_is_refused_by_exchange_and_graph_writes(
    sandbox: SandboxHandle,
) -> None:
    exchange = _signed_in(sandbox, "contoso", EXO_CLIENT, EXCHANGE, "j.doe@contoso.com")
    assert "wids" not in _claims(exchange["access_token"])
    status, _headers, _body = sandbox.invoke_raw(
        "contoso", "Get-Mailbox", {"ResultSize": 1}, token=exchange["access_token"]
    )
    assert status == 403  # CmdletAccessDeniedException: no RBAC for this user

    graph = _signed_in(sandbox, "contoso", GRAPH_CLIENT, GRAPH, "j.doe@contoso.com")
    headers = {"Authorization": f"Bearer {graph['access_token']}"}
    read = sandbox.http.get(f"{sandbox.base_url}/v1.0/users?$top=1", headers=headers)
    assert read.status_code == 200  # any member reads the directory
    write = sandbox.http.post(
        f"{sandbox.base_url}/v1.0/applications", headers=headers, json={"displayName": "x"}
    )
    assert write.status_code == 403
    assert write.json()["error"]["code"] == "Authorization_RequestDenied"


def test_graph_needs_the_scope_in_the_token(sandbox: SandboxHandle) -> None:
    scopes = ["https://graph.microsoft.com/User.Read.All"]
    graph = _signed_in(sandbox, "fabrikam", GRAPH_CLIENT, scopes, "admin@fabrikam.com")
    headers = {"Authorization": f"Bearer {graph['access_token']}"}
    assert (
        sandbox.http.get(f"{sandbox.base_url}/v1.0/users?$top=1", headers=headers).status_code
        == 200
    )
    domains = sandbox.http.get(f"{sandbox.base_url}/v1.0/domains", headers=headers)
    assert domains.status_code == 403  # Domain.Read.All was not asked for


def test_a_refresh_token_serves_consented_scopes_only(sandbox: SandboxHandle) -> None:
    app = _app(sandbox, "fabrikam", GRAPH_CLIENT)
    flow = app.initiate_device_flow(scopes=GRAPH)
    _decide(sandbox, flow["user_code"], "admin@fabrikam.com")
    first = _poll_once(app, flow)
    account = app.get_accounts()[0]
    again = app.acquire_token_silent(
        ["https://graph.microsoft.com/User.Read.All"], account=account, force_refresh=True
    )
    assert again and "access_token" in again
    assert again["access_token"] != first["access_token"]
    wider = app.acquire_token_silent_with_error(
        ["https://graph.microsoft.com/Directory.ReadWrite.All"], account=account
    )
    assert wider is not None and wider["error"] == "invalid_grant"
    assert wider["error_codes"] == [65001]


@pytest.mark.parametrize(
    ("client", "scopes", "error", "code"),
    [
        (EXO_CLIENT, GRAPH, "invalid_grant", 65002),  # no preauthorization for Graph
        (GRAPH_CLIENT, EXCHANGE, "invalid_grant", 65002),
        ("0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d", EXCHANGE, "unauthorized_client", 700016),
    ],
)
def test_which_public_client_may_ask_for_what(
    sandbox: SandboxHandle, client: str, scopes: list[str], error: str, code: int
) -> None:
    flow = _app(sandbox, "fabrikam", client).initiate_device_flow(scopes=scopes)
    assert "user_code" not in flow
    assert (flow["error"], flow["error_codes"]) == (error, [code])


def test_declined_expired_and_unknown_codes(sandbox: SandboxHandle) -> None:
    app = _app(sandbox, "fabrikam", EXO_CLIENT)
    declined = app.initiate_device_flow(scopes=EXCHANGE)
    assert (
        _decide(sandbox, declined["user_code"], "admin@fabrikam.com", decline=True).status_code
        == 200
    )
    result = _poll_once(app, declined)
    assert (result["error"], result["error_codes"]) == ("authorization_declined", [65004])

    expired = app.initiate_device_flow(scopes=EXCHANGE)
    sandbox.http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": 901})
    result = _poll_once(app, expired)
    assert (result["error"], result["error_codes"]) == ("expired_token", [70019])
    late = _decide(sandbox, expired["user_code"], "admin@fabrikam.com")
    assert late.status_code == 404 and "AADSTS70018" in late.json()["error"]

    unknown = dict(expired, device_code="not-a-code")
    result = _poll_once(app, unknown)
    assert (result["error"], result["error_codes"]) == ("bad_verification_code", [70018])


def test_approval_needs_a_user_of_the_codes_tenant(sandbox: SandboxHandle) -> None:
    flow = _app(sandbox, "fabrikam", EXO_CLIENT).initiate_device_flow(scopes=EXCHANGE)
    wrong = _decide(sandbox, flow["user_code"], "admin@contoso.com")
    assert wrong.status_code == 400 and "AADSTS50034" in wrong.json()["error"]
    typo = _decide(sandbox, "NOSUCHCODE", "admin@fabrikam.com")
    assert typo.status_code == 404
