"""Small assertions shared by the sandbox tests (not a test module)."""

from __future__ import annotations

from typing import Any

import httpx


def error_detail(response: httpx.Response) -> tuple[str, str, str]:
    """(error id, .NET exception type, text) of an InvokeCommand error (§1.5)."""
    body: dict[str, Any] = response.json()
    eid, exc_type, text = body["error"]["details"][0]["message"].split("|", 2)
    return eid, exc_type, text


def values(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["value"]
    return data


def warnings(response: httpx.Response) -> list[str]:
    data: list[str] = response.json()["@adminapi.warnings"]
    return data
