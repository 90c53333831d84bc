"""Replication on writes (t2t/sandbox/replication.py): a write naming an object created moments
ago fails as Microsoft's does — the first ``refusals`` times within the window — then passes."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import APP_ID, EXCHANGE_ONLINE_APP_ID, advance_clock
from tests.sandbox.graph_helpers import error_of, graph
from tests.sandbox.helpers import error_detail, values
from tests.sandbox.module_forms import secure

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
DC = "AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM"


def _replication(sandbox: SandboxHandle, **settings: Any) -> httpx.Response:
    return sandbox.http.post(f"{sandbox.base_url}/_sandbox/replication", json=settings)


def _exchange_not_found(r: httpx.Response, identity: str) -> None:
    assert r.status_code == 404, r.text
    assert error_detail(r)[1:] == (
        NOT_FOUND,
        f"The operation couldn't be performed because object '{identity}' couldn't be found "
        f"on '{DC}'.",
    )


def _graph_not_found(r: httpx.Response, key: str) -> None:
    assert r.status_code == 404, r.text
    assert error_of(r) == (
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def _new_sp(sandbox: SandboxHandle) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A new service principal for the migration app in Contoso, Exchange's, and the role."""
    r = graph(sandbox, "contoso", "POST", "/servicePrincipals", json={"appId": APP_ID})
    assert r.status_code == 201, r.text
    exo = graph(sandbox, "contoso", "GET", f"/servicePrincipals(appId='{EXCHANGE_ONLINE_APP_ID}')")
    role = next(x["id"] for x in exo.json()["appRoles"] if x["value"] == "Mailbox.Migration")
    return r.json(), exo.json(), role


def _new_mail_user(sandbox: SandboxHandle, name: str) -> str:
    address = f"{name}@fabrikam.com"
    values(
        sandbox.invoke(
            "fabrikam",
            "New-MailUser",
            {
                "Name": name,
                "MicrosoftOnlineServicesID": address,
                "Password": secure(sandbox, "Pa55-word-never-logged"),
                "PrimarySmtpAddress": address,
                "ExternalEmailAddress": f"{name}@contoso.com",
            },
        )
    )
    return address


def test_grant_naming_a_new_service_principal_is_not_a_valid_reference_then_passes(
    sandbox: SandboxHandle,
) -> None:
    sp, exo, role = _new_sp(sandbox)
    body = {"principalId": sp["id"], "resourceId": exo["id"], "appRoleId": role}
    path = f"/servicePrincipals/{exo['id']}/appRoleAssignedTo"
    for _ in range(2):  # the default: two refusals (msgraph-bicep-types #193)
        r = graph(sandbox, "contoso", "POST", path, json=body)
        assert r.status_code == 400, r.text
        assert error_of(r) == ("Request_BadRequest", "Not a valid reference update.")
    r = graph(sandbox, "contoso", "POST", path, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["principalId"] == sp["id"]


def test_grant_through_the_new_principals_own_url_is_not_found_then_passes(
    sandbox: SandboxHandle,
) -> None:
    sp, exo, role = _new_sp(sandbox)
    body = {"principalId": sp["id"], "resourceId": exo["id"], "appRoleId": role}
    path = f"/servicePrincipals/{sp['id']}/appRoleAssignments"
    for _ in range(2):
        _graph_not_found(graph(sandbox, "contoso", "POST", path, json=body), sp["id"])
    assert graph(sandbox, "contoso", "POST", path, json=body).status_code == 201


def test_add_member_right_after_new_distribution_group_is_not_found_then_passes(
    sandbox: SandboxHandle,
) -> None:
    values(
        sandbox.invoke("contoso", "New-DistributionGroup", {"Name": "fresh", "Type": "Security"})
    )
    add = {
        "Identity": "fresh",
        "Member": "debra@contoso.com",
        "BypassSecurityGroupManagerCheck": True,
    }
    for _ in range(2):
        _exchange_not_found(sandbox.invoke("contoso", "Add-DistributionGroupMember", add), "fresh")
    assert values(sandbox.invoke("contoso", "Add-DistributionGroupMember", add)) == []
    members = values(
        sandbox.invoke("contoso", "Get-DistributionGroupMember", {"Identity": "fresh"})
    )
    assert [m["PrimarySmtpAddress"] for m in members] == ["debra@contoso.com"]


def test_set_mail_user_right_after_new_mail_user_is_not_found_then_passes(
    sandbox: SandboxHandle,
) -> None:
    address = _new_mail_user(sandbox, "freshmu")
    stamp = {"Identity": address, "ExchangeGuid": "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"}
    for _ in range(2):
        _exchange_not_found(sandbox.invoke("fabrikam", "Set-MailUser", stamp), address)
    assert values(sandbox.invoke("fabrikam", "Set-MailUser", stamp)) == []
    [mu] = values(sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": address}))
    assert mu["ExchangeGuid"] == "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


def test_graph_writes_to_a_new_mail_users_entra_user_are_not_found_then_pass(
    sandbox: SandboxHandle,
) -> None:
    address = _new_mail_user(sandbox, "freshlic")
    # Reads see it (no lag rule): only the writes meet the replica that lacks it.
    assert graph(sandbox, "fabrikam", "GET", f"/users/{address}").status_code == 200
    for _ in range(2):
        r = graph(sandbox, "fabrikam", "PATCH", f"/users/{address}", json={"usageLocation": "NL"})
        _graph_not_found(r, address)
    r = graph(sandbox, "fabrikam", "PATCH", f"/users/{address}", json={"usageLocation": "NL"})
    assert r.status_code == 204, r.text
    # assignLicense meets the same replica lag, on a user no write has reached yet.
    other = _new_mail_user(sandbox, "freshlic2")
    body = {"addLicenses": [], "removeLicenses": []}
    for _ in range(2):
        r = graph(sandbox, "fabrikam", "POST", f"/users/{other}/assignLicense", json=body)
        _graph_not_found(r, other)
    r = graph(sandbox, "fabrikam", "POST", f"/users/{other}/assignLicense", json=body)
    assert r.status_code == 200, r.text


def test_after_the_window_nothing_is_refused(sandbox: SandboxHandle) -> None:
    assert _replication(sandbox, refusals=50, windowSeconds=120).status_code == 200
    address = _new_mail_user(sandbox, "windowed")
    _exchange_not_found(
        sandbox.invoke("fabrikam", "Set-MailUser", {"Identity": address, "Alias": "w2"}), address
    )
    advance_clock(sandbox, 120)
    assert (
        values(sandbox.invoke("fabrikam", "Set-MailUser", {"Identity": address, "Alias": "w2"}))
        == []
    )


def test_seeded_counts_follow_the_seed_per_object(sandbox: SandboxHandle) -> None:
    """With a seed each object's count is sha256(seed|operation|id) mod (refusals + 1):
    reproducible for the same object, different across objects."""
    assert _replication(sandbox, refusals=3, seed="issue-10").status_code == 200
    counts = []
    for i in range(6):
        address = _new_mail_user(sandbox, f"seeded{i}")
        [mu] = values(sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": address}))
        key = f"issue-10|mailuser-set|{mu['ExternalDirectoryObjectId'].lower()}"
        expected = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % 4
        refused = 0
        params = {"Identity": address, "Alias": f"seeded{i}x"}
        while sandbox.invoke("fabrikam", "Set-MailUser", params).status_code == 404:
            refused += 1
        assert refused == expected
        counts.append(refused)
    assert all(0 <= n <= 3 for n in counts)


def test_the_kind_profile_knob_turns_it_off(sandbox: SandboxHandle) -> None:
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/strictness", json={"replication": False})
    assert r.status_code == 200, r.text
    address = _new_mail_user(sandbox, "kindmu")
    assert (
        values(sandbox.invoke("fabrikam", "Set-MailUser", {"Identity": address, "Alias": "k2"}))
        == []
    )


def test_control_shows_validates_and_reset_restores(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/_sandbox/replication"
    default = {"refusals": 2, "windowSeconds": 300.0, "seed": None, "recentObjects": 0}
    assert sandbox.http.get(url).json() == default
    for bad, why in (
        ({"refusals": -1}, "refusals must be an integer >= 0"),
        ({"refusals": 1.5}, "refusals must be an integer >= 0"),
        ({"windowSeconds": "x"}, "windowSeconds must be a number >= 0"),
        ({"seed": 3}, "seed must be a string or null"),
        ({"nope": 1}, "unknown keys: ['nope']"),
    ):
        r = _replication(sandbox, **bad)
        assert (r.status_code, r.json()) == (400, {"error": why})
    r = _replication(sandbox, refusals=0, windowSeconds=10, seed="s")
    assert r.json() == {"refusals": 0, "windowSeconds": 10.0, "seed": "s", "recentObjects": 0}
    _new_mail_user(sandbox, "counted")
    assert sandbox.http.get(url).json()["recentObjects"] == 1
    sandbox.reset()
    assert sandbox.http.get(url).json() == default
