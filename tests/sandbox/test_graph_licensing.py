"""assignLicense, subscribedSkus and $batch; Exchange's licensing rules (microsoft-t2t.md §4–§5)."""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import advance_clock
from tests.sandbox.graph_helpers import error_of, graph

PROVISIONED = 121  # seconds of sandbox clock: past the strict profile's licensing time (120 s)

EXO_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69"
EXO_ENTERPRISE = "19ec0d23-8335-4cbd-94ac-6050e30712fa"
T2T = "946ce899-873d-44bb-9d8b-671870cbfdbf"


def _assign(sandbox: SandboxHandle, tenant: str, user: str, *skus: str) -> Any:
    body = {"addLicenses": [{"skuId": s, "disabledPlans": []} for s in skus], "removeLicenses": []}
    return graph(sandbox, tenant, "POST", f"/users/{user}/assignLicense", json=body)


def _consumed(sandbox: SandboxHandle, tenant: str, sku: str) -> tuple[int, int]:
    r = graph(sandbox, tenant, "GET", "/subscribedSkus")
    item = next(s for s in r.json()["value"] if s["skuId"] == sku)
    return item["consumedUnits"], item["prepaidUnits"]["enabled"]


def test_subscribed_skus_shape(sandbox: SandboxHandle) -> None:
    r = graph(sandbox, "fabrikam", "GET", "/subscribedSkus")
    assert r.status_code == 200
    t2t = next(
        s for s in r.json()["value"] if s["skuPartNumber"] == "Cross_tenant_user_data_migration"
    )
    assert t2t["id"] == f"9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60_{T2T}"
    assert {p["servicePlanName"] for p in t2t["servicePlans"]} == {
        "EXCHANGEONLINE_T2TMBXMOVE",
        "SHAREPOINTONLINE_T2TODMOVE",
    }
    assert graph(sandbox, "fabrikam", "GET", "/subscribedSkus?$top=1").status_code == 400


def test_assignment_without_usage_location_fails_as_in_graph(sandbox: SandboxHandle) -> None:
    r = _assign(sandbox, "fabrikam", "kai@fabrikam.com", T2T)
    assert r.status_code == 400
    assert error_of(r) == (
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    )
    assert _consumed(sandbox, "fabrikam", T2T)[0] == 0
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    r = _assign(sandbox, "fabrikam", "kai@fabrikam.com", T2T)
    assert r.status_code == 200, r.text
    assert _consumed(sandbox, "fabrikam", T2T)[0] == 1


def test_unknown_sku_and_seat_exhaustion(sandbox: SandboxHandle) -> None:
    r = _assign(sandbox, "contoso", "debra@contoso.com", T2T)  # Contoso holds no T2T SKU
    assert r.status_code == 400
    assert "does not correspond to a valid company License" in error_of(r)[1]
    assert _consumed(sandbox, "fabrikam", EXO_ENTERPRISE) == (2, 2)
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    r = _assign(sandbox, "fabrikam", "kai@fabrikam.com", EXO_ENTERPRISE)
    assert r.status_code == 400
    assert "does not have any available licenses" in error_of(r)[1]
    # re-assigning a licence a user already holds needs no new seat
    assert _assign(sandbox, "fabrikam", "miriam@fabrikam.com", EXO_ENTERPRISE).status_code == 200


def _invoke(sandbox: SandboxHandle, tenant: str, cmdlet: str, **params: Any) -> Any:
    r = sandbox.invoke(tenant, cmdlet, params)
    assert r.status_code == 200, r.text
    return r.json()["value"]


def test_licensing_a_mail_user_without_exchange_guid_provisions_a_mailbox(
    sandbox: SandboxHandle,
) -> None:
    """microsoft-t2t.md §4: licensing before the ExchangeGuid is stamped creates a fresh
    mailbox, and the proxies outside accepted domains are scrubbed — once the licence has
    provisioned, visible to the very next Graph read and to Exchange (exchange/licensing.py,
    one implementation)."""
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    before = graph(sandbox, "fabrikam", "GET", "/users/kai@fabrikam.com?$select=proxyAddresses")
    assert "smtp:kai@legacy.fabrikam.net" in before.json()["proxyAddresses"]
    assert _assign(sandbox, "fabrikam", "kai@fabrikam.com", EXO_STANDARD).status_code == 200
    advance_clock(sandbox, PROVISIONED)
    after = graph(sandbox, "fabrikam", "GET", "/users/kai@fabrikam.com?$select=proxyAddresses")
    assert "smtp:kai@legacy.fabrikam.net" not in after.json()["proxyAddresses"]
    [mbx] = _invoke(sandbox, "fabrikam", "Get-Mailbox", Identity="kai@fabrikam.com")
    assert mbx["RecipientTypeDetails"] == "UserMailbox"
    assert mbx["ExchangeGuid"] != "00000000-0000-0000-0000-000000000000"
    assert "legacy.fabrikam.net" not in str(mbx["EmailAddresses"])
    r = sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": "kai@fabrikam.com"})
    assert r.status_code == 404
    [u] = _invoke(sandbox, "fabrikam", "Get-User", Identity="kai@fabrikam.com")
    assert u["RecipientTypeDetails"] == "UserMailbox"


def test_unlicensing_that_mailbox_leaves_a_mail_user_that_was_one(sandbox: SandboxHandle) -> None:
    """The Exchange Team's "Permanently Clear Previous Mailbox Info": removing the licence
    converts the object back to a Mail User, and Exchange keeps pointers to the mailbox it had
    (Get-User PreviousRecipientTypeDetails); licensed again, that mailbox is reconnected;
    Set-User -PermanentlyClearPreviousMailboxInfo clears the pointers for good."""
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    [before] = _invoke(sandbox, "fabrikam", "Get-MailUser", Identity="kai@fabrikam.com")
    assert _assign(sandbox, "fabrikam", "kai@fabrikam.com", EXO_STANDARD).status_code == 200
    advance_clock(sandbox, PROVISIONED)
    [mbx] = _invoke(sandbox, "fabrikam", "Get-Mailbox", Identity="kai@fabrikam.com")
    body = {"addLicenses": [], "removeLicenses": [EXO_STANDARD]}
    r = graph(sandbox, "fabrikam", "POST", "/users/kai@fabrikam.com/assignLicense", json=body)
    assert r.status_code == 200, r.text

    [mu] = _invoke(sandbox, "fabrikam", "Get-MailUser", Identity="kai@fabrikam.com")
    assert mu["ExchangeGuid"] == "00000000-0000-0000-0000-000000000000"
    assert mu["ExternalEmailAddress"] == before["ExternalEmailAddress"]
    [user] = _invoke(
        sandbox, "fabrikam", "Get-User", RecipientTypeDetails=["MailUser"], Identity=mu["Guid"]
    )
    assert (user["RecipientTypeDetails"], user["PreviousRecipientTypeDetails"]) == (
        "MailUser",
        "UserMailbox",
    )
    every = _invoke(sandbox, "fabrikam", "Get-User", RecipientTypeDetails=["MailUser"])
    assert {u["RecipientTypeDetails"] for u in every} == {"MailUser"}
    assert user["Guid"] in {u["Guid"] for u in every}
    was_something = "PreviousRecipientTypeDetails -ne $null"  # Learn's filter-properties example
    found = _invoke(
        sandbox, "fabrikam", "Get-User", RecipientTypeDetails=["MailUser"], Filter=was_something
    )
    assert [u["Guid"] for u in found] == [user["Guid"]]
    never = _invoke(
        sandbox,
        "fabrikam",
        "Get-User",
        RecipientTypeDetails=["MailUser"],
        Filter="PreviousRecipientTypeDetails -eq $null",
    )
    assert {u["Guid"] for u in never} == {u["Guid"] for u in every} - {user["Guid"]}

    assert _assign(sandbox, "fabrikam", "kai@fabrikam.com", EXO_STANDARD).status_code == 200
    advance_clock(sandbox, PROVISIONED)
    [again] = _invoke(sandbox, "fabrikam", "Get-Mailbox", Identity="kai@fabrikam.com")
    assert again["ExchangeGuid"] == mbx["ExchangeGuid"]  # the previous mailbox, reconnected

    r = graph(sandbox, "fabrikam", "POST", "/users/kai@fabrikam.com/assignLicense", json=body)
    assert r.status_code == 200, r.text
    _invoke(
        sandbox,
        "fabrikam",
        "Set-User",
        Identity="kai@fabrikam.com",
        PermanentlyClearPreviousMailboxInfo=True,
        Confirm=False,
    )
    [cleared] = _invoke(sandbox, "fabrikam", "Get-User", Identity="kai@fabrikam.com")
    assert cleared["PreviousRecipientTypeDetails"] == "None"
    assert _invoke(sandbox, "fabrikam", "Get-User", Filter=was_something) == []


def test_licensing_through_batch_provisions_the_same_way(sandbox: SandboxHandle) -> None:
    """$batch's inner assignLicense is the same code path: the same fresh mailbox."""
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    body = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": "/users/kai@fabrikam.com/assignLicense",
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "addLicenses": [{"skuId": EXO_STANDARD, "disabledPlans": []}],
                    "removeLicenses": [],
                },
            }
        ]
    }
    r = graph(sandbox, "fabrikam", "POST", "/$batch", json=body)
    assert r.json()["responses"][0]["status"] == 200
    advance_clock(sandbox, PROVISIONED)
    [mbx] = _invoke(sandbox, "fabrikam", "Get-Mailbox", Identity="kai@fabrikam.com")
    assert mbx["RecipientTypeDetails"] == "UserMailbox"


def test_exchange_plan_disabled_provisions_nothing(sandbox: SandboxHandle) -> None:
    """A licence whose Exchange plan is disabled gives no mailbox (disabledPlans)."""
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    plan = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"  # EXCHANGE_S_STANDARD in the default seed
    body = {"addLicenses": [{"skuId": EXO_STANDARD, "disabledPlans": [plan]}], "removeLicenses": []}
    r = graph(sandbox, "fabrikam", "POST", "/users/kai@fabrikam.com/assignLicense", json=body)
    assert r.status_code == 200, r.text
    advance_clock(sandbox, PROVISIONED)
    [mu] = _invoke(sandbox, "fabrikam", "Get-MailUser", Identity="kai@fabrikam.com")
    assert mu["RecipientTypeDetails"] == "MailUser"


def test_clearing_the_exchange_guid_of_a_licensed_mail_user_provisions_at_once(
    sandbox: SandboxHandle,
) -> None:
    """Set-MailUser -ExchangeGuid 00000000-… on a licensed MailUser: Exchange provisions a
    fresh mailbox as part of that write, not at some later call."""
    guid = "11111111-2222-4333-8444-555555555555"
    _invoke(sandbox, "fabrikam", "Set-MailUser", Identity="kai@fabrikam.com", ExchangeGuid=guid)
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    assert _assign(sandbox, "fabrikam", "kai@fabrikam.com", EXO_STANDARD).status_code == 200
    advance_clock(sandbox, PROVISIONED)
    [mu] = _invoke(sandbox, "fabrikam", "Get-MailUser", Identity="kai@fabrikam.com")
    assert mu["ExchangeGuid"] == guid  # stamped first: no mailbox
    zero = "00000000-0000-0000-0000-000000000000"
    _invoke(sandbox, "fabrikam", "Set-MailUser", Identity="kai@fabrikam.com", ExchangeGuid=zero)
    [mbx] = _invoke(sandbox, "fabrikam", "Get-Mailbox", Identity="kai@fabrikam.com")
    assert mbx["RecipientTypeDetails"] == "UserMailbox" and mbx["ExchangeGuid"] not in (zero, guid)


def test_licensing_a_prepared_mail_user_keeps_it_a_mail_user(sandbox: SandboxHandle) -> None:
    """A MailUser that already carries the source ExchangeGuid is not given a new mailbox;
    the on-premises proxy in a domain Fabrikam never accepted is scrubbed."""
    guid = "11111111-2222-4333-8444-555555555555"
    upn = "johanna@fabrikam.com"
    # IsDirSynced: Set-MailUser is refused, the GUID comes from on-premises through sync
    # (Set-MailUser's write-scope refusal; the sandbox's recipient endpoint stands in for sync).
    r = sandbox.http.patch(
        f"{sandbox.base_url}/_sandbox/exchange/fabrikam/recipients/{upn}",
        json={"exchange_guid": guid},
    )
    assert r.status_code == 200, r.text
    before = graph(sandbox, "fabrikam", "GET", f"/users/{upn}?$select=proxyAddresses").json()
    assert any("fabrikam.local" in a for a in before["proxyAddresses"])
    graph(sandbox, "fabrikam", "PATCH", f"/users/{upn}", json={"usageLocation": "NL"})
    assert _assign(sandbox, "fabrikam", upn, T2T, EXO_STANDARD).status_code == 200
    advance_clock(sandbox, PROVISIONED)
    [mu] = _invoke(sandbox, "fabrikam", "Get-MailUser", Identity=upn)
    assert mu["RecipientTypeDetails"] == "MailUser" and mu["ExchangeGuid"] == guid
    after = graph(sandbox, "fabrikam", "GET", f"/users/{upn}?$select=proxyAddresses").json()
    assert not any("fabrikam.local" in a for a in after["proxyAddresses"])


def test_batch_of_20_licence_assignments_returns_20_statuses(sandbox: SandboxHandle) -> None:
    contoso = graph(sandbox, "contoso", "GET", "/users?$top=20&$filter=usageLocation eq 'US'")
    users = [u["id"] for u in contoso.json()["value"]]
    assert len(users) == 20
    requests = [
        {
            "id": str(i + 1),
            "method": "POST",
            "url": f"/users/{uid}/assignLicense",
            "headers": {"Content-Type": "application/json"},
            "body": {
                "addLicenses": [{"skuId": EXO_STANDARD, "disabledPlans": []}],
                "removeLicenses": [],
            },
        }
        for i, uid in enumerate(users)
    ]
    before = sandbox.stats()
    r = graph(sandbox, "contoso", "POST", "/$batch", json={"requests": requests})
    assert r.status_code == 200
    responses = r.json()["responses"]
    assert sorted(int(x["id"]) for x in responses) == list(range(1, 21))
    assert all(x["status"] == 200 for x in responses)
    after = sandbox.stats()
    assert after["writes"] - before["writes"] == 20  # the inner requests, not the batch
    assert after["byOperation"]["POST /users/{id}/assignLicense"] == 20
    too_many = {"requests": [*requests, {**requests[0], "id": "21"}]}
    assert graph(sandbox, "contoso", "POST", "/$batch", json=too_many).status_code == 400


def test_batch_per_request_status_and_failed_dependency(sandbox: SandboxHandle) -> None:
    body = {
        "requests": [
            {"id": "a", "method": "GET", "url": "/users/debra@contoso.com"},
            {"id": "b", "method": "GET", "url": "/users/ghost@contoso.com"},
            {"id": "c", "method": "GET", "url": "/organization", "dependsOn": ["b"]},
            {"id": "d", "method": "GET", "url": "/organization", "dependsOn": ["a"]},
            {
                "id": "e",
                "method": "POST",
                "url": "/users/debra@contoso.com/assignLicense",
                "body": {"addLicenses": [], "removeLicenses": []},
            },
        ]
    }
    r = graph(sandbox, "contoso", "POST", "/$batch", json=body)
    status = {x["id"]: x["status"] for x in r.json()["responses"]}
    assert status == {"a": 200, "b": 404, "c": 424, "d": 200, "e": 400}
    dup = {"requests": [body["requests"][0], body["requests"][0]]}
    assert graph(sandbox, "contoso", "POST", "/$batch", json=dup).status_code == 400
