"""Secrets and tokens never reach a log line, whatever key they hide under."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from t2t import logs
from t2t.logs import REDACTED, configure_logging, register_secret, scrub

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJlLXZhbHVl"


def _log_json(**fields: object) -> dict[str, object]:
    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream)
    structlog.get_logger("test").info("event", **fields)
    line = stream.getvalue().strip()
    return json.loads(line)


def test_secret_named_keys_are_masked() -> None:
    out = _log_json(client_secret="s3cr3t-value", password="hunter22", Authorization="x")
    assert out["client_secret"] == REDACTED
    assert out["password"] == REDACTED
    assert out["Authorization"] == REDACTED


def test_bearer_tokens_and_jwts_are_masked_under_any_key() -> None:
    out = _log_json(note=f"sent Bearer {JWT}", detail={"blob": JWT, "list": [JWT]})
    text = json.dumps(out)
    assert JWT not in text
    assert "Bearer" not in text or REDACTED in text


def test_registered_secret_is_masked_inside_free_text() -> None:
    register_secret("Zq8~plain-secret-from-env")
    out = _log_json(message="the value was Zq8~plain-secret-from-env, oops", nested=[{"a": "x"}])
    assert "plain-secret" not in json.dumps(out)
    assert out["message"] == f"the value was {REDACTED}, oops"


def test_thousands_of_registered_secrets_are_each_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a few secrets per length, scrub looks up the string's windows instead of searching
    for every secret (an apply registers a password per New-MailUser): the same masking."""
    monkeypatch.setattr(logs, "_registered", set())
    monkeypatch.setattr(logs, "_lengths", set())
    passwords = [f"pw-{i:05d}-{'x' * 15}" for i in range(5000)]  # 24 characters each
    for p in passwords:
        register_secret(p)
    register_secret("short-one")  # another length
    register_secret(passwords[7] + "-and-more")  # holds a shorter secret: masked whole
    assert len(logs._registered) > logs._SEARCH_EACH_UP_TO * len(logs._lengths)
    text = (
        f"a {passwords[4321]} b {passwords[0]}{passwords[0]} c short-one d {passwords[7]}-and-more"
    )
    assert scrub(text) == f"a {REDACTED} b {REDACTED}{REDACTED} c {REDACTED} d {REDACTED}"
    assert scrub("pw-99999-xxxxxxxxxxxxxxx, nothing registered") == (
        "pw-99999-xxxxxxxxxxxxxxx, nothing registered"
    )
    assert scrub({"note": [passwords[1]]}) == {"note": [REDACTED]}


def test_console_format_is_redacted_too() -> None:
    stream = io.StringIO()
    configure_logging("console", "info", stream=stream)
    structlog.get_logger("test").info("token issued", access_token=JWT)
    assert JWT not in stream.getvalue()
    assert REDACTED in stream.getvalue()


def test_scrub_keeps_ordinary_values() -> None:
    assert scrub({"DomainNames": ["contoso.com"], "count": 3}) == {
        "DomainNames": ["contoso.com"],
        "count": 3,
    }


def test_level_filter_drops_debug() -> None:
    stream = io.StringIO()
    configure_logging("json", "warning", stream=stream)
    structlog.get_logger("test").debug("quiet")
    assert stream.getvalue() == ""
