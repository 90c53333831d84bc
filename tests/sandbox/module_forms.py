"""The ExchangeOnlineManagement module's parameter forms, for sandbox tests (not a test module).

Encrypted values use the key the sandbox hands out over HTTPS (``GET
/adminapi/v1.0/{tenant}/EXOModuleFile``, the module text in ``value[].fileContent``), as the
module does;
the encodings themselves are t2t's client code (``t2t.clients.wire``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from t2t.clients import wire
from tests.conftest import SandboxHandle

_KEYS: dict[str, rsa.RSAPublicKey] = {}


def module_text(sandbox: SandboxHandle, tenant: str = "fabrikam") -> str:
    t = sandbox.tenant(tenant)
    r = sandbox.http.get(
        f"{sandbox.base_url}/adminapi/v1.0/{t['tenantId']}/EXOModuleFile",
        params={"Version": wire.MODULE_VERSION},
        headers={"Authorization": f"Bearer {sandbox.token(tenant)}"},
    )
    assert r.status_code == 200, r.text
    [record] = r.json()["value"]
    text: str = record["fileContent"]
    return text


def module_key(sandbox: SandboxHandle) -> rsa.RSAPublicKey:
    """The sandbox's module key (one per state directory, so one per running sandbox)."""
    if sandbox.base_url not in _KEYS:
        _KEYS[sandbox.base_url] = wire.public_key_from_module(module_text(sandbox))
    return _KEYS[sandbox.base_url]


def credential(sandbox: SandboxHandle, user: str, secret: str) -> str:
    """A PSCredential as New-MigrationEndpoint's proxy sends it."""
    return wire.encrypt(module_key(sandbox), wire.credential(user, secret))


def secure(sandbox: SandboxHandle, text: str) -> str:
    """A SecureString as New-MailUser's proxy sends it."""
    return wire.encrypt(module_key(sandbox), wire.secure_string(text))


def csv_data(*addresses: str) -> dict[str, Any]:
    """New-MigrationBatch -CSVData: the CSV file's bytes as #Exchange.ByteArrayType."""
    return wire.csv_data("EmailAddress\r\n" + "".join(f"{a}\r\n" for a in addresses))


def when(value: dt.datetime) -> str:
    """A DateTime as Transform-Parameters sends it."""
    return wire.datetime_value(value)
