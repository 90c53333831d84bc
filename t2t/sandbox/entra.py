"""Entra's token-endpoint answers shared by every grant: the error body and the form.

Error bodies follow Entra's shape (wire-protocols.md §3.3;
https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
"""

from __future__ import annotations

import urllib.parse

from starlette.requests import Request
from starlette.responses import JSONResponse

from t2t.sandbox.context import new_request_id, utc_timestamp


def aad_error(status: int, error: str, code: int, description: str) -> JSONResponse:
    """An Entra token-endpoint error body (wire-protocols.md §3.3)."""
    trace, corr, ts = new_request_id(), new_request_id(), utc_timestamp()
    return JSONResponse(
        {
            "error": error,
            "error_description": (
                f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
                f"Correlation ID: {corr}\r\nTimestamp: {ts}"
            ),
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        status_code=status,
    )


def tenant_not_found(segment: str) -> JSONResponse:
    return aad_error(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and "
        "are signing into the correct cloud. Check with your subscription administrator, this "
        "may happen if there are no active subscriptions for the tenant.",
    )


def application_not_found(client_id: str, tenant_name: str) -> JSONResponse:
    """AADSTS700016, its text as Entra gives it (reference-error-codes; wire-protocols.md
    §3.3): a client id the tenant does not know, for a confidential or a public client."""
    return aad_error(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{tenant_name}'. This can happen if the application has not been "
        "installed by the administrator of the tenant or consented to by any user in the "
        "tenant. You may have sent your authentication request to the wrong tenant.",
    )


async def form_of(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; a repeated field keeps its last value."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
