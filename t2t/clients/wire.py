"""How every InvokeCommand parameter t2t sends is encoded, each with its source.

This module is the record of truth for the wire.

Sources, by tag:
- **[module]** the proxy module ExchangeOnlineManagement v3 generates at connect time, as
  dumped in ``Calvindd2f/EXO_PROJECT`` ``.idea/full_modoule_dump.ps1`` (functions named
  below; line numbers are of that file);
- **[doc]** Microsoft Learn / MicrosoftDocs ``office-docs-powershell`` cmdlet references;
- **[live]** a third party's report of the real service.

What no source confirms stays a guess in `GUESSES`; actions that send one are flagged
*unverified* in the plan (`t2t plan --format powershell` gives the same step as a script an
admin can run by hand). No encoding here rests on a form a source contradicts.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding, rsa

from t2t.clients.errors import NoModuleKey


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
            "The module sends an enum as whatever PowerShell bound (Transform-Parameters' last "
            "branch, line 1319); PowerShell converts such a string to a flags enum, but no "
            "capture shows InvokeCommand receiving this parameter (wire-protocols.md §7.6).",
        ),
        WireGuess(
            "WIRE-4",
            "migration cmdlets over app-only InvokeCommand",
            "New-MigrationEndpoint, New-MigrationBatch, Set-MailUser -ExchangeGuid work app-only "
            "for an app holding Exchange Administrator (wids) or Organization Management",
            "The module exports them (Export-ModuleMember, dump's last lines) and app-only RBAC "
            "comes from the token's directory roles [doc: app-only-auth-powershell-v2]; no "
            "public report shows these three called app-only (wire-protocols.md §7.6).",
        ),
    )
}

#: Encodings with a source. The proxy module is the reference; where a port (the C#
#: `ConstantFunctions.cs` beside the dump) differs, the module wins.
CONFIRMED: dict[str, str] = {
    "switch": "JSON true/false — Transform-Parameters: `$true -eq $boundParam.Value` [module]",
    "list": "JSON array (Transform-Parameters passes arrays through) [module]; measured by "
    "DrollRobot/azure-auth [live]",
    "hashtable": '{"add": [...], "remove": [...], "@odata.type": "#Exchange.GenericHashTable"} '
    "— ConvertTo-HashTable [module]; refused without the annotation [live]",
    "byte[]": '{"@odata.type": "#Exchange.ByteArrayType", "Data": [<bytes as numbers>]} — '
    "ConvertTo-ByteArray, used by Transform-Parameters for a Byte[] value [module]",
    "DateTime": "UTC, `yyyy-MM-ddTHH:mm:ss` (the culture's SortableDateTimePattern; the module's "
    "fallback is exactly that) — Transform-Parameters / Get-SortableDateTimePattern [module]",
    "PSCredential": 'base64 of RSA-PKCS#1 v1.5 over the UTF-8 of {"UserName":…,"Password":…} '
    "(ConvertTo-Json -Compress) under the module's $PublicKey — New-MigrationEndpoint's "
    "proxy, Encrypt-Value [module]; the plain object form gets HTTP 500 [live]",
    "SecureString": "base64 of RSA-PKCS#1 v1.5 over the UTF-8 plain text — New-MailUser's "
    "proxy (NetworkCredential('', $Password).Password), Encrypt-Value [module]",
    "Confirm": "a ConfirmImpact=High cmdlet is sent with Confirm:true (a validation call the "
    "server answers with @adminapi.confirmationmessage) and then Confirm:false — "
    "Execute-Command [module]; a client that cannot prompt sends Confirm:false itself",
    "ResultSize": "sent as given ('Unlimited' or a number); without it the module stops at "
    "1,000 (Get-ResultSize, $DefaultPageSize) and hides the server's 'more results' warning "
    "($FilterWarningsInPagination) [module]; the cmdlets' default is 1000 [doc: Get-Mailbox]",
    "paging": "the same body re-POSTed to @odata.nextLink with `Prefer: odata.maxpagesize=N` "
    "(N = min(remaining ResultSize, 1000)) — Execute-Command [module]",
    "errors": "error.details[0].message, else error.innererror.internalexception.message — "
    "Get-ErrorMessage [module]; the detail is `id|type|text` or a JSON object with ClassName, "
    "Message and localizedString.stringId [live]; `x-ExceptionType` names the exception [live]",
    "retries": "401, 503, 504 and DCOverloadedException, SuitabilityDirectoryException, "
    "ServerInMMException, ADServerSettingsChangedException, StorageTransientException, with "
    "a fresh token each try; 429 waits Retry-After — $RetryableHTTPResponses, "
    "Get-WaitTimeForRetry [module]",
}

#: Cmdlets t2t runs whose proxy declares ConfirmImpact='High' [module]: Complete-MigrationBatch
#: (line 3280), Set-User (57267), Remove-OrganizationRelationship (39951), Remove-MigrationUser
#: (39655), Remove-MigrationEndpoint (39596), Remove-DistributionGroupMember (37247),
#: Remove-MailUser (39065), Remove-MigrationBatch (39539), Stop-MigrationBatch (57906),
#: Remove-MailContact (39006, the apply lease's release).
HIGH_IMPACT = frozenset(
    {
        "complete-migrationbatch",
        "set-user",
        "remove-organizationrelationship",
        "remove-migrationuser",
        "remove-migrationendpoint",
        "remove-distributiongroupmember",
        "remove-mailcontact",
        "remove-mailuser",
        "remove-migrationbatch",
        "stop-migrationbatch",
    }
)

#: Cmdlets t2t reads whose proxy declares -ResultSize [module]: a list of these without it stops
#: at 1,000, so t2t always asks for Unlimited. (Get-MigrationEndpoint, Get-OrganizationRelationship,
#: Get-OrganizationConfig, Get-MailboxStatistics and Get-MigrationUserStatistics declare none.)
RESULT_SIZE = frozenset(
    {
        "get-accepteddomain",
        "get-distributiongroup",
        "get-distributiongroupmember",
        "get-mailbox",
        "get-mailboxpermission",
        "get-mailcontact",
        "get-mailuser",
        "get-migrationbatch",
        "get-migrationuser",
        "get-moverequest",
        "get-recipient",
        "get-user",
    }
)

#: The server's warning when a list stops at its ResultSize: the module's
#: $FilterWarningsInPagination, base64-decoded [module, line 25].
TRUNCATION_WARNING = (
    "There are more results available than are currently displayed. To view them, increase the "
    "value for the ResultSize parameter."
)

#: The module version t2t names when it asks for the module file (EXOModuleFile?Version=…).
MODULE_VERSION = "3.5.0"


@dataclass(frozen=True)
class Sensitive:
    """A value the module encrypts before sending: a PSCredential's JSON or a SecureString.

    Never shown: `repr` hides it; the Exchange client encrypts it at the last moment.
    """

    kind: str
    plain: str = field(repr=False)


def credential(user_name: str, secret: str) -> Sensitive:
    """PSCredential [module]: New-MigrationEndpoint's proxy sends
    `select UserName, @{Name='Password'; …} | ConvertTo-Json -Compress`, encrypted."""
    text = json.dumps({"UserName": user_name, "Password": secret}, separators=(",", ":"))
    return Sensitive("PSCredential", text)


def secure_string(text: str) -> Sensitive:
    """SecureString [module]: New-MailUser's proxy sends the plain text, encrypted."""
    return Sensitive("SecureString", text)


_RSA_KEY_VALUE = re.compile(
    r"<RSAKeyValue>\s*<Modulus>([A-Za-z0-9+/=\s]+)</Modulus>\s*"
    r"<Exponent>([A-Za-z0-9+/=\s]+)</Exponent>\s*</RSAKeyValue>"
)


def public_key_from_module(text: str) -> rsa.RSAPublicKey:
    """The RSA key the generated module embeds as `$PublicKey = '<RSAKeyValue>…'` [module,
    the dump's last lines], in .NET's `RSA.ToXmlString` form (base64 big-endian integers)."""
    match = _RSA_KEY_VALUE.search(text)
    if match is None:
        raise NoModuleKey("the Exchange module file holds no <RSAKeyValue> public key")
    n, e = (int.from_bytes(base64.b64decode("".join(g.split())), "big") for g in match.groups())
    if n.bit_length() < 2048 or e < 3:
        raise NoModuleKey(f"the Exchange module key is too weak ({n.bit_length()} bits)")
    return rsa.RSAPublicNumbers(e, n).public_key()


def encrypt(key: rsa.RSAPublicKey, value: Sensitive) -> str:
    """Encrypt-Value [module]: `RSACryptoServiceProvider.Encrypt(UTF8 bytes, $false)` — the
    `$false` is PKCS#1 v1.5 padding, not OAEP — then base64."""
    cipher = key.encrypt(value.plain.encode("utf-8"), padding.PKCS1v15())
    return base64.b64encode(cipher).decode("ascii")


def capability(members: Iterable[str]) -> str:
    """WIRE-1."""
    return ", ".join(members) or "None"


def byte_array(data: bytes) -> dict[str, Any]:
    """byte[] [module, ConvertTo-ByteArray]: `-CSVData` as `#Exchange.ByteArrayType`."""
    return {"@odata.type": "#Exchange.ByteArrayType", "Data": list(data)}


def csv_data(text: str) -> dict[str, Any]:
    """`New-MigrationBatch -CSVData` — what `[IO.File]::ReadAllBytes` gives: the file's UTF-8."""
    return byte_array(text.encode("utf-8"))


def datetime_value(when: dt.datetime) -> str:
    """DateTime [module, Transform-Parameters]:
    `ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss')`."""
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S")


def add_remove(add: Iterable[str] = (), remove: Iterable[str] = ()) -> dict[str, Any]:
    """A multi-valued add/remove hashtable [module, ConvertTo-HashTable]."""
    out: dict[str, Any] = {"@odata.type": "#Exchange.GenericHashTable"}
    if add:
        out["add"] = list(add)
    if remove:
        out["remove"] = list(remove)
    return out


def prepare(cmdlet: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """What a non-interactive module call adds: `Confirm: false` on a High-impact cmdlet and
    `ResultSize: Unlimited` on a list (sources above). Sensitive values are left for the client
    to encrypt, since that needs the tenant's key."""
    out = dict(parameters)
    name = cmdlet.lower()
    if name in HIGH_IMPACT and "Confirm" not in out:
        out["Confirm"] = False
    if name in RESULT_SIZE and "ResultSize" not in out:
        out["ResultSize"] = "Unlimited"
    return out
