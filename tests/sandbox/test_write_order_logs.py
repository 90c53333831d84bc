"""The sandbox's own records of what was written, in one order (issue 11): the Graph write
log (t2t/sandbox/graph/write_log.py) next to the InvokeCommand request log, both numbered
from one sequence; their capacities; and a lag rule that names one object (faults.py
``match.object``), so one MailUser replicates late while its siblings show at once
(wire-protocols.md §1.5 "Replication lag").
"""

from __future__ import annotations

from typing import Any

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import advance_clock, ok
from tests.sandbox.graph_helpers import graph
from tests.sandbox.helpers import error_detail
from tests.sandbox.module_forms import secure


def _writes(sandbox: SandboxHandle, **params: Any) -> list[dict[str, Any]]:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/graph/writes", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["writes"])


def _requests(sandbox: SandboxHandle, **params: Any) -> list[dict[str, Any]]:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["requests"])


def _new_mail_user(sandbox: SandboxHandle, name: str) -> dict[str, Any]:
    [mu] = ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": name,
            "MicrosoftOnlineServicesID": f"{name}@fabrikam.com",
            "PrimarySmtpAddress": f"{name}@fabrikam.com",
            "Password": secure(sandbox, "Pa55-word-never-logged"),
        },
    )
    return mu


def test_graph_writes_are_logged_in_one_order_with_exchange(sandbox: SandboxHandle) -> None:
    _new_mail_user(sandbox, "wlog")
    upn = "wlog@fabrikam.com"
    # The Entra user of a MailUser made just now: the first two writes are refused as not
    # replicated (replication.py) — the log keeps them, with their 404s.
    statuses = [
        graph(sandbox, "fabrikam", "PATCH", f"/users/{upn}", json={"usageLocation": "NL"})
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [404, 404, 204]
    assert graph(sandbox, "fabrikam", "GET", f"/users/{upn}").status_code == 200  # a read
    batch = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/users/{upn}"},
            {
                "id": "2",
                "method": "PATCH",
                "url": f"/users/{upn}",
                "headers": {"Content-Type": "application/json"},
                "body": {"displayName": "Write Log"},
            },
            {"id": "3", "method": "POST", "url": "/directoryObjects/getByIds", "body": {}},
        ]
    }
    r = graph(sandbox, "fabrikam", "POST", "/$batch", json=batch)
    assert r.status_code == 200, r.text
    ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": upn})

    writes = _writes(sandbox)
    assert [(w["method"], w["path"], w["status"], w["inBatch"]) for w in writes] == [
        ("PATCH", f"/v1.0/users/{upn}", 404, False),
        ("PATCH", f"/v1.0/users/{upn}", 404, False),
        ("PATCH", f"/v1.0/users/{upn}", 204, False),
        ("PATCH", f"/v1.0/users/{upn}", 204, True),
    ]
    first = writes[0]
    assert first["operation"] == "PATCH /users/{id}"
    assert first["tenant"] == "fabrikam"
    assert first["appId"] == sandbox.tenant("fabrikam")["adminApp"]["clientId"]
    assert first["body"] == {"usageLocation": "NL"}
    assert writes[3]["body"] == {"displayName": "Write Log"}
    assert first["receivedAt"].endswith("Z")

    exchange = _requests(sandbox)
    assert [e["cmdlet"] for e in exchange] == ["New-MailUser", "Get-MailUser"]
    order = sorted(
        [(e["seq"], e["cmdlet"]) for e in exchange] + [(w["seq"], w["operation"]) for w in writes]
    )
    assert [what for _, what in order] == [
        "New-MailUser",
        *["PATCH /users/{id}"] * 4,
        "Get-MailUser",
    ]
    assert len({seq for seq, _ in order}) == len(order)  # one sequence, no ties

    assert _writes(sandbox, operation="POST /users/{id}/assignLicense") == []
    assert len(_writes(sandbox, operation="patch /users/{id}")) == 4
    assert sandbox.http.delete(f"{sandbox.base_url}/_sandbox/graph/writes").status_code == 204
    assert _writes(sandbox) == []


def test_log_capacities_and_filters(sandbox: SandboxHandle) -> None:
    base = sandbox.base_url
    for path in ("/_sandbox/graph/writes", "/_sandbox/exchange/requests"):
        bads: list[Any] = [{"capacity": 0}, {"capacity": True}, {"capacity": 2.5}, {"size": 3}, []]
        for bad in bads:
            r = sandbox.http.post(base + path, json=bad)
            assert r.status_code == 400, (path, bad, r.text)
            assert "capacity" in r.json()["error"]
    try:
        r = sandbox.http.post(base + "/_sandbox/exchange/requests", json={"capacity": 2})
        assert r.json() == {"capacity": 2}
        for name in ("cap1", "cap2"):
            _new_mail_user(sandbox, name)
        ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "cap1@fabrikam.com"})
        kept = _requests(sandbox)
        assert [e["cmdlet"] for e in kept] == ["New-MailUser", "Get-MailUser"]  # the newest two
        assert kept[0]["cmdletInput"]["Parameters"]["Name"] == "cap2"
        assert kept[0]["seq"] < kept[1]["seq"]
        r = sandbox.http.post(base + "/_sandbox/exchange/requests", json={"capacity": 50})
        assert r.json() == {"capacity": 50}
        _new_mail_user(sandbox, "cap3")
        assert len(_requests(sandbox)) == 3
        both = _requests(sandbox, cmdlet=["new-mailuser", "Get-MailUser"])
        assert len(both) == 3
        assert len(_requests(sandbox, cmdlet="New-MailUser")) == 2
        sandbox.reset()  # empties the log, keeps its capacity
        assert _requests(sandbox) == []
    finally:
        sandbox.http.post(base + "/_sandbox/exchange/requests", json={"capacity": 2000})


def test_a_lag_rule_can_name_one_object(sandbox: SandboxHandle) -> None:
    faults = f"{sandbox.base_url}/_sandbox/faults"
    bad = {"kind": "error", "match": {"object": "slow"}}
    r = sandbox.http.post(faults, json=bad)
    assert r.status_code == 400 and "only valid on lag" in r.json()["error"]
    r = sandbox.http.post(faults, json={"kind": "lag", "seconds": 5, "match": {"object": "("}})
    assert r.status_code == 400 and "not a regex" in r.json()["error"]
    rule = {
        "kind": "lag",
        "seconds": 20,
        "match": {"service": "exchange", "cmdlet": "New-MailUser", "object": "^SLOWONE@"},
    }
    r = sandbox.http.post(faults, json=rule)
    assert r.status_code == 201, r.text
    assert r.json()["match"]["object"] == "^SLOWONE@"

    _new_mail_user(sandbox, "slowone")
    _new_mail_user(sandbox, "quickone")
    _new_mail_user(sandbox, "notslowone")  # the regex is searched, anchored here
    assert sandbox.http.get(faults).json()["hiddenObjects"] == 1
    ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "quickone@fabrikam.com"})
    ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "notslowone@fabrikam.com"})
    r = sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": "slowone@fabrikam.com"})
    assert r.status_code == 404, r.text
    assert error_detail(r)[1].endswith("ManagementObjectNotFoundException")
    assert graph(sandbox, "fabrikam", "GET", "/users/slowone@fabrikam.com").status_code == 404
    names = {u["Name"] for u in ok(sandbox, "fabrikam", "Get-MailUser")}
    assert {"quickone", "notslowone"} <= names and "slowone" not in names

    advance_clock(sandbox, 19)
    r = sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": "slowone@fabrikam.com"})
    assert r.status_code == 404
    advance_clock(sandbox, 1)
    ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": "slowone@fabrikam.com"})
    assert graph(sandbox, "fabrikam", "GET", "/users/slowone@fabrikam.com").status_code == 200
