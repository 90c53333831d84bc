"""Graph accepts the ``@odata.type`` control information Microsoft's SDKs put in bodies
(msgraph-sdk-python models serialize ``@odata.type``; OData JSON Format 4.01 §4.5.3)."""

from __future__ import annotations

from tests.conftest import SandboxHandle
from tests.sandbox.graph_helpers import error_of, graph


def test_patch_user_with_odata_type_is_applied(sandbox: SandboxHandle) -> None:
    users = graph(sandbox, "contoso", "GET", "/users", params={"$top": "1", "$select": "id"})
    user = users.json()["value"][0]["id"]
    body = {"@odata.type": "#microsoft.graph.user", "displayName": "Typed Name"}
    r = graph(sandbox, "contoso", "PATCH", f"/users/{user}", json=body)
    assert r.status_code == 204, r.text
    read = graph(sandbox, "contoso", "GET", f"/users/{user}", params={"$select": "displayName"})
    assert read.json()["displayName"] == "Typed Name"
    # A property Graph does not know is still refused: only the annotation is accepted.
    r = graph(sandbox, "contoso", "PATCH", f"/users/{user}", json={"nope": 1})
    assert r.status_code == 400 and error_of(r)[1] == "Invalid property 'nope'."


def test_application_create_patch_and_add_password_with_odata_types(
    sandbox: SandboxHandle,
) -> None:
    body = {
        "@odata.type": "#microsoft.graph.application",
        "displayName": "sdk-made",
        "requiredResourceAccess": [
            {
                "@odata.type": "#microsoft.graph.requiredResourceAccess",
                "resourceAppId": "00000002-0000-0ff1-ce00-000000000000",
                "resourceAccess": [
                    {
                        "@odata.type": "#microsoft.graph.resourceAccess",
                        "id": "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
                        "type": "Role",
                    }
                ],
            }
        ],
    }
    r = graph(sandbox, "fabrikam", "POST", "/applications", json=body)
    assert r.status_code == 201, r.text
    app = r.json()["id"]
    patch = {"@odata.type": "#microsoft.graph.application", "displayName": "sdk-renamed"}
    r = graph(sandbox, "fabrikam", "PATCH", f"/applications/{app}", json=patch)
    assert r.status_code == 204, r.text
    cred = {
        "passwordCredential": {
            "@odata.type": "#microsoft.graph.passwordCredential",
            "displayName": "sdk",
        }
    }
    r = graph(sandbox, "fabrikam", "POST", f"/applications/{app}/addPassword", json=cred)
    assert r.status_code == 200, r.text
    assert r.json()["displayName"] == "sdk"
    read = graph(sandbox, "fabrikam", "GET", f"/applications/{app}").json()
    assert read["displayName"] == "sdk-renamed"
    assert read["requiredResourceAccess"][0]["resourceAccess"][0]["type"] == "Role"
