"""Cmdlet failures and how InvokeCommand reports them (wire-protocols.md §1.5).

``details[].message`` is ``<ErrorId>|<.NET exception type>|<text>``; clients must
classify on the exception type. Exchange error ids look like ``Ex6F9304``; the
sandbox derives a stable one from the exception type (assumption: the real ids are
per error site and not documented).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DOMAIN_CONTROLLER = "AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM"
"""The server name Exchange puts in "couldn't be found on '…'" texts (§1.5 example)."""

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
AMBIGUOUS = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"
PARAMETER_BINDING = "System.Management.Automation.ParameterBindingException"
ARGUMENT_TRANSFORMATION = (
    "System.Management.Automation.ParameterBindingArgumentTransformationException"
)
DATA_VALIDATION = "Microsoft.Exchange.Data.DataValidationException"
ALREADY_EXISTS = "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"
INVALID_CAST = "System.InvalidCastException"
CRYPTOGRAPHIC = "System.Security.Cryptography.CryptographicException"
HOST_EXCEPTION = "System.Management.Automation.Host.HostException"
GROUP_MANAGER = "Microsoft.Exchange.Configuration.Tasks.OperationRequiresGroupManagerException"
NOT_EMULATED = "T2t.Sandbox.NotEmulatedException"
"""Not Microsoft's: a documented parameter or case the sandbox does not model yet."""


def exchange_error_id(exception_type: str) -> str:
    return "Ex" + hashlib.sha256(exception_type.encode()).hexdigest()[:6].upper()


@dataclass
class CmdletError(Exception):
    """A cmdlet failed; rendered as the §1.5 error envelope."""

    status: int
    exception_type: str
    text: str
    code: str = "BadRequest"
    error_id: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.text)

    @property
    def detail_message(self) -> str:
        eid = self.error_id if self.error_id is not None else exchange_error_id(self.exception_type)
        return f"{eid}|{self.exception_type}|{self.text}"


def not_found(identity: str) -> CmdletError:
    """ManagementObjectNotFoundException → 404 NotFound (measured, §1.5 table)."""
    return CmdletError(
        404,
        NOT_FOUND,
        f"The operation couldn't be performed because object '{identity}' couldn't be found on "
        f"'{DOMAIN_CONTROLLER}'.",
        code="NotFound",
    )


def ambiguous(identity: str) -> CmdletError:
    """ManagementObjectAmbiguousException: -Identity names more than one object of the kind the
    cmdlet reads. Text as Exchange shows it for recipients ("There are multiple recipients
    matching the identity "<name>". Please specify a unique value." — the EAC error on two
    recipients sharing a display name, jetzemellema.blogspot.com 2018/03; the same wording for
    users or groups in Parallels KB 116292, a UPN equal to another object's address). 400
    BadRequest as every cmdlet error but not-found (§1.5 table; assumption: not measured)."""
    return CmdletError(
        400,
        AMBIGUOUS,
        f'There are multiple recipients matching the identity "{identity}". '
        "Please specify a unique value.",
    )


def binding_error(text: str) -> CmdletError:
    """PowerShell parameter binding failures → 400 BadRequest (measured, §1.5 table).

    PowerShell raises them before Exchange runs, so they carry no Exchange error id.
    """
    return CmdletError(400, PARAMETER_BINDING, text, error_id="")


def transformation_error(param: str, value: object, dotnet_type: str, inner: str) -> CmdletError:
    """PowerShell's ArgumentTransformationMetadataException text.

    FullyQualifiedErrorId ParameterArgumentTransformationError.
    """
    return CmdletError(
        400,
        ARGUMENT_TRANSFORMATION,
        f"Cannot process argument transformation on parameter '{param}'. Cannot convert value "
        f'"{value}" to type "{dotnet_type}". Error: "{inner}"',
        error_id="",
    )
