"""The ASGI application: one Starlette app, one router per Microsoft surface."""

from __future__ import annotations

from starlette.applications import Starlette

from t2t.sandbox import control, identity
from t2t.sandbox.context import SandboxContext
from t2t.sandbox.exchange import service as exchange


def create_app(ctx: SandboxContext) -> Starlette:
    # Order matters: fixed prefixes (/_sandbox, /adminapi) before identity's /{tenant}/….
    app = Starlette(routes=[*control.routes, *exchange.routes, *identity.routes])
    app.state.sandbox = ctx
    return app
