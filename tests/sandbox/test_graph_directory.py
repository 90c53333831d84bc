"""Graph applications (create, uniqueName upsert), service principals, invitations, groups."""

from __future__ import annotations

from tests.conftest import SandboxHandle
from tests.sandbox.graph_helpers import error_of, graph

MIGRATION_APP = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"


def test_create_get_filter_application(sandbox: SandboxHandle) -> None:
    body = {
        "displayName": "T2T mailbox migration (2)",
        "signInAudience": "AzureADMultipleOrgs",
        "web": {"redirectUris": ["https://office.com"]},
        "requiredResourceAccess": [
            {
                "resourceAppId": "00000002-0000-0ff1-ce00-000000000000",
                "resourceAccess": [{"id": "f7264778-fba9-422d-8e9e-2675a2c4b513", "type": "Role"}],
            }
        ],
    }
    r = graph(sandbox, "fabrikam", "POST", "/applications", json=body)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["passwordCredentials"] == [] and app["web"]["redirectUris"] == ["https://office.com"]
    r = graph(
        sandbox,
        "fabrikam",
        "GET",
        "/applications",
        params={"$filter": f"appId eq '{app['appId']}'"},
    )
    assert [a["id"] for a in r.json()["value"]] == [app["id"]]
    assert graph(sandbox, "fabrikam", "POST", "/applications", json={}).status_code == 400
    pw = {"displayName": "x", "passwordCredentials": [{}]}
    assert graph(sandbox, "fabrikam", "POST", "/applications", json=pw).status_code == 400
    # the seeded migration app is found by appId, has no service principal anywhere
    r = graph(sandbox, "fabrikam", "GET", f"/applications(appId='{MIGRATION_APP}')")
    assert r.json()["requiredResourceAccess"][0]["resourceAccess"][0]["type"] == "Role"
    r = graph(sandbox, "fabrikam", "GET", f"/servicePrincipals(appId='{MIGRATION_APP}')")
    assert r.status_code == 404


def test_unique_name_upsert(sandbox: SandboxHandle) -> None:
    path = "/applications(uniqueName='t2t-migration')"
    r = graph(sandbox, "fabrikam", "PATCH", path, json={"displayName": "T2T"})
    assert r.status_code == 404  # no Prefer: create-if-missing
    prefer = {"Prefer": "create-if-missing"}
    r = graph(sandbox, "fabrikam", "PATCH", path, json={"displayName": "T2T"}, headers=prefer)
    assert r.status_code == 201 and r.json()["uniqueName"] == "t2t-migration"
    r = graph(sandbox, "fabrikam", "PATCH", path, json={"displayName": "T2T v2"}, headers=prefer)
    assert r.status_code == 204
    assert graph(sandbox, "fabrikam", "GET", path).json()["displayName"] == "T2T v2"


def test_upsert_creates_only_for_the_create_if_missing_preference(sandbox: SandboxHandle) -> None:
    """application-upsert: without ``Prefer: create-if-missing`` a missing app is 404. The
    header is RFC 7240's preference list: another token that contains the name is not it, and
    the name is taken only as Graph documents it (stricter than RFC 7240's case-insensitive
    names: the sandbox's choice where Graph documents nothing)."""
    path = "/applications(uniqueName='t2t-prefer')"
    body = {"displayName": "T2T"}
    for prefer in ("xcreate-if-missingx", "CREATE-IF-MISSING", "return=minimal"):
        r = graph(sandbox, "fabrikam", "PATCH", path, json=body, headers={"Prefer": prefer})
        assert r.status_code == 404, (prefer, r.text)
    r = graph(
        sandbox,
        "fabrikam",
        "PATCH",
        path,
        json=body,
        headers={"prefer": "return=minimal, create-if-missing"},
    )
    assert r.status_code == 201, r.text


def test_unique_name_is_read_only_in_a_patch_body(sandbox: SandboxHandle) -> None:
    """The application resource: uniqueName is "Immutable. Read-only." — the upsert's key sets
    it, a PATCH body does not (neither the upsert's nor an update's)."""
    path = "/applications(uniqueName='t2t-ro')"
    prefer = {"Prefer": "create-if-missing"}
    body = {"displayName": "T2T", "uniqueName": "t2t-ro"}
    r = graph(sandbox, "fabrikam", "PATCH", path, json=body, headers=prefer)
    assert r.status_code == 400
    assert error_of(r) == (
        "Request_BadRequest",
        "Property 'uniqueName' is read-only and cannot be set.",
    )
    r = graph(sandbox, "fabrikam", "PATCH", path, json={"displayName": "T2T"}, headers=prefer)
    assert r.status_code == 201, r.text
    r = graph(sandbox, "fabrikam", "PATCH", f"/applications/{r.json()['id']}", json=body)
    assert r.status_code == 400
    assert graph(sandbox, "fabrikam", "GET", path).json()["uniqueName"] == "t2t-ro"


def test_service_principal_for_single_tenant_app_of_another_tenant_is_refused(
    sandbox: SandboxHandle,
) -> None:
    contoso_admin = sandbox.tenant("contoso")["adminApp"]["clientId"]
    r = graph(sandbox, "fabrikam", "POST", "/servicePrincipals", json={"appId": contoso_admin})
    assert r.status_code == 400
    assert "does not reference a valid application object" in error_of(r)[1]
    r = graph(
        sandbox,
        "fabrikam",
        "GET",
        "/servicePrincipals",
        params={"$filter": "servicePrincipalNames/any(n:n eq 'https://outlook.office365.com')"},
    )
    assert [s["appId"] for s in r.json()["value"]] == ["00000002-0000-0ff1-ce00-000000000000"]


def test_invitation_creates_a_pending_guest(sandbox: SandboxHandle) -> None:
    body = {
        "invitedUserEmailAddress": "admin@contoso.com",
        "inviteRedirectUrl": "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent",
        "sendInvitationMessage": True,
    }
    r = graph(sandbox, "fabrikam", "POST", "/invitations", json=body)
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["status"] == "PendingAcceptance" and inv["invitedUserType"] == "Guest"
    guest = graph(sandbox, "fabrikam", "GET", f"/users/{inv['invitedUser']['id']}").json()
    assert guest["userPrincipalName"] == "admin_contoso.com#EXT#@fabrikam.onmicrosoft.com"
    r = graph(
        sandbox, "fabrikam", "GET", "/users/admin_contoso.com%23EXT%23@fabrikam.onmicrosoft.com"
    )
    assert r.status_code == 200
    assert graph(sandbox, "fabrikam", "POST", "/invitations", json={}).status_code == 400


def test_mail_enabled_groups_are_read_only_in_graph(sandbox: SandboxHandle) -> None:
    r = graph(
        sandbox,
        "contoso",
        "GET",
        "/groups",
        params={"$filter": "mailNickname eq 't2tmigrationscope'"},
    )
    (group,) = r.json()["value"]
    assert group["mailEnabled"] and group["securityEnabled"] and group["groupTypes"] == []
    debra = graph(sandbox, "contoso", "GET", "/users/debra@contoso.com").json()
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{debra['id']}"}
    r = graph(sandbox, "contoso", "POST", f"/groups/{group['id']}/members/$ref", json=ref)
    assert r.status_code == 403  # the admin app holds Group.Read.All only
    # grant it GroupMember.ReadWrite.All (it may: AppRoleAssignment.ReadWrite.All), new token
    admin_id = sandbox.tenant("contoso")["adminApp"]["clientId"]
    me = graph(sandbox, "contoso", "GET", f"/servicePrincipals(appId='{admin_id}')").json()
    msgraph = graph(
        sandbox,
        "contoso",
        "GET",
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
    ).json()
    role = next(r["id"] for r in msgraph["appRoles"] if r["value"] == "GroupMember.ReadWrite.All")
    grant = {"principalId": me["id"], "resourceId": msgraph["id"], "appRoleId": role}
    r = graph(
        sandbox, "contoso", "POST", f"/servicePrincipals/{me['id']}/appRoleAssignments", json=grant
    )
    assert r.status_code == 201, r.text
    fresh = sandbox.msal_app("contoso")  # a new MSAL cache: the new roles are in the new token
    token = fresh.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])[
        "access_token"
    ]
    r = graph(
        sandbox, "contoso", "POST", f"/groups/{group['id']}/members/$ref", json=ref, token=token
    )
    assert r.status_code == 400
    assert error_of(r) == (
        "Request_BadRequest",
        "Cannot Update a mail-enabled security groups and or distribution list.",
    )
    r = graph(sandbox, "contoso", "GET", f"/groups/{group['id']}/members")
    assert r.status_code == 200


def test_get_by_ids_is_a_read(sandbox: SandboxHandle) -> None:
    debra = graph(sandbox, "contoso", "GET", "/users/debra@contoso.com").json()
    before = sandbox.stats()
    r = graph(
        sandbox,
        "contoso",
        "POST",
        "/directoryObjects/getByIds",
        json={"ids": [debra["id"]], "types": ["user"]},
    )
    assert r.status_code == 200 and r.json()["value"][0]["@odata.type"] == "#microsoft.graph.user"
    after = sandbox.stats()
    assert after["reads"] == before["reads"] + 1 and after["writes"] == before["writes"]
    assert after["byMethod"]["POST"] >= 1
