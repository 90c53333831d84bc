"""Microsoft's own throttling budgets (t2t/sandbox/throttle.py), over HTTPS.

Budgets are lowered through ``POST /_sandbox/throttle`` to keep the tests fast; the first
test pins the defaults to Microsoft's documented numbers. Time passes on the sandbox clock
(``/_sandbox/clock``), so no test waits.
"""

from __future__ import annotations

from typing import Any

import pytest

from t2t.sandbox.strictness import KIND
from tests.conftest import GRAPH_SCOPE, SandboxHandle
from tests.sandbox.exchange_setup import wait_out_secret_delay
from tests.sandbox.graph_helpers import error_of, graph, graph_write

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def _throttle(sandbox: SandboxHandle) -> dict[str, Any]:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/throttle")
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


def _budgets(sandbox: SandboxHandle, **budgets: dict[str, float]) -> None:
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/throttle", json={"budgets": budgets})
    assert r.status_code == 200, r.text


def _advance(sandbox: SandboxHandle, seconds: float) -> None:
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": seconds})
    assert r.status_code == 200


def _user_id(sandbox: SandboxHandle, tenant: str) -> str:
    r = graph(sandbox, tenant, "GET", "/users", params={"$top": "1", "$select": "id"})
    assert r.status_code == 200
    user_id: str = r.json()["value"][0]["id"]
    return user_id


def _patch(sandbox: SandboxHandle, tenant: str, user_id: str, title: str) -> Any:
    return graph(sandbox, tenant, "PATCH", f"/users/{user_id}", json={"jobTitle": title})


def _app_id(sandbox: SandboxHandle, tenant: str) -> str:
    app_id: str = sandbox.tenant(tenant)["adminApp"]["clientId"]
    return app_id


def test_defaults_are_microsofts_documented_budgets_and_on_by_default(
    sandbox: SandboxHandle,
) -> None:
    state = _throttle(sandbox)
    # concepts/throttling-limits.md "Identity and access service limits": writes per
    # application+tenant pair 3,000 per 2 min 30 s; per tenant 18,000 per 5 minutes.
    assert state["budgets"]["graphAppTenant"] == {"limit": 3000, "windowSeconds": 150.0}
    assert state["budgets"]["graphTenant"] == {"limit": 18000, "windowSeconds": 300.0}
    # No Microsoft number: the assumed per-tenant Exchange budget (README open questions).
    assert state["budgets"]["exchangeTenant"] == {"limit": 2400, "windowSeconds": 60.0}
    strictness = sandbox.http.get(f"{sandbox.base_url}/_sandbox/strictness").json()
    assert strictness["throttling"] is True
    assert KIND.throttling is False


def test_identity_writes_are_limited_per_app_and_tenant_with_microsofts_answer(
    sandbox: SandboxHandle,
) -> None:
    _budgets(sandbox, graphAppTenant={"limit": 3, "windowSeconds": 60})
    user = _user_id(sandbox, "contoso")
    assert _patch(sandbox, "contoso", user, "a").status_code == 204
    _advance(sandbox, 20)
    assert _patch(sandbox, "contoso", user, "b").status_code == 204
    _advance(sandbox, 20)
    assert _patch(sandbox, "contoso", user, "c").status_code == 204
    r = _patch(sandbox, "contoso", user, "d")
    assert r.status_code == 429
    # The first write leaves the 60 s window 20 s from now.
    assert r.headers["Retry-After"] == "20"
    tid = sandbox.tenant("contoso")["tenantId"]
    app = _app_id(sandbox, "contoso")
    code, message = error_of(r)
    assert code == "TooManyRequests"
    assert message == f"Too many requests from Identifier:{tid}+{app} under category:throttled."
    assert r.headers["x-ms-throttle-scope"] == f"Tenant_Application/Write/{app}/{tid}"
    assert r.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    # Reads are not limited by the write budget; another tenant has its own.
    assert graph(sandbox, "contoso", "GET", f"/users/{user}").status_code == 200
    other = _user_id(sandbox, "fabrikam")
    assert _patch(sandbox, "fabrikam", other, "x").status_code == 204
    # The window frees exactly when Retry-After said.
    _advance(sandbox, 19)
    assert _patch(sandbox, "contoso", user, "d").status_code == 429
    _advance(sandbox, 1)
    assert _patch(sandbox, "contoso", user, "d").status_code == 204
    state = _throttle(sandbox)
    assert state["refusals"] == {"graphAppTenant": 2}
    assert state["inWindow"]["graphAppTenant"][f"{app}/{tid}".lower()] == 3


def test_the_tenant_budget_answers_with_its_own_scope(sandbox: SandboxHandle) -> None:
    _budgets(sandbox, graphTenant={"limit": 2, "windowSeconds": 300})
    user = _user_id(sandbox, "fabrikam")
    for title in ("a", "b"):
        assert _patch(sandbox, "fabrikam", user, title).status_code == 204
    r = _patch(sandbox, "fabrikam", user, "c")
    assert r.status_code == 429 and r.headers["Retry-After"] == "300"
    tid = sandbox.tenant("fabrikam")["tenantId"]
    app = _app_id(sandbox, "fabrikam")
    assert error_of(r) == (
        "TooManyRequests",
        f"Too many requests from Identifier:{tid}+{app} under category:throttled.",
    )
    assert r.headers["x-ms-throttle-scope"] == f"Tenant/Write/{app}/{tid}"
    assert r.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert _throttle(sandbox)["refusals"] == {"graphTenant": 1}


def _second_app_token(sandbox: SandboxHandle, tenant: str) -> tuple[str, str]:
    """Another app of ``tenant`` with Graph User.ReadWrite.All consented, signed in through
    MSAL: (appId, Graph token). Every step over Graph, as an administrator would."""
    r = graph(sandbox, tenant, "POST", "/applications", json={"displayName": "second writer"})
    assert r.status_code == 201, r.text
    app_id, object_id = r.json()["appId"], r.json()["id"]
    sp = graph(sandbox, tenant, "POST", "/servicePrincipals", json={"appId": app_id})
    assert sp.status_code == 201, sp.text
    msgraph = graph(sandbox, tenant, "GET", f"/servicePrincipals(appId='{GRAPH_APP_ID}')").json()
    role = next(x["id"] for x in msgraph["appRoles"] if x["value"] == "User.ReadWrite.All")
    grant = {"principalId": sp.json()["id"], "resourceId": msgraph["id"], "appRoleId": role}
    r = graph_write(
        sandbox, tenant, "POST", f"/servicePrincipals/{msgraph['id']}/appRoleAssignedTo", json=grant
    )
    assert r.status_code == 201, r.text
    r = graph(
        sandbox,
        tenant,
        "POST",
        f"/applications/{object_id}/addPassword",
        json={"passwordCredential": {"displayName": "second"}},
    )
    assert r.status_code == 200, r.text
    wait_out_secret_delay(sandbox)
    app = sandbox.msal_app(tenant, client_id=app_id, secret=r.json()["secretText"])
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" in result, result
    return app_id, str(result["access_token"])


def test_the_tenant_budget_is_shared_by_every_app_of_the_tenant(sandbox: SandboxHandle) -> None:
    """throttling-limits.md: 18,000 writes per 5 minutes *per tenant*, whatever the app; each
    app+tenant pair has its own 3,000 per 150 s beside it."""
    second, token = _second_app_token(sandbox, "contoso")
    _advance(sandbox, 300)  # the arrangement's own writes leave both windows
    _budgets(sandbox, graphTenant={"limit": 3, "windowSeconds": 300})
    user = _user_id(sandbox, "contoso")
    for title in ("a", "b"):
        assert _patch(sandbox, "contoso", user, title).status_code == 204
    body = {"jobTitle": "c"}
    assert (
        graph(sandbox, "contoso", "PATCH", f"/users/{user}", token=token, json=body).status_code
        == 204
    )
    # The tenant's budget is spent: the second app is refused although its own pair budget
    # is nearly untouched, and so is the admin app.
    r = graph(sandbox, "contoso", "PATCH", f"/users/{user}", token=token, json={"jobTitle": "d"})
    assert r.status_code == 429, r.text
    tid = sandbox.tenant("contoso")["tenantId"]
    assert error_of(r) == (
        "TooManyRequests",
        f"Too many requests from Identifier:{tid}+{second} under category:throttled.",
    )
    assert r.headers["x-ms-throttle-scope"] == f"Tenant/Write/{second}/{tid}"
    assert _patch(sandbox, "contoso", user, "d").status_code == 429
    # Another tenant is not affected.
    assert _patch(sandbox, "fabrikam", _user_id(sandbox, "fabrikam"), "x").status_code == 204
    state = _throttle(sandbox)
    assert state["refusals"] == {"graphTenant": 2}
    assert state["inWindow"]["graphTenant"][tid.lower()] == 3
    assert state["inWindow"]["graphAppTenant"][f"{second}/{tid}".lower()] == 1


def test_every_batch_item_counts_on_its_own(sandbox: SandboxHandle) -> None:
    _budgets(sandbox, graphAppTenant={"limit": 3, "windowSeconds": 150})
    user = _user_id(sandbox, "contoso")
    requests = [
        {
            "id": str(i),
            "method": "PATCH",
            "url": f"/users/{user}",
            "headers": {"Content-Type": "application/json"},
            "body": {"@odata.type": "#microsoft.graph.user", "jobTitle": f"t{i}"},
        }
        for i in range(5)
    ]
    r = graph(sandbox, "contoso", "POST", "/$batch", json={"requests": requests})
    assert r.status_code == 200
    answers = {a["id"]: a for a in r.json()["responses"]}
    assert [answers[str(i)]["status"] for i in range(5)] == [204, 204, 204, 429, 429]
    refused = answers["3"]
    assert refused["headers"]["Retry-After"] == "150"
    assert refused["headers"]["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert refused["body"]["error"]["code"] == "TooManyRequests"
    # A top-level write now shares the spent budget; reads inside $batch are never refused.
    assert _patch(sandbox, "contoso", user, "x").status_code == 429
    reads = [{"id": str(i), "method": "GET", "url": f"/users/{user}"} for i in range(5)]
    r = graph(sandbox, "contoso", "POST", "/$batch", json={"requests": reads})
    assert {a["status"] for a in r.json()["responses"]} == {200}
    assert _throttle(sandbox)["admitted"]["graphAppTenant"] == 3


def test_exchange_has_a_per_tenant_budget(sandbox: SandboxHandle) -> None:
    _budgets(sandbox, exchangeTenant={"limit": 2, "windowSeconds": 30})
    for _ in range(2):
        assert sandbox.invoke("contoso", "Get-OrganizationConfig").status_code == 200
    r = sandbox.invoke("contoso", "Get-OrganizationConfig")
    assert r.status_code == 429 and r.headers["Retry-After"] == "30"
    # Exchange's 429 body is an assumption (README open questions 39): its error envelope.
    assert r.json()["error"] == {
        "code": "TooManyRequests",
        "message": "Too many requests. Please retry after some time.",
    }
    assert sandbox.invoke("fabrikam", "Get-OrganizationConfig").status_code == 200
    _advance(sandbox, 30)
    assert sandbox.invoke("contoso", "Get-OrganizationConfig").status_code == 200
    assert _throttle(sandbox)["refusals"] == {"exchangeTenant": 1}


def test_a_request_resent_before_its_retry_after_is_counted_as_early(
    sandbox: SandboxHandle,
) -> None:
    _budgets(sandbox, exchangeTenant={"limit": 1, "windowSeconds": 10})
    assert sandbox.invoke("contoso", "Get-OrganizationConfig").status_code == 200
    assert sandbox.invoke("contoso", "Get-AcceptedDomain").status_code == 429
    assert _throttle(sandbox)["earlyRetries"] == 0
    assert sandbox.invoke("contoso", "Get-AcceptedDomain").status_code == 429
    assert _throttle(sandbox)["earlyRetries"] == 1
    _advance(sandbox, 10)
    assert sandbox.invoke("contoso", "Get-AcceptedDomain").status_code == 200
    assert _throttle(sandbox)["earlyRetries"] == 1


def test_the_throttling_knob_turns_every_budget_off(sandbox: SandboxHandle) -> None:
    """What the ``kind`` profile sets (strictness.KIND.throttling is False)."""
    _budgets(
        sandbox,
        graphAppTenant={"limit": 1, "windowSeconds": 150},
        exchangeTenant={"limit": 1, "windowSeconds": 60},
    )
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/strictness", json={"throttling": False})
    assert r.status_code == 200
    user = _user_id(sandbox, "contoso")
    batch = [
        {
            "id": str(i),
            "method": "PATCH",
            "url": f"/users/{user}",
            "headers": {"Content-Type": "application/json"},
            "body": {"jobTitle": "k"},
        }
        for i in range(3)
    ]
    for _ in range(3):
        assert _patch(sandbox, "contoso", user, "k").status_code == 204
        assert sandbox.invoke("contoso", "Get-OrganizationConfig").status_code == 200
    r = graph(sandbox, "contoso", "POST", "/$batch", json={"requests": batch})
    assert {a["status"] for a in r.json()["responses"]} == {204}
    assert _throttle(sandbox)["admitted"] == {}


def test_reset_restores_the_documented_budgets_and_forgets_usage(sandbox: SandboxHandle) -> None:
    defaults = _throttle(sandbox)["budgets"]
    _budgets(sandbox, graphAppTenant={"limit": 1}, exchangeTenant={"windowSeconds": 5})
    changed = _throttle(sandbox)["budgets"]
    assert changed["graphAppTenant"] == {"limit": 1, "windowSeconds": 150.0}
    assert changed["exchangeTenant"] == {"limit": 2400, "windowSeconds": 5.0}
    user = _user_id(sandbox, "contoso")
    assert _patch(sandbox, "contoso", user, "a").status_code == 204
    assert _patch(sandbox, "contoso", user, "b").status_code == 429
    sandbox.reset()
    state = _throttle(sandbox)
    assert state["budgets"] == defaults
    assert state["inWindow"] == {} and state["refusals"] == {} and state["earlyRetries"] == 0
    assert _patch(sandbox, "contoso", user, "b").status_code == 204


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"budgets": {"nope": {"limit": 1}}}, "unknown budget 'nope'"),
        ({"budgets": {"graphTenant": {"limit": 0}}}, "graphTenant.limit must be an integer >= 1"),
        ({"budgets": {"graphTenant": {"limit": 1.5}}}, "graphTenant.limit must be an integer"),
        (
            {"budgets": {"exchangeTenant": {"windowSeconds": 0}}},
            "exchangeTenant.windowSeconds must be a number > 0",
        ),
        ({"other": 1}, 'send {"budgets"'),
    ],
)
def test_bad_budget_changes_are_refused_and_change_nothing(
    sandbox: SandboxHandle, body: object, error: str
) -> None:
    before = _throttle(sandbox)["budgets"]
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/throttle", json=body)
    assert r.status_code == 400 and error in r.json()["error"]
    assert _throttle(sandbox)["budgets"] == before


def test_graph_token_is_needed_before_anything_counts(sandbox: SandboxHandle) -> None:
    _budgets(sandbox, graphAppTenant={"limit": 1, "windowSeconds": 150})
    user = _user_id(sandbox, "contoso")
    r = graph(sandbox, "contoso", "PATCH", f"/users/{user}", token="nope", json={"jobTitle": "x"})
    assert r.status_code == 401
    assert sandbox.token("contoso", GRAPH_SCOPE)
    assert _patch(sandbox, "contoso", user, "x").status_code == 204
