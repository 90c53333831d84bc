"""How t2t reads Exchange's error answers into typed errors (wire.py CONFIRMED["errors"]):
both `details[].message` forms, the `x-ExceptionType` header, the bodiless 401/403, and the
module file answer. Server answers are untrusted: each case here is one a test against the
sandbox cannot produce on demand, built as the bytes Exchange sends."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from t2t.clients import ExchangeError, ObjectNotFound, PermissionDenied, ServiceError
from t2t.clients.exchange import _detail, _error, _module_text
from t2t.clients.http import HttpResult

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"


def _answer(status: int, body: Any = None, **headers: str) -> HttpResult:
    content = (
        b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    return HttpResult(status, httpx.Headers(headers), content, "req-1")


def _envelope(detail: str | None, **extra: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"code": "NotFound", "message": "Error executing cmdlet", **extra}
    if detail is not None:
        err["details"] = [{"code": "Context", "target": "", "message": detail}]
    return {"error": err}


def test_pipe_form_keeps_every_bar_after_the_second_in_the_text() -> None:
    assert _detail("Ex6A2B|Some.Type|a | b | c") == ("Ex6A2B", "Some.Type", "a | b | c")


def test_json_form_reads_class_name_or_type_name_message_and_string_id() -> None:
    by_class = {"ClassName": "A.B", "Message": "m", "localizedString": {"stringId": "S1"}}
    assert _detail(json.dumps(by_class)) == ("S1", "A.B", "m")
    assert _detail(json.dumps({"TypeName": "C.D", "Message": "n"})) == ("", "C.D", "n")
    assert _detail(json.dumps({"localizedString": "flat"})) == ("", "", "")
    assert _detail("{not json") is None
    assert _detail("plain text") is None


def test_not_found_in_the_pipe_form_is_object_not_found() -> None:
    exc = _error(
        _answer(404, _envelope(f"|{NOT_FOUND}|The object 'x' couldn't be found.")), "Get-X"
    )
    assert isinstance(exc, ObjectNotFound)
    assert (exc.status, exc.code, exc.error_id, exc.message) == (
        404,
        "NotFound",
        "",
        "The object 'x' couldn't be found.",
    )
    assert str(exc) == "Get-X: ManagementObjectNotFoundException: The object 'x' couldn't be found."


def test_the_header_names_the_type_when_the_detail_does_not() -> None:
    detail = json.dumps({"Message": "denied"})
    exc = _error(
        _answer(400, _envelope(detail), **{"x-ExceptionType": "Some.OtherException"}), "Set-X"
    )
    assert isinstance(exc, ExchangeError) and not isinstance(exc, PermissionDenied)
    assert (exc.exception_type, exc.message) == ("Some.OtherException", "denied")


def test_an_unparsed_detail_is_the_message() -> None:
    exc = _error(_answer(400, _envelope("just words")), "Set-X")
    assert isinstance(exc, ExchangeError) and exc.message == "just words"


def test_the_inner_exception_is_read_when_there_are_no_details() -> None:
    inner = {"internalexception": {"message": "inner text", "type": "Inner.Type"}}
    exc = _error(_answer(500, _envelope(None, innererror=inner)), "New-X")
    assert isinstance(exc, ExchangeError)
    assert (exc.exception_type, exc.message) == ("Inner.Type", "inner text")
    bare = _error(_answer(500, _envelope(None)), "New-X")
    assert isinstance(bare, ExchangeError)
    assert (bare.exception_type, bare.message) == ("", "Error executing cmdlet")


@pytest.mark.parametrize(
    ("status", "header", "what"),
    [
        (403, "", "Forbidden"),
        (401, "", "Unauthorized"),
        (403, "CmdletAccessDeniedException", "CmdletAccessDeniedException"),
    ],
)
def test_a_bodiless_refusal_is_permission_denied(status: int, header: str, what: str) -> None:
    headers = {"x-ExceptionType": header} if header else {}
    exc = _error(_answer(status, b"\x00" * 985, **headers), "Get-X")
    assert isinstance(exc, PermissionDenied)
    assert (exc.status, exc.code, exc.exception_type) == (status, what, header)
    assert (
        exc.message == f"Get-X: {what}: the identity holds no Exchange role that allows this cmdlet"
    )


def test_a_bodiless_other_error_is_unreadable_not_permission() -> None:
    exc = _error(_answer(404, b"\x00"), "Get-X")
    assert type(exc) is ServiceError
    assert (exc.code, exc.message) == ("Unreadable", "Get-X: unreadable error body")


def test_an_enveloped_403_without_a_type_is_permission_denied_but_a_typed_one_is_not() -> None:
    untyped = _error(_answer(403, _envelope("no role")), "Get-X")
    assert isinstance(untyped, PermissionDenied) and untyped.message == "Get-X: no role"
    typed = _error(_answer(403, _envelope("|Some.Type|x")), "Get-X")
    assert not isinstance(typed, PermissionDenied)
    not_found = _error(_answer(404, _envelope("words")), "Get-X")
    assert not isinstance(not_found, PermissionDenied)


def test_module_text_skips_unusable_items_and_needs_a_psm1() -> None:
    ok = {
        "value": [
            "junk",
            {"fileName": "a.psd1", "fileContent": "manifest"},
            {"fileContent": 3},
            {"fileName": "Module.PSM1", "fileContent": "the module"},
        ]
    }
    assert _module_text(_answer(200, ok)) == "the module"
    for body in ({"value": [{"fileContent": "no name"}]}, {"value": "x"}, [1]):
        with pytest.raises(
            ValueError, match=r"^the Exchange module file answer holds no \.psm1 fileContent$"
        ):
            _module_text(_answer(200, body))


def test_missing_fields_read_as_empty() -> None:
    assert _detail(json.dumps({"ClassName": "A.B", "localizedString": {}})) == ("", "A.B", "")
    exc = _error(_answer(400, {"error": {"details": [{"message": "words"}]}}), "Set-X")
    assert isinstance(exc, ExchangeError)
    assert (exc.code, exc.error_id, exc.exception_type, exc.message) == ("", "", "", "words")
    bare = _error(_answer(400, {"error": {}}), "Set-X")
    assert (bare.code, bare.message) == ("", "")
    inner = {"internalexception": {"message": "inner text"}}
    untyped = _error(_answer(500, _envelope(None, innererror=inner)), "New-X")
    assert isinstance(untyped, ExchangeError) and untyped.exception_type == ""


def test_cmdlet_access_denied_is_permission_denied_at_any_status() -> None:
    denied = "Microsoft.Exchange.Management.Tasks.CmdletAccessDeniedException"
    exc = _error(_answer(400, _envelope(f"|{denied}|not allowed")), "Set-X")
    assert isinstance(exc, PermissionDenied) and exc.exception_type == denied
    unauthorized = _error(_answer(401, _envelope("expired")), "Get-X")
    assert isinstance(unauthorized, PermissionDenied) and unauthorized.status == 401
