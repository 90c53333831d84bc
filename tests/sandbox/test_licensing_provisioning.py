"""Licensing provisions over sandbox-clock minutes, not at once (exchange/licensing.py).

assignLicense answers at once and Graph lists the licence; its plans show
``provisioningStatus`` PendingInput (servicePlanInfo / provisionedPlan resource types) until
``Strictness.licensing_seconds`` of sandbox clock have passed, and only then does Exchange
react: proxies outside accepted domains scrubbed, a MailUser without ExchangeGuid turned
into a fresh mailbox, the licence's PersistedCapabilities shown. A batch started meanwhile
fails the way Microsoft's does when neither side holds a T2T licence Exchange can see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.server import SandboxServer
from t2t.sandbox.strictness import KIND, STRICT
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    advance_clock,
    assign_licenses,
    batch_status,
    new_batch,
    ok,
    prepare_user,
    set_pace,
    setup_organizations,
    user_status,
)
from tests.sandbox.graph_helpers import graph

EXO_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69"
T2T = "946ce899-873d-44bb-9d8b-671870cbfdbf"
STEP = 60  # seconds of sandbox clock per move step in the batch test
SELECT = "assignedLicenses,assignedPlans,provisionedPlans,proxyAddresses"


def _user(sandbox: SandboxHandle, upn: str) -> dict[str, Any]:
    r = graph(sandbox, "fabrikam", "GET", f"/users/{upn}?$select={SELECT}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _statuses(user: dict[str, Any]) -> set[str]:
    return {p["provisioningStatus"] for p in user["provisionedPlans"]}


def test_strict_default_is_two_minutes() -> None:
    assert STRICT.licensing_seconds == 120.0
    assert KIND.licensing_seconds == 0.0


def test_plans_are_pending_and_exchange_waits_until_they_provision(
    sandbox: SandboxHandle,
) -> None:
    upn = "kai@fabrikam.com"  # a MailUser without ExchangeGuid, with a non-accepted proxy
    assign_licenses(sandbox, "fabrikam", upn, EXO_STANDARD, T2T)

    pending = _user(sandbox, upn)
    assert {lic["skuId"] for lic in pending["assignedLicenses"]} == {EXO_STANDARD, T2T}
    exchange = [p for p in pending["assignedPlans"] if p["service"] == "exchange"]
    assert exchange and {p["capabilityStatus"] for p in exchange} == {"Enabled"}
    assert all(p["assignedDateTime"].endswith("Z") for p in exchange)
    assert "9aaf7827-d63c-4b61-89c3-182f06f82e5c" in {p["servicePlanId"] for p in exchange}
    assert _statuses(pending) == {"PendingInput"}
    assert {p["service"] for p in pending["provisionedPlans"]} >= {"exchange"}
    # Exchange has not reacted: no scrub, no fresh mailbox, no capability yet.
    assert "smtp:kai@legacy.fabrikam.net" in pending["proxyAddresses"]
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": upn})
    assert mu["RecipientTypeDetails"] == "MailUser"
    assert "smtp:kai@legacy.fabrikam.net" in mu["EmailAddresses"]
    assert "ExchangeT2TMbxMove" not in (mu.get("PersistedCapabilities") or [])

    # the sandbox clock is real time plus an offset: 10 s of slack for a slow machine
    advance_clock(sandbox, 110)
    assert _statuses(_user(sandbox, upn)) == {"PendingInput"}
    [mu] = ok(sandbox, "fabrikam", "Get-MailUser", {"Identity": upn})
    assert mu["RecipientTypeDetails"] == "MailUser"

    advance_clock(sandbox, 11)
    done = _user(sandbox, upn)
    assert _statuses(done) == {"Success"}
    assert "smtp:kai@legacy.fabrikam.net" not in done["proxyAddresses"]
    [mbx] = ok(sandbox, "fabrikam", "Get-Mailbox", {"Identity": upn})
    assert mbx["RecipientTypeDetails"] == "UserMailbox"  # licensed before its ExchangeGuid
    assert "ExchangeT2TMbxMove" in mbx["PersistedCapabilities"]


def test_exchange_reacts_on_an_exchange_read_too(sandbox: SandboxHandle) -> None:
    """The lazy pass runs before Exchange requests as well as Graph ones."""
    upn = "kai@fabrikam.com"
    assign_licenses(sandbox, "fabrikam", upn, EXO_STANDARD)
    advance_clock(sandbox, 121)
    [mbx] = ok(sandbox, "fabrikam", "Get-Mailbox", {"Identity": upn})
    assert mbx["RecipientTypeDetails"] == "UserMailbox"
    assert "legacy.fabrikam.net" not in str(mbx["EmailAddresses"])


def test_a_disabled_plan_shows_no_pending_status(sandbox: SandboxHandle) -> None:
    plan = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"  # EXCHANGE_S_STANDARD
    graph(sandbox, "fabrikam", "PATCH", "/users/kai@fabrikam.com", json={"usageLocation": "NL"})
    body = {"addLicenses": [{"skuId": EXO_STANDARD, "disabledPlans": [plan]}], "removeLicenses": []}
    r = graph(sandbox, "fabrikam", "POST", "/users/kai@fabrikam.com/assignLicense", json=body)
    assert r.status_code == 200, r.text
    user = _user(sandbox, "kai@fabrikam.com")
    assert user["assignedLicenses"][0]["disabledPlans"] == [plan]
    assert user["provisionedPlans"] == [] and user["assignedPlans"] == []


def test_plans_are_returned_only_on_select(sandbox: SandboxHandle) -> None:
    r = graph(sandbox, "fabrikam", "GET", "/users/kai@fabrikam.com")
    assert "provisionedPlans" not in r.json() and "assignedPlans" not in r.json()


def test_a_batch_started_before_the_t2t_licence_provisions_fails_without_licence(
    sandbox: SandboxHandle,
) -> None:
    """The move service checks ExchangeT2TMbxMove when the move starts; a T2T licence still
    provisioning is not there yet ([LEARN-24] "Licensing": the exception names both sides)."""
    set_pace(sandbox, STEP)
    setup_organizations(sandbox)
    address = "debra.berger@fabrikam.com"
    prepare_user(sandbox, "debra@contoso.com", address, licensed=False)
    assign_licenses(sandbox, "fabrikam", address, T2T)
    new_batch(sandbox, "early", address, AutoStart=True)
    advance_clock(sandbox, STEP + 1)  # the move starts: licence still pending
    # The exception names both sides by their Entra object ids (catalogue, README E7).
    ids = [
        graph(sandbox, tenant, "GET", f"/users/{upn}?$select=id").json()["id"]
        for tenant, upn in (("contoso", "debra@contoso.com"), ("fabrikam", address))
    ]
    s = spec("CrossTenantMigrationWithoutLicensePermanentException")
    summary = "CrossTenantMigrationWithoutLicensePermanentException: " + s.render(
        source_guid=ids[0], target_guid=ids[1]
    )
    u = user_status(sandbox, address)
    assert (u["Status"], u["ErrorSummary"]) == ("Failed", summary)
    [stats] = ok(sandbox, "fabrikam", "Get-MigrationUserStatistics", {"Identity": address})
    assert stats["Error"] == summary
    assert batch_status(sandbox, "early") == "Failed"


@pytest.fixture(scope="module")
def kind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    server = SandboxServer(Path(tmp_path_factory.mktemp("kind")), profile="kind").start()
    handle = SandboxHandle(server=server, profile=json.loads(server.profile_path.read_text()))
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


def test_kind_profile_provisions_at_once(kind: SandboxHandle) -> None:
    upn = "kai@fabrikam.com"
    assign_licenses(kind, "fabrikam", upn, EXO_STANDARD)
    user = _user(kind, upn)
    assert _statuses(user) == {"Success"}
    assert "smtp:kai@legacy.fabrikam.net" not in user["proxyAddresses"]
    [mbx] = ok(kind, "fabrikam", "Get-Mailbox", {"Identity": upn})
    assert mbx["RecipientTypeDetails"] == "UserMailbox"
