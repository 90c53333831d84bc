"""Graph users, organization, domains, auth refusals: real httpx/msal over HTTPS."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import yaml

from t2t.sandbox.generate import generate_seed_data
from t2t.sandbox.server import SandboxServer
from tests.conftest import EXCHANGE_SCOPE, GRAPH_SCOPE, SandboxHandle, msal_http_client
from tests.sandbox.graph_helpers import error_of, graph, graph_write
from tests.sandbox.helpers import values

CONTOSO_ID = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"


def test_organization_and_domains(sandbox: SandboxHandle) -> None:
    r = graph(sandbox, "fabrikam", "GET", "/organization")
    assert r.status_code == 200, r.text
    (org,) = r.json()["value"]
    assert org["id"] == "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
    names = {d["name"]: d for d in org["verifiedDomains"]}
    assert names["fabrikam.onmicrosoft.com"]["isInitial"] and names["fabrikam.com"]["isDefault"]
    r = graph(sandbox, "fabrikam", "GET", "/domains")
    assert {d["id"] for d in r.json()["value"]} == {
        "fabrikam.onmicrosoft.com",
        "fabrikam.com",
        "fabrikam.mail.onmicrosoft.com",
    }
    assert graph(sandbox, "fabrikam", "GET", "/domains/contoso.com").status_code == 404


def test_user_by_id_upn_and_select(sandbox: SandboxHandle) -> None:
    r = graph(sandbox, "contoso", "GET", "/users/debra@contoso.com")
    assert r.status_code == 200
    user = r.json()
    assert set(user) - {"@odata.context"} == {
        "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
        "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
    }  # fmt: skip
    by_id = graph(sandbox, "contoso", "GET", f"/users/{user['id']}?$select=usageLocation,id")
    assert by_id.json()["usageLocation"] == "US" and "displayName" not in by_id.json()
    # a UPN with an apostrophe, by path and by the ('…') key form with the quote doubled
    assert graph(sandbox, "contoso", "GET", "/users/shaun.o'neil@contoso.com").status_code == 200
    r = graph(sandbox, "contoso", "GET", "/users('shaun.o''neil@contoso.com')")
    assert r.json()["displayName"] == "Shaun O'Neil"
    r = graph(sandbox, "contoso", "GET", "/users/ghost@contoso.com")
    assert r.status_code == 404
    code, message = error_of(r)
    assert code == "Request_ResourceNotFound"
    assert message.startswith("Resource 'ghost@contoso.com' does not exist")
    r = graph(sandbox, "contoso", "GET", "/users/debra@contoso.com?$select=nope")
    assert r.status_code == 400


def test_filter_literals_are_parsed_not_searched(sandbox: SandboxHandle) -> None:
    def upns(flt: str, **headers: str) -> list[str]:
        r = graph(sandbox, "contoso", "GET", "/users", params={"$filter": flt}, headers=headers)
        assert r.status_code == 200, r.text
        return [u["userPrincipalName"] for u in r.json()["value"]]

    assert upns("displayName eq 'Shaun O''Neil'") == ["shaun.o'neil@contoso.com"]
    assert upns("displayName eq 'Patti O''Brien'") == ["patti@contoso.com"]
    # a quote inside the literal is data, not syntax: no injection of "or"
    assert upns("displayName eq 'x'' or displayName eq ''Debra Berger'") == []
    assert upns("startswith(displayName,'Zo')") == ["zoe@contoso.com"]
    assert upns("proxyAddresses/any(p:p eq 'smtp:xavier@contoso.onmicrosoft.com')") == [
        "xavier@contoso.com"
    ]
    assert "ceo@contoso.com" in upns(
        "assignedLicenses/any(x:x/skuId eq 19ec0d23-8335-4cbd-94ac-6050e30712fa)"
    )
    assert upns("userPrincipalName in ('debra@contoso.com','alex@contoso.com')") == [
        "debra@contoso.com",
        "alex@contoso.com",
    ]
    r = graph(
        sandbox, "contoso", "GET", "/users", params={"$filter": "displayName eq 'unterminated"}
    )
    assert r.status_code == 400


def test_advanced_queries_need_consistency_level(sandbox: SandboxHandle) -> None:
    """aad-advanced-queries.md: ne / endswith / $count need ConsistencyLevel: eventual."""
    params = {"$filter": "endswith(mail,'@contoso.onmicrosoft.com')", "$count": "true"}
    r = graph(sandbox, "contoso", "GET", "/users", params=params)
    assert r.status_code == 400
    r = graph(sandbox, "contoso", "GET", "/users", params={"$filter": "usageLocation ne 'US'"})
    assert r.status_code == 400
    assert error_of(r)[0] == "Request_UnsupportedQuery"
    r = graph(
        sandbox,
        "contoso",
        "GET",
        "/users",
        params={"$filter": "usageLocation ne 'US'", "$count": "true"},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["@odata.count"] == len(body["value"]) >= 2


def test_top_limits(sandbox: SandboxHandle) -> None:
    r = graph(sandbox, "contoso", "GET", "/users?$top=1000")
    assert r.status_code == 400
    assert error_of(r) == (
        "Request_UnsupportedQuery",
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    )
    assert graph(sandbox, "contoso", "GET", "/users?$top=0").status_code == 400
    assert graph(sandbox, "contoso", "GET", "/users?$top=999").status_code == 200
    assert graph(sandbox, "contoso", "GET", "/users?$skip=5").status_code == 400


def test_graph_refuses_wrong_audience_missing_token_and_permission(sandbox: SandboxHandle) -> None:
    r = graph(sandbox, "contoso", "GET", "/users", token=sandbox.token("contoso", EXCHANGE_SCOPE))
    assert r.status_code == 401
    assert error_of(r) == (
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
    )
    assert "WWW-Authenticate" in r.headers
    r = sandbox.http.get(f"{sandbox.base_url}/v1.0/users")
    assert r.status_code == 401 and error_of(r)[1] == "Access token is empty."
    # the under-privileged client: may read users, may not license them
    c = sandbox.tenant("contoso")["clients"][0]
    app = sandbox.msal_app("contoso", client_id=c["clientId"], secret=c["clientSecret"])
    token = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])["access_token"]
    assert (
        graph(sandbox, "contoso", "GET", "/users/debra@contoso.com", token=token).status_code == 200
    )
    r = graph(
        sandbox,
        "contoso",
        "POST",
        "/users/debra@contoso.com/assignLicense",
        token=token,
        json={"addLicenses": [], "removeLicenses": []},
    )
    assert r.status_code == 403
    assert error_of(r) == (
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )


def test_token_of_tenant_a_is_refused_by_tenant_b(sandbox: SandboxHandle) -> None:
    """Exchange: a Contoso token on Fabrikam's InvokeCommand is 401; identity: Contoso's
    single-tenant admin app cannot get a token in Fabrikam (AADSTS700016); Graph: a
    token only ever sees its own tenant."""
    r = sandbox.invoke("fabrikam", "Get-OrganizationConfig", token=sandbox.token("contoso"))
    assert r.status_code == 401
    t = sandbox.tenant("contoso")
    app = msal.ConfidentialClientApplication(
        t["adminApp"]["clientId"],
        client_credential=t["adminApp"]["clientSecret"],
        authority=f"{sandbox.base_url}/{sandbox.tenant('fabrikam')['tenantId']}",
        instance_discovery=False,
        http_client=sandbox.msal_session,
    )
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert result["error_codes"] == [700016]
    r = graph(sandbox, "contoso", "GET", "/users/miriam@fabrikam.com")
    assert r.status_code == 404  # Contoso's Graph view has no Fabrikam users


# -- paging through 2,500 users (a separate sandbox with a generated seed) ------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxServer, dict[str, Any]]]:
    d = tmp_path_factory.mktemp("big")
    seed = Path(d) / "seed.yaml"
    seed.write_text(yaml.safe_dump(generate_seed_data(2500), allow_unicode=True))
    server = SandboxServer(d / "state", seed=seed).start()

    profile = json.loads(server.profile_path.read_text())
    try:
        yield server, profile
    finally:
        server.stop()


def test_httpx_pages_through_2500_users(big: tuple[SandboxServer, dict[str, Any]]) -> None:
    server, profile = big
    t = next(x for x in profile["tenants"] if x["name"] == "contoso")
    session = msal_http_client(server.ca_path)
    app = msal.ConfidentialClientApplication(
        t["adminApp"]["clientId"],
        client_credential=t["adminApp"]["clientSecret"],
        authority=f"{server.base_url}/{t['tenantId']}",
        instance_discovery=False,
        http_client=session,
    )
    token = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])["access_token"]
    headers = {"Authorization": f"Bearer {token}", "ConsistencyLevel": "eventual"}
    tls = ssl.create_default_context(cafile=str(server.ca_path))
    with httpx.Client(verify=tls, trust_env=False, timeout=30) as http:
        url: str | None = (
            f"{server.base_url}/v1.0/users?$select=id,userPrincipalName&$top=999"
            "&$count=true&$filter=startswith(userPrincipalName,'user')"
        )
        seen: list[str] = []
        pages = 0
        while url:
            r = http.get(url, headers=headers)
            assert r.status_code == 200, r.text
            body = r.json()
            if pages == 0:
                assert body["@odata.count"] == 2500
            else:
                assert "@odata.count" not in body
            seen += [u["userPrincipalName"] for u in body["value"]]
            url = body.get("@odata.nextLink")
            pages += 1
    session.close()
    assert pages == 3
    assert len(seen) == len(set(seen)) == 2500


def test_a_deleted_user_leaves_reads_groups_and_exchange_for_deleted_items(
    sandbox: SandboxHandle,
) -> None:
    """DELETE /users/{id} (user-delete.md): 204 without a body, the user answers 404 by id
    and UPN, is no group's member any more, and its mailbox is soft-deleted (Get-Mailbox
    -SoftDeletedMailbox); an app without User.ReadWrite.All is refused and deletes nothing."""
    upn = "debra@contoso.com"
    user = graph(sandbox, "contoso", "GET", f"/users/{upn}").json()["id"]
    group = graph(sandbox, "contoso", "GET", "/groups?$filter=displayName eq 'All staff'")
    gid = group.json()["value"][0]["id"]
    r = sandbox.invoke(
        "contoso",
        "Add-DistributionGroupMember",
        {"Identity": gid, "Member": upn, "BypassSecurityGroupManagerCheck": True},
    )
    assert r.status_code == 200, r.text
    members = graph(sandbox, "contoso", "GET", f"/groups/{gid}/members").json()["value"]
    assert user in {m["id"] for m in members}
    c = sandbox.tenant("contoso")["clients"][0]  # User.Read.All only
    app = sandbox.msal_app("contoso", client_id=c["clientId"], secret=c["clientSecret"])
    token = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])["access_token"]
    r = graph(sandbox, "contoso", "DELETE", f"/users/{user}", token=token)
    assert r.status_code == 403 and error_of(r)[0] == "Authorization_RequestDenied"
    r = graph(sandbox, "contoso", "DELETE", f"/users/{user}")
    assert (r.status_code, r.content) == (204, b"")
    for key in (user, upn):
        assert graph(sandbox, "contoso", "GET", f"/users/{key}").status_code == 404
    assert graph(sandbox, "contoso", "DELETE", f"/users/{user}").status_code == 404
    members = graph(sandbox, "contoso", "GET", f"/groups/{gid}/members").json()["value"]
    assert user not in {m["id"] for m in members}
    assert sandbox.invoke("contoso", "Get-Mailbox", {"Identity": upn}).status_code == 404
    [gone] = values(
        sandbox.invoke("contoso", "Get-Mailbox", {"Identity": upn, "SoftDeletedMailbox": True})
    )
    assert gone["UserPrincipalName"] == upn and gone["WhenSoftDeleted"]


def test_a_guest_s_mail_changes_through_graph_a_mailbox_s_does_not(
    sandbox: SandboxHandle,
) -> None:
    """user-update lists `mail` as writable: a guest's (no Exchange recipient here) changes; a
    mail-enabled user's is Exchange's primary address and is refused (README, open questions)."""
    r = graph(
        sandbox,
        "fabrikam",
        "POST",
        "/invitations",
        json={"invitedUserEmailAddress": "ann@contoso.com", "inviteRedirectUrl": "https://myapps"},
    )
    assert r.status_code == 201, r.text
    guest = r.json()["invitedUser"]["id"]
    patch = {"mail": "ann@example.com"}
    r = graph_write(sandbox, "fabrikam", "PATCH", f"/users/{guest}", json=patch)
    assert r.status_code == 204, r.text
    r = graph(sandbox, "fabrikam", "GET", f"/users/{guest}?$select=mail,userPrincipalName")
    assert r.json()["mail"] == "ann@example.com"
    assert r.json()["userPrincipalName"].startswith("ann_contoso.com#EXT#@")
    r = graph(sandbox, "fabrikam", "PATCH", f"/users/{guest}", json={"mail": "not-an-address"})
    assert (r.status_code, error_of(r)) == (
        400,
        ("Request_BadRequest", "Invalid value specified for property 'mail' of resource 'User'."),
    )
    r = graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"mail": "k@x.com"})
    assert (r.status_code, error_of(r)) == (
        400,
        (
            "Request_BadRequest",
            "Unable to update the specified properties for objects that have originated within "
            "an external service.",
        ),
    )
