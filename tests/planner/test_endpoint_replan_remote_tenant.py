"""The endpoint's write is planned again at apply time (t2t/apply/executors/endpoint.py calls
`plan_endpoint`). An endpoint whose RemoteTenant was changed by hand since the plan cannot be
repaired in place (Set-MigrationEndpoint has no -RemoteTenant), so that re-plan blocks the
write with T2T-E232 instead of sending Set-MigrationEndpoint to an endpoint that reaches
another tenant."""

from __future__ import annotations

from t2t.planner.endpoint import EndpointDesire, plan_endpoint
from t2t.planner.shared.app import AppDesire
from t2t.state.exchange import MigrationEndpoint

APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
DESIRE = EndpointDesire(
    name="contoso-merger",
    remote_tenant="contoso.onmicrosoft.com",
    app=AppDesire(app_id=APP_ID, display_name=None, unique_name=None, role_id="r"),
    app_id=APP_ID,
    credential="clientSecret",
    max_concurrent_migrations=100,
)


def _endpoint(remote_tenant: str | None, concurrency: int) -> MigrationEndpoint:
    return MigrationEndpoint(
        identity="contoso-merger",
        endpoint_type="ExchangeRemoteMove",
        remote_server="outlook.office.com",
        remote_tenant=remote_tenant,
        application_id=APP_ID,
        app_secret_key_vault_url=None,
        max_concurrent_migrations=concurrency,
    )


def test_a_remote_tenant_changed_by_hand_blocks_the_write() -> None:
    out = plan_endpoint(DESIRE, (_endpoint("northwind.onmicrosoft.com", 50),))
    assert [(f.code, f.tenant, f.object, f.message, f.fixed_by_plan) for f in out.findings] == [
        (
            "T2T-E232",
            "target",
            "contoso-merger",
            "RemoteTenant is northwind.onmicrosoft.com: not the source domain "
            "contoso.onmicrosoft.com",
            False,
        )
    ]
    assert out.action is not None
    assert out.action.parameters == {"Identity": "contoso-merger", "MaxConcurrentMigrations": 100}
    assert out.action.blocked_by == ("T2T-E232",)


def test_the_right_remote_tenant_writes_unblocked() -> None:
    out = plan_endpoint(DESIRE, (_endpoint("Contoso.onmicrosoft.com", 50),))
    assert out.findings == []
    assert out.action is not None
    assert out.action.parameters == {"Identity": "contoso-merger", "MaxConcurrentMigrations": 100}
    assert out.action.blocked_by == ()


def test_a_remote_tenant_changed_by_hand_blocks_even_when_nothing_else_differs() -> None:
    """Nothing t2t could send would repair it, yet the endpoint is not as desired: the re-plan
    still gives a (blocked, empty) write, so the executor fails with E232 instead of
    reporting the endpoint "already as desired"."""
    out = plan_endpoint(DESIRE, (_endpoint("northwind.onmicrosoft.com", 100),))
    assert [f.code for f in out.findings] == ["T2T-E232"]
    assert out.action is not None
    assert out.action.parameters == {"Identity": "contoso-merger"}
    assert out.action.changes == ()
    assert out.action.blocked_by == ("T2T-E232",)


def test_a_remote_tenant_changed_by_hand_to_the_tenant_id_says_so() -> None:
    """A GUID is the usual slip (the source's tenant id instead of its domain): the finding
    names it, so the operator knows what to type instead."""
    out = plan_endpoint(DESIRE, (_endpoint("6D0C3F1E-8B2A-4C47-9E15-3A5B7C9D1E20", 100),))
    assert [(f.code, f.message, f.fixed_by_plan) for f in out.findings] == [
        (
            "T2T-E232",
            "RemoteTenant is 6D0C3F1E-8B2A-4C47-9E15-3A5B7C9D1E20: the tenant id, not the "
            "source domain contoso.onmicrosoft.com",
            False,
        )
    ]
    assert out.action is not None
    assert out.action.blocked_by == ("T2T-E232",)


def test_a_remote_tenant_cleared_by_hand_is_not_set() -> None:
    out = plan_endpoint(DESIRE, (_endpoint(None, 100),))
    assert [(f.code, f.message, f.fixed_by_plan) for f in out.findings] == [
        (
            "T2T-E232",
            "RemoteTenant is not set: not the source domain contoso.onmicrosoft.com",
            False,
        )
    ]
    assert out.action is not None
    assert out.action.blocked_by == ("T2T-E232",)
