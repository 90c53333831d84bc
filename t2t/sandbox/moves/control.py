"""Sandbox-only control of the Exchange surface (not Microsoft's):

- ``GET /_sandbox/moves`` → each tenant's move-service settings;
- ``POST /_sandbox/moves`` with any of ``{"secondsPerStep": N, "trimExchangeGuidParameter":
  bool, "tenant": "<name>"}`` (no ``tenant``: every tenant) → the settings. The pace is
  sandbox seconds per migration-user status step; reset restores the default (60);
- ``PATCH /_sandbox/exchange/{tenant}/recipients/{identity}`` with fields of
  ``recipients.Recipient`` by their snake_case names (e.g. ``{"litigation_hold_enabled":
  true, "total_deleted_item_size": 42949672960}``): arrange states the seed lacks (holds,
  aux archives, sizes, quotas, demoted archives). Unknown fields → 400;
- ``POST /_sandbox/exchange/{tenant}/organization`` with ``{"isDehydrated": true}``: put an
  organization back in the dehydrated state new small tenants start in (Microsoft has no
  API to dehydrate; ``Enable-OrganizationCustomization`` hydrates, microsoft-365-docs
  #7403) → the tenant's ``{"isDehydrated": …}``; with ``{"inPlaceHolds": ["mbx<guid>:1", …]}``
  (either key or both) set the organization-wide retention policies Get-OrganizationConfig
  lists (Microsoft creates them in the Purview portal, which the sandbox does not emulate;
  moves/conditions.py) → ``{"isDehydrated": …, "inPlaceHolds": […]}``.

Everything here is applied under the state lock and saved like a cmdlet's write.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import context_of
from t2t.sandbox.exchange.directory import find_recipient
from t2t.sandbox.recipients import Recipient


def _settings(request: Request) -> dict[str, Any]:
    state = context_of(request).store.state
    return {
        t.name: {
            "secondsPerStep": t.move_service.seconds_per_step,
            "trimExchangeGuidParameter": t.move_service.trim_exchange_guid_parameter,
        }
        for t in state.tenants
    }


async def get_moves(request: Request) -> Response:
    return JSONResponse(_settings(request))


async def set_moves(request: Request) -> Response:
    ctx = context_of(request)
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(data) - {"secondsPerStep", "trimExchangeGuidParameter", "tenant"}
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        with ctx.store.lock:
            tenants = ctx.store.state.tenants
            if "tenant" in data:
                tenants = [t for t in tenants if t.name == data["tenant"]]
                if not tenants:
                    raise ValueError(f"no tenant named {data['tenant']!r}")
            for t in tenants:
                if "secondsPerStep" in data:
                    t.move_service.seconds_per_step = int(data["secondsPerStep"])
                if "trimExchangeGuidParameter" in data:
                    t.move_service.trim_exchange_guid_parameter = bool(
                        data["trimExchangeGuidParameter"]
                    )
            ctx.store.save()
    except (ValueError, TypeError, ValidationError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(_settings(request))


async def patch_recipient(request: Request) -> Response:
    ctx = context_of(request)
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(data) - set(Recipient.model_fields)
        if unknown:
            raise ValueError(f"unknown Recipient fields: {sorted(unknown)}")
        with ctx.store.lock:
            tenant = ctx.store.state.tenant_by_name(request.path_params["tenant"])
            if tenant is None:
                return JSONResponse({"error": "no such tenant"}, status_code=404)
            found = find_recipient(tenant, request.path_params["identity"], unique=False)
            if found is None:
                return JSONResponse({"error": "no such recipient"}, status_code=404)
            user, current = found
            user.recipient = Recipient.model_validate({**current.model_dump(), **data})
            ctx.store.save()
            return JSONResponse(user.recipient.model_dump(mode="json"))
    except (ValueError, TypeError, ValidationError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


async def set_organization(request: Request) -> Response:
    ctx = context_of(request)
    try:
        data = await request.json()
        keys = {"isDehydrated", "inPlaceHolds"}
        if not isinstance(data, dict) or not data or set(data) - keys:
            raise ValueError('send {"isDehydrated": true|false} and/or {"inPlaceHolds": [...]}')
        if "isDehydrated" in data and not isinstance(data["isDehydrated"], bool):
            raise ValueError("isDehydrated must be a boolean")
        holds = data.get("inPlaceHolds", [])
        if not isinstance(holds, list) or not all(isinstance(h, str) for h in holds):
            raise ValueError("inPlaceHolds must be a list of strings")
        with ctx.store.lock:
            tenant = ctx.store.state.tenant_by_name(request.path_params["tenant"])
            if tenant is None:
                return JSONResponse({"error": "no such tenant"}, status_code=404)
            cfg = tenant.organization_config
            if "isDehydrated" in data:
                cfg.is_dehydrated = data["isDehydrated"]
            if "inPlaceHolds" in data:
                cfg.in_place_holds = list(holds)
            ctx.store.save()
            return JSONResponse(
                {"isDehydrated": cfg.is_dehydrated, "inPlaceHolds": cfg.in_place_holds}
            )
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


routes = [
    Route("/_sandbox/moves", get_moves, methods=["GET"]),
    Route("/_sandbox/moves", set_moves, methods=["POST"]),
    Route("/_sandbox/exchange/{tenant}/recipients/{identity}", patch_recipient, methods=["PATCH"]),
    Route("/_sandbox/exchange/{tenant}/organization", set_organization, methods=["POST"]),
]
