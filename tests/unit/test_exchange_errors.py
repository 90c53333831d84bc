"""InvokeCommand error answers as the module reads them (wire.py CONFIRMED["errors"]):
`error.details[0].message` in either form, else `innererror.internalexception`, and the
`x-ExceptionType` header — each becomes the typed error t2t acts on."""

from __future__ import annotations

import json
from typing import Any

import httpx

from t2t.clients.errors import ExchangeError, ObjectNotFound, PermissionDenied
from t2t.clients.exchange import _error
from t2t.clients.http import HttpResult


def _result(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResult:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResult(status, httpx.Headers(headers or {}), content, "rid-1")


def test_pipe_form_detail() -> None:
    body = {
        "error": {
            "code": "NotFound",
            "message": "Error executing cmdlet",
            "details": [
                {
                    "message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks."
                    "ManagementObjectNotFoundException|The operation couldn't be performed "
                    "because object 'x' couldn't be found."
                }
            ],
        }
    }
    err = _error(_result(404, body), "Get-MailUser")
    assert isinstance(err, ObjectNotFound)
    assert (err.error_id, err.short_type) == ("Ex6F9304", "ManagementObjectNotFoundException")
    assert (
        err.message == "The operation couldn't be performed because object 'x' couldn't be found."
    )
    assert err.request_id == "rid-1"


def test_json_object_form_detail() -> None:
    detail = {
        "ClassName": "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
        "Message": "The recipient is already a member of the group.",
        "localizedString": {"stringId": "ErrorMemberAlreadyExists"},
    }
    body = {"error": {"code": "BadRequest", "details": [{"message": json.dumps(detail)}]}}
    err = _error(_result(400, body), "Add-DistributionGroupMember")
    assert type(err) is ExchangeError
    assert err.exception_type.endswith("MemberAlreadyExistsException")
    assert err.error_id == "ErrorMemberAlreadyExists"
    assert err.message == "The recipient is already a member of the group."


def test_inner_exception_when_there_are_no_details() -> None:
    body = {
        "error": {
            "code": "BadRequest",
            "message": "Error executing cmdlet",
            "innererror": {
                "internalexception": {
                    "message": "Cannot convert 'x' to the type 'System.Guid'.",
                    "type": "System.Management.Automation.ParameterBindingException",
                }
            },
        }
    }
    err = _error(_result(400, body), "Set-MailUser")
    assert isinstance(err, ExchangeError)
    assert err.message == "Cannot convert 'x' to the type 'System.Guid'."
    assert err.short_type == "ParameterBindingException"


def test_header_names_the_exception_of_an_unreadable_403() -> None:
    err = _error(
        _result(403, b"\x00" * 985, {"x-ExceptionType": "CmdletAccessDeniedException"}),
        "New-MailUser",
    )
    assert isinstance(err, PermissionDenied)
    assert err.exception_type == "CmdletAccessDeniedException"
    assert "New-MailUser: CmdletAccessDeniedException" in err.message


def test_header_type_is_kept_when_the_detail_has_none() -> None:
    body = {
        "error": {
            "code": "Forbidden",
            "details": [
                {"message": "The role assigned to application a isn't supported in this scenario."}
            ],
        }
    }
    err = _error(_result(403, body, {"X-ExceptionType": "CmdletAccessDeniedException"}), "Get-User")
    assert isinstance(err, PermissionDenied)
    assert err.exception_type == "CmdletAccessDeniedException"
    assert "isn't supported in this scenario" in err.message
