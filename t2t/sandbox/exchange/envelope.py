"""The InvokeCommand response envelopes (wire-protocols.md §1.3–§1.5)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from t2t.sandbox.exchange.errors import CmdletError

CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)

NUL_BODY_LENGTH = 985
"""Length of the NUL-filled 403 body seen on the wire (§1.5 table, [DROLL])."""


def _headers(request_id: str) -> dict[str, str]:
    return {"OData-Version": "4.0", "request-id": request_id, "X-Backendhttpstatus": "200"}


def _warnings(warnings: list[str]) -> dict[str, Any]:
    return {"adminapi.warnings@odata.type": "#Collection(String)", "@adminapi.warnings": warnings}


def success(
    *,
    context_url: str,
    values: list[dict[str, Any]],
    warnings: list[str],
    next_link: str | None,
    request_id: str,
    page_size: int | None,
    confirmation_message: str | None = None,
) -> Response:
    """``confirmation_message``: the answer to a ``Confirm: true`` validation call, which the
    module reads as ``@adminapi.confirmationmessage`` (dump lines 1518–1523)."""
    body: dict[str, Any] = {"@odata.context": context_url, **_warnings(warnings)}
    if confirmation_message is not None:
        body["@adminapi.confirmationmessage"] = confirmation_message
    body["value"] = values
    if next_link:
        body["@odata.nextLink"] = next_link
    headers = _headers(request_id)
    if page_size is not None:
        headers["Preference-Applied"] = f"odata.maxpagesize={page_size}"
    return JSONResponse(body, headers=headers, media_type=CONTENT_TYPE)


def error(exc: CmdletError, *, warnings: list[str], request_id: str) -> Response:
    """Error envelope; ``error.message`` is generic, the detail carries the exception."""
    body = {
        "error": {
            "code": exc.code,
            "message": "Error executing cmdlet",
            "details": [{"code": "Client", "target": "", "message": exc.detail_message}],
            "innererror": {
                "message": "Error executing cmdlet",
                "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                "internalexception": {
                    "message": exc.text,
                    "type": "Microsoft.Exchange.Management.PSDirectInvoke."
                    "DirectInvokeCmdletExecutionException",
                },
            },
        },
        **_warnings(warnings),
    }
    headers = _headers(request_id)
    headers["X-Backendhttpstatus"] = str(exc.status)
    return JSONResponse(body, status_code=exc.status, headers=headers, media_type=CONTENT_TYPE)


ACCESS_DENIED = "CmdletAccessDeniedException"
"""The ``x-ExceptionType`` of a 403 (exo-module-protocol.md "Paging, result size, retries,
errors"; the module reads the header into the error's reason, dump lines 457–460)."""


def nul_forbidden(request_id: str) -> Response:
    """403 for an unknown cmdlet or missing RBAC: NUL bytes labelled gzip (§1.5).

    It is not gzip, so httpx raises ``DecodingError`` when it reads the body; clients
    must judge by the status and ``x-ExceptionType`` (or send ``Accept-Encoding: identity``
    and still get the NULs).
    """
    return Response(
        b"\x00" * NUL_BODY_LENGTH,
        status_code=403,
        headers={
            "Content-Encoding": "gzip",
            "request-id": request_id,
            "x-ExceptionType": ACCESS_DENIED,
        },
        media_type="application/json",
    )


def unauthorized(reason: str, request_id: str) -> Response:
    """401 for a missing, invalid, foreign or under-privileged token (§1.5, §1.7).

    The real body is not documented; the sandbox sends none and explains itself in
    ``X-Sandbox-Reason`` (not a Microsoft header).
    """
    return Response(
        b"",
        status_code=401,
        headers={
            "WWW-Authenticate": 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
            'trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
            'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
            'error="invalid_token"',
            "request-id": request_id,
            "X-Sandbox-Reason": reason,
        },
    )
