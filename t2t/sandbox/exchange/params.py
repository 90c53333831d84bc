"""Per-cmdlet parameter schemas and PowerShell-style parameter binding.

Why: the real service binds ``CmdletInput.Parameters`` with PowerShell's rules before
Exchange sees them, and t2t must be tested against the same refusals. Texts are
PowerShell's own (System.Management.Automation resources), e.g.
"A parameter cannot be found that matches parameter name 'X'." (NamedParameterNotFound),
"Cannot process command because of one or more missing mandatory parameters: A B."
(MissingMandatoryParameter), and the enum transformation text that lists the valid
names ("Specify one of the following enumerator names and try again"), §1.5 table.
Parameter lists come from each cmdlet's reference page (cited in the cmdlet modules).

Encoding on the wire (§1.2): a switch is ``true``; a list is a JSON array; an
add/remove update is ``{"add":[…],"remove":[…],"@odata.type":"#Exchange.GenericHashTable"}``.
``byte[]``, ``DateTime``, ``PSCredential`` and ``SecureString`` are accepted only in the forms
the ExchangeOnlineManagement module sends (wire_forms.py, each with its source).
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from t2t.sandbox.exchange import wire_forms
from t2t.sandbox.exchange.errors import (
    NOT_EMULATED,
    CmdletError,
    binding_error,
    transformation_error,
)
from t2t.sandbox.exchange.wire_forms import Credential, Decrypt, SecureValue

__all__ = ["Credential", "SecureValue"]


class Kind(enum.Enum):
    STRING = "string"
    BOOL = "bool"
    SWITCH = "switch"
    MULTI = "multi"  # MultiValuedProperty of strings
    ENUM = "enum"
    FLAGS = "flags"  # [Flags] enum: list or comma-separated names
    UNLIMITED = "unlimited"  # Unlimited<UInt32> (ResultSize)
    SMTP = "smtp"
    INT = "int"
    GUID = "guid"
    DATETIME = "datetime"
    BYTES = "bytes"  # byte[]: {"@odata.type":"#Exchange.ByteArrayType","Data":[…]} [module]
    CREDENTIAL = "credential"  # PSCredential: encrypted JSON {"UserName","Password"} [module]
    SECURE = "secure"  # SecureString: encrypted plain text [module]
    UNLIMITED_INT = "unlimited_int"  # Unlimited<Int32>: "Unlimited" or a non-negative number


@dataclass(frozen=True)
class Param:
    """One documented parameter of a cmdlet."""

    name: str
    kind: Kind = Kind.STRING
    dotnet_type: str = "System.String"
    mandatory: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    updatable: bool = False  # MULTI that accepts an add/remove hashtable (Set- cmdlets)
    emulated: bool = True  # False: accepted by Exchange, not modelled by the sandbox yet


@dataclass(frozen=True)
class MultiUpdate:
    """``@{Add=…; Remove=…}`` for a multi-valued property."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def apply(self, current: list[str]) -> list[str]:
        out = [v for v in current if v.lower() not in {r.lower() for r in self.remove}]
        for v in self.add:
            if v.lower() not in {o.lower() for o in out}:
                out.append(v)
        return out


_ACTION_PREFERENCE = (
    "SilentlyContinue",
    "Stop",
    "Continue",
    "Inquire",
    "Ignore",
    "Suspend",
    "Break",
)
_ACTION_TYPE = "System.Management.Automation.ActionPreference"

COMMON_PARAMETERS: tuple[Param, ...] = (
    Param("Verbose", Kind.SWITCH, aliases=("vb",)),
    Param("Debug", Kind.SWITCH, aliases=("db",)),
    Param("ErrorAction", Kind.ENUM, _ACTION_TYPE, choices=_ACTION_PREFERENCE, aliases=("ea",)),
    Param("WarningAction", Kind.ENUM, _ACTION_TYPE, choices=_ACTION_PREFERENCE, aliases=("wa",)),
    Param(
        "InformationAction", Kind.ENUM, _ACTION_TYPE, choices=_ACTION_PREFERENCE, aliases=("infa",)
    ),
    Param("ErrorVariable", aliases=("ev",)),
    Param("WarningVariable", aliases=("wv",)),
    Param("InformationVariable", aliases=("iv",)),
    Param("OutVariable", aliases=("ov",)),
    Param("OutBuffer", Kind.INT, "System.Int32", aliases=("ob",)),
    Param("PipelineVariable", aliases=("pv",)),
)
"""PowerShell's common parameters (about_CommonParameters), accepted by every cmdlet."""

CONFIRM = Param("Confirm", Kind.SWITCH, aliases=("cf",))
WHATIF = Param("WhatIf", Kind.SWITCH, aliases=("wi",))
DOMAIN_CONTROLLER = Param("DomainController", dotnet_type="Microsoft.Exchange.Data.Fqdn")

_SMTP = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _resolve_name(cmdlet: str, given: str, params: tuple[Param, ...]) -> Param:
    """Exact (case-insensitive) name or alias, else an unambiguous prefix, like PowerShell."""
    low = given.lower()
    for p in params:
        if p.name.lower() == low or low in (a.lower() for a in p.aliases):
            return p
    matches = [p for p in params if p.name.lower().startswith(low)] if low else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = " ".join(f"-{p.name}" for p in matches)
        raise binding_error(
            f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. "
            f"Possible matches include: {names}."
        )
    raise binding_error(f"A parameter cannot be found that matches parameter name '{given}'.")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _convert_enum(p: Param, value: Any) -> str:
    text = _scalar_text(value).strip()
    for choice in p.choices:
        if choice.lower() == text.lower():
            return choice
    raise transformation_error(
        p.name,
        text,
        p.dotnet_type,
        f"Unable to match the identifier name {text} to a valid enumerator name. Specify one of "
        f"the following enumerator names and try again:\r\n{', '.join(p.choices)}",
    )


def _convert_flags(p: Param, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        for part in _scalar_text(item).split(","):
            if part.strip():
                names.append(part.strip())
    out: list[str] = []
    for name in names:
        for choice in p.choices:
            if choice.lower() == name.lower():
                out.append(choice)
                break
        else:
            raise transformation_error(
                p.name,
                ",".join(names),
                p.dotnet_type,
                f"Unable to match the identifier name {name} to a valid enumerator name. Specify "
                f"one of the following enumerator names and try again:\r\n{', '.join(p.choices)}",
            )
    return tuple(dict.fromkeys(out))


def _as_strings(p: Param, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, (dict, list)):
            raise transformation_error(
                p.name, "System.Object[]", p.dotnet_type, "Specified method is not supported."
            )
        if item is not None and _scalar_text(item) != "":
            out.append(_scalar_text(item))
    return out


def _convert(cmdlet: str, p: Param, value: Any, decrypt: Decrypt | None) -> Any:
    if value is None:
        if p.mandatory:
            raise CmdletError(
                400,
                "System.Management.Automation.ParameterBindingValidationException",
                f"Cannot bind argument to parameter '{p.name}' because it is null.",
                error_id="",
            )
        return None
    if p.kind in (Kind.BOOL, Kind.SWITCH):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise transformation_error(
            p.name,
            "System.String" if isinstance(value, str) else type(value).__name__,
            "System.Boolean",
            "Boolean parameters accept only Boolean values and numbers, such as $True, $False, "
            "1 or 0.",
        )
    if p.kind is Kind.MULTI:
        if isinstance(value, Mapping):
            if not p.updatable:
                raise transformation_error(
                    p.name,
                    "System.Collections.Hashtable",
                    p.dotnet_type,
                    "Specified method is not supported.",
                )
            keys = {k.lower(): v for k, v in value.items() if "@" not in k}
            unknown = set(keys) - {"add", "remove"}
            if unknown:
                raise CmdletError(
                    400,
                    "System.ArgumentException",
                    f"The hashtable for parameter '{p.name}' can only contain the keys Add and "
                    f"Remove; got {sorted(unknown)}.",
                    error_id="",
                )
            return MultiUpdate(
                add=tuple(_as_strings(p, keys.get("add", []))),
                remove=tuple(_as_strings(p, keys.get("remove", []))),
            )
        return _as_strings(p, value)
    if p.kind is Kind.FLAGS and not isinstance(value, Mapping):
        return _convert_flags(p, value)
    if p.kind is Kind.BYTES:
        return wire_forms.byte_array(p.name, value)
    if p.kind is Kind.CREDENTIAL:
        return wire_forms.credential(p.name, value, decrypt)
    if p.kind is Kind.SECURE:
        return wire_forms.secure_string(p.name, value, decrypt)
    if p.kind is Kind.DATETIME:
        return wire_forms.datetime_value(p.name, value)
    if isinstance(value, (list, Mapping)):
        shown = "System.Object[]" if isinstance(value, list) else "System.Collections.Hashtable"
        raise transformation_error(
            p.name, shown, p.dotnet_type, "Specified method is not supported."
        )
    if p.kind is Kind.ENUM:
        return _convert_enum(p, value)
    if p.kind is Kind.FLAGS:
        return _convert_flags(p, value)
    if p.kind is Kind.UNLIMITED:
        text = _scalar_text(value).strip()
        if text.lower() == "unlimited":
            return None
        if text.isdigit() and int(text) > 0:
            return int(text)
        raise transformation_error(
            p.name, text, p.dotnet_type, f"The value '{text}' is not a valid Unlimited value."
        )
    if p.kind is Kind.GUID:
        return _convert_guid(p, value)
    if p.kind is Kind.UNLIMITED_INT:
        text = _scalar_text(value).strip()
        if text.lower() == "unlimited":
            return None
        if text.isdigit():
            return int(text)
        raise transformation_error(
            p.name, text, p.dotnet_type, f"The value '{text}' is not a valid Unlimited value."
        )
    if p.kind is Kind.INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise transformation_error(
            p.name, value, p.dotnet_type, "Input string was not in a correct format."
        )
    if p.kind is Kind.SMTP:
        text = _scalar_text(value)
        if not _SMTP.match(text):
            raise transformation_error(
                p.name,
                text,
                p.dotnet_type,
                f'The email address "{text}" isn\'t correct. Please use this format: user name, '
                "the @ sign, followed by the domain name. For example, tonysmith@contoso.com or "
                "tony.smith@contoso.com.",
            )
        return text
    return _scalar_text(value)


_GUID_TEXT = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)


def _convert_guid(p: Param, value: Any) -> str:
    text = _scalar_text(value).strip()
    if not _GUID_TEXT.match(text):
        raise transformation_error(
            p.name,
            text,
            "System.Guid",
            "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
        )
    return str(uuid.UUID(text.strip("{}")))


@dataclass
class Bound:
    """Bound parameters by canonical name; only those the caller passed are present."""

    values: dict[str, Any] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def bind(
    cmdlet: str,
    params: tuple[Param, ...],
    raw: Mapping[str, Any],
    *,
    decrypt: Decrypt | None = None,
) -> Bound:
    """Bind ``CmdletInput.Parameters`` to ``params`` (plus the common parameters).

    ``decrypt`` opens the values ``Encrypt-Value`` produced (``ModuleKey.decrypt``); without
    it no ``PSCredential`` or ``SecureString`` value can be bound.
    """
    every = params + COMMON_PARAMETERS
    bound = Bound()
    for key, value in raw.items():
        if "@" in key:  # "X@odata.type" companion keys describe X, they are not parameters
            continue
        p = _resolve_name(cmdlet, key, every)
        if p.name in bound.values:
            raise binding_error(
                f"Cannot bind parameter because parameter '{p.name}' is specified more than once. "
                "To provide multiple values to parameters that can accept multiple values, use "
                'the array syntax. For example, "-parameter value1,value2,value3".'
            )
        bound.values[p.name] = _convert(cmdlet, p, value, decrypt)
        if not p.emulated:
            raise CmdletError(
                501,
                NOT_EMULATED,
                f"The t2t sandbox does not emulate parameter '{p.name}' of {cmdlet} yet.",
                code="NotImplemented",
                error_id="",
            )
    missing = [p.name for p in params if p.mandatory and p.name not in bound.values]
    if missing:
        raise binding_error(
            "Cannot process command because of one or more missing mandatory parameters: "
            f"{' '.join(missing)}."
        )
    return bound
