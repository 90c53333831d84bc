"""The ASGI application: one Starlette app, one router per Microsoft surface."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import Scope

from t2t.sandbox import control, device_flow, identity
from t2t.sandbox.azure import arm, vault_routes
from t2t.sandbox.context import SandboxContext
from t2t.sandbox.exchange import module_file
from t2t.sandbox.exchange import service as exchange
from t2t.sandbox.faults import (
    Action,
    FaultsMiddleware,
    RequestInfo,
    access_of,
    classify,
    cmdlet_of,
)
from t2t.sandbox.graph import service as graph
from t2t.sandbox.throttle import is_exchange_command, is_identity_write
from t2t.sandbox.tokens import TokenError


def create_app(ctx: SandboxContext) -> Starlette:
    # Order matters: fixed prefixes (/_sandbox, /adminapi, /v1.0, /subscriptions, /keyvault)
    # before identity's /{tenant}/…. The faults middleware wraps every surface (faults.py).
    app = Starlette(
        routes=[
            *control.routes,
            *device_flow.control_routes,
            *exchange.routes,
            *module_file.routes,
            *graph.routes,
            *arm.routes,
            *vault_routes.routes,
            *identity.routes,
            *device_flow.routes,
        ],
        middleware=[
            Middleware(
                FaultsMiddleware,
                faults=ctx.faults,
                resolve=fault_resolver(ctx),
                throttle=budget_decider(ctx),
                throttled=budget_filter(ctx),
            )
        ],
    )
    app.state.sandbox = ctx
    return app


def budget_filter(ctx: SandboxContext) -> Callable[[str, str], bool]:
    """Whether a top-level request may count against Microsoft's budgets (throttle.py):
    only while ``strictness.throttling``; ``$batch`` items are counted in graph/batch.py."""

    def may_count(method: str, path: str) -> bool:
        if not ctx.strictness.throttling:
            return False
        if path.startswith("/v1.0/"):
            return not path.endswith("/$batch") and is_identity_write(method, path)
        return is_exchange_command(method, path)

    return may_count


def budget_decider(ctx: SandboxContext) -> Callable[[RequestInfo, bytes, Scope], Action | None]:
    def decide(info: RequestInfo, body: bytes, scope: Scope) -> Action | None:
        if not ctx.strictness.throttling:
            return None
        request_id = dict(scope.get("headers") or []).get(b"client-request-id", b"")
        return ctx.throttle.decide(info, body, request_id.decode("latin-1") or None)

    return decide


def fault_resolver(ctx: SandboxContext) -> Callable[[Scope, str, bytes], RequestInfo]:
    """What the faults middleware needs to match a request: service, tenant, cmdlet,
    read or write."""

    def resolve(scope: Scope, path: str, body: bytes) -> RequestInfo:
        service, segment = classify(path)
        tenant = ctx.store.state.resolve_tenant(segment) if segment else None
        app_id = None
        if service in ("graph", "arm", "keyvault"):
            auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            try:
                claims = ctx.signer.verify(auth[7:].strip())
                tenant = ctx.store.state.resolve_tenant(claims.tid)
                app_id = claims.appid
            except TokenError:
                tenant = None
        method = scope.get("method", "GET")
        cmdlet = cmdlet_of(body) if service == "exchange" else None
        return RequestInfo(
            service,
            tenant.name if tenant else None,
            method,
            path,
            cmdlet=cmdlet,
            app_id=app_id,
            tenant_id=tenant.tenant_id if tenant else None,
            access=access_of(service, method, path, cmdlet, body),
        )

    return resolve
