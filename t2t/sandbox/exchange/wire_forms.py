"""The parameter encodings the ExchangeOnlineManagement module sends, and nothing else.

Why strict: t2t must talk to InvokeCommand exactly as Microsoft's own module does, so the
sandbox binds ``byte[]``, ``DateTime``, ``PSCredential`` and ``SecureString`` only in the
module's forms. Source for each: the generated proxy module, as dumped in
``Calvindd2f/EXO_PROJECT`` ``.idea/full_modoule_dump.ps1`` (line numbers of that file),
summarised in ``reference/exo-module-protocol.md``. Where Microsoft's own answer to a wrong
form is unknown the sandbox refuses it anyway (README, "Open questions").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from t2t.sandbox.exchange.errors import (
    CRYPTOGRAPHIC,
    INVALID_CAST,
    CmdletError,
    transformation_error,
)

Decrypt = Callable[[str], str | None]
"""``ModuleKey.decrypt``: the plain text of an ``Encrypt-Value`` result, else None."""

BYTE_ARRAY_TYPE = "#Exchange.ByteArrayType"
"""ConvertTo-ByteArray (dump lines 752–767): ``@{'@odata.type'='#Exchange.ByteArrayType';
'Data'=<the bytes>}``, used by Transform-Parameters for every ``[Byte[]]`` value (line 1282)."""

CREDENTIAL_KEYS = ("UserName", "Password")
"""New-MigrationEndpoint's proxy (dump line 30927; Set-MigrationEndpoint line 51352):
``select UserName, @{Name='Password'; Expression={$_.GetNetworkCredential().Password}} |
ConvertTo-Json -Compress`` — exactly these two keys, in this spelling."""

_SORTABLE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
"""Transform-Parameters (dump line 1292): ``$value.ToUniversalTime().ToString(
Get-SortableDateTimePattern)``; the pattern is the culture's SortableDateTimePattern, whose
fallback (line 73) and invariant value is ``yyyy'-'MM'-'dd'T'HH':'mm':'ss`` — UTC, no
fraction, no zone designator."""


@dataclass(frozen=True)
class Credential:
    """A bound ``PSCredential`` (never logged, never rendered)."""

    user_name: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class SecureValue:
    """A bound ``SecureString``: its plain text, hidden from ``repr``."""

    text: str = field(repr=False)

    def __bool__(self) -> bool:
        return bool(self.text)


def _cast_error(value: Any) -> CmdletError:
    """A JSON object or array where the server expects the encrypted string: HTTP 500
    "Unable to cast object of type 'JObject' to type 'System.String'" on New- and
    Set-MigrationEndpoint [live, exo-module-protocol.md "Sensitive parameters"; .NET's
    InvalidCastException text ends with a period]."""
    shown = "JObject" if isinstance(value, Mapping) else "JArray"
    return CmdletError(
        500,
        INVALID_CAST,
        f"Unable to cast object of type '{shown}' to type 'System.String'.",
        code="InternalServerError",
        error_id="",
    )


def _decrypted(name: str, value: Any, decrypt: Decrypt | None) -> str:
    """The plain text of an ``Encrypt-Value`` result (dump lines 299–329: UTF-8 bytes,
    ``RSACryptoServiceProvider.Encrypt($bytes, $false)`` = PKCS#1 v1.5, base64)."""
    if isinstance(value, (Mapping, list)):
        raise _cast_error(value)
    text = value if isinstance(value, str) else json.dumps(value)
    plain = decrypt(text) if decrypt is not None and text else None
    if plain is None:
        # Microsoft's answer to a plain or foreign-key value is not public (README "Open
        # questions"); the sandbox refuses it as the failed decryption it would be.
        raise CmdletError(
            500,
            CRYPTOGRAPHIC,
            f"The value of parameter '{name}' can't be decrypted. Send it as the module's "
            "Encrypt-Value does: the base64 of RSA PKCS#1 v1.5 ciphertext under the $PublicKey "
            "of the module file (GET /adminapi/v1.0/{tenant}/EXOModuleFile).",
            code="InternalServerError",
            error_id="",
        )
    return plain


def credential(name: str, value: Any, decrypt: Decrypt | None) -> Credential:
    """``PSCredential``: the encrypted compact JSON ``{"UserName":…,"Password":…}``."""
    plain = _decrypted(name, value, decrypt)
    try:
        data = json.loads(plain)
    except ValueError:
        data = None
    if (
        isinstance(data, dict)
        and tuple(sorted(data)) == tuple(sorted(CREDENTIAL_KEYS))
        and isinstance(data["UserName"], str)
        and data["UserName"]
        and isinstance(data["Password"], str)
        and data["Password"]
    ):
        return Credential(data["UserName"], data["Password"])
    raise transformation_error(
        name,
        "System.String",
        "System.Management.Automation.PSCredential",
        'The decrypted value is not {"UserName":"…","Password":"…"} as the module writes a '
        "PSCredential (ConvertTo-Json -Compress).",
    )


def secure_string(name: str, value: Any, decrypt: Decrypt | None) -> SecureValue:
    """``SecureString``: its plain text, encrypted (New-MailUser's proxy, dump lines
    29827–29828: ``NetworkCredential('', $Password).Password`` then Encrypt-Value). An empty
    string is what Encrypt-Value passes through unencrypted (line 327)."""
    if value == "":
        return SecureValue("")
    return SecureValue(_decrypted(name, value, decrypt))


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def byte_array(name: str, value: Any) -> bytes:
    """``byte[]``: only ``{"@odata.type":"#Exchange.ByteArrayType","Data":[0..255,…]}``."""
    if isinstance(value, Mapping):
        if set(value) != {"@odata.type", "Data"} or value.get("@odata.type") != BYTE_ARRAY_TYPE:
            raise transformation_error(
                name,
                "System.Collections.Hashtable",
                "System.Byte[]",
                'A byte array is sent as {"@odata.type":"#Exchange.ByteArrayType","Data":[…]} '
                "(ConvertTo-ByteArray); got the keys " + ", ".join(sorted(map(str, value))) + ".",
            )
        data = value["Data"]
        if isinstance(data, list) and all(
            isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in data
        ):
            return bytes(data)
        raise transformation_error(
            name,
            "System.Object[]",
            "System.Byte[]",
            "Value was either too large or too small for an unsigned byte.",
        )
    if isinstance(value, str):  # e.g. base64 text: PowerShell reads each element as a number
        raise transformation_error(
            name,
            _shown(value),
            "System.Byte[]",
            f'Cannot convert value "{_shown(value)}" to type "System.Byte". Error: "Input '
            'string was not in a correct format."',
        )
    if isinstance(value, list):  # the bare array: not the module's form (README "Open questions")
        raise transformation_error(
            name,
            "System.Object[]",
            "System.Byte[]",
            'A byte array is sent as {"@odata.type":"#Exchange.ByteArrayType","Data":[…]} '
            "(ConvertTo-ByteArray), not as a bare array.",
        )
    raise transformation_error(
        name, _shown(value), "System.Byte[]", "Specified method is not supported."
    )


def datetime_value(name: str, value: Any) -> dt.datetime:
    """``DateTime``: exactly ``yyyy-MM-ddTHH:mm:ss``, read as UTC. .NET's parser would take
    more forms; the sandbox takes only the module's (README "Open questions")."""
    text = value if isinstance(value, str) else str(value)
    parsed: dt.datetime | None = None
    if isinstance(value, str) and _SORTABLE.match(text):
        try:
            parsed = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
        except ValueError:
            parsed = None
    if parsed is None:
        raise transformation_error(
            name,
            text,
            "System.DateTime",
            f"String '{text}' was not recognized as a valid DateTime.",
        )
    return parsed
