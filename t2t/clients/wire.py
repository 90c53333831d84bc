"""Every InvokeCommand encoding t2t relies on that no public source confirms, in one place.

Each guess says what it assumes and why; actions that send one are flagged *unverified* in the
plan (`t2t plan --format powershell` gives the same step as a script an admin can run by hand).
Confirmed encodings are listed too, with their source, so the difference is visible.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WireGuess:
    id: str
    what: str
    assumption: str
    why: str


GUESSES: dict[str, WireGuess] = {
    g.id: g
    for g in (
        WireGuess(
            "WIRE-1",
            "MailboxMoveCapability (a .NET flags enum) as a parameter value",
            'a comma-separated string of member names, e.g. "Inbound, RemoteOutbound"',
            "PowerShell converts such a string to a flags enum; no capture shows InvokeCommand "
            "receiving this parameter (wire-protocols.md §7.6).",
        ),
        WireGuess(
            "WIRE-2",
            "PSCredential for New-MigrationEndpoint -Credentials",
            '{"UserName": "<appId>", "Password": "<secret>"}',
            "No source shows a PSCredential in CmdletInput.Parameters (wire-protocols.md §7.5).",
        ),
        WireGuess(
            "WIRE-3",
            "byte[] for New-MigrationBatch -CSVData",
            "the CSV file's UTF-8 bytes, base64-encoded into one JSON string",
            "Edm.Binary is base64 in OData JSON; no capture of -CSVData exists "
            "(wire-protocols.md §7.5).",
        ),
        WireGuess(
            "WIRE-4",
            "migration cmdlets over app-only InvokeCommand",
            "New-MigrationEndpoint, New-MigrationBatch, Set-MailUser -ExchangeGuid work app-only "
            "with the Organization Management role",
            "No source shows these cmdlets called this way (wire-protocols.md §7.6).",
        ),
        WireGuess(
            "WIRE-5",
            "SecureString for New-MailUser -Password",
            "a plain JSON string (the REST layer converting it to a SecureString)",
            "No source shows a SecureString in CmdletInput.Parameters (wire-protocols.md "
            "§7.5); the sandbox accepts this form (README, open questions).",
        ),
    )
}

#: Encodings with a source (wire-protocols.md §1.2, the module's Transform-Parameters).
CONFIRMED = {
    "switch": "true",
    "list": "JSON array (measured by DrollRobot/azure-auth)",
    "DateTime": "yyyy-MM-ddTHH:mm:ss.fffffffZ in UTC (ports of the module)",
    "add/remove": '{"add": [...], "remove": [...], "@odata.type": "#Exchange.GenericHashTable"}',
}


def capability(members: Iterable[str]) -> str:
    """WIRE-1."""
    return ", ".join(members) or "None"


def credential(user_name: str, secret: str) -> dict[str, str]:
    """WIRE-2. The secret is only ever placed in the request body, never logged."""
    return {"UserName": user_name, "Password": secret}


def csv_data(text: str) -> str:
    """WIRE-3."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def datetime_value(when: dt.datetime) -> str:
    """A DateTime parameter, UTC with seven fractional digits, as the module sends it."""
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


def add_remove(add: Iterable[str] = (), remove: Iterable[str] = ()) -> dict[str, Any]:
    """A multi-valued add/remove hashtable (wire-protocols.md §1.2)."""
    out: dict[str, Any] = {"@odata.type": "#Exchange.GenericHashTable"}
    if add:
        out["add"] = list(add)
    if remove:
        out["remove"] = list(remove)
    return out
