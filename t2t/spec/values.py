"""Checks for the small values a spec is made of: GUIDs, addresses, domains, references.

Each check is a plain function returning an author-facing message (or None), so the CSV
reader can run it on 50,000 rows without pydantic; the ``Annotated`` types below wrap the
same functions for the document models. A failing check raises ``PydanticCustomError``
with type ``t2t`` so the message reaches the author unchanged.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from t2t.spec.limits import clip

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")

GUID_PATTERN = _GUID.pattern
SECRET_REF_PATTERN = r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$"  # noqa: S105 - a pattern
NAME_PATTERN = _NAME.pattern


def guid_problem(value: str) -> str | None:
    if _GUID.match(value):
        return None
    return (
        f"{clip(value)} is not a GUID (8-4-4-4-12 hex digits,"
        " e.g. 6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20)"
    )


@functools.lru_cache(maxsize=4096)
def domain_problem(value: str) -> str | None:
    """Cached: a 50,000-row CSV holds a handful of distinct domains."""
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return f"{clip(value)} is not a domain name (e.g. contoso.com)"
    return None


def address_problem(value: str) -> str | None:
    """None when ``value`` is an SMTP address t2t can use, else why not."""
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return f"{clip(value)} is not an email address (expected name@domain)"
    if len(local) > 64 or not _LOCAL.match(local):
        return f"{clip(value)} is not an email address (the part before @ is not valid)"
    if domain_problem(domain):
        return f"{clip(value)} is not an email address ({clip(domain)} is not a domain name)"
    return None


def secret_ref_problem(value: str) -> str | None:
    """Secrets live in the environment or in a file; never in the spec, which goes to git.

    The message never repeats the value: it may be the secret itself.
    """
    scheme, colon, rest = value.partition(":")
    if colon and scheme == "env":
        if _ENV_NAME.match(rest):
            return None
        return "env: needs an environment variable name (letters, digits, _), e.g. env:T2T_SECRET"
    if colon and scheme == "file":
        return None if rest.strip() else "file: needs a path, e.g. file:~/t2t/source.pem"
    return (
        "must be a reference (env:VARIABLE or file:PATH), not the secret itself: a spec is"
        " committed to git; if a real secret was written here, rotate it"
    )


def name_problem(value: str) -> str | None:
    if _NAME.match(value):
        return None
    return (
        f"{clip(value)} is not a usable name (1-64 letters, digits, spaces, '.', '_' or '-',"
        " starting with a letter or digit)"
    )


def _fail(problem: str | None) -> None:
    if problem is not None:
        raise PydanticCustomError("t2t", problem)


def _guid(value: str) -> str:
    _fail(guid_problem(value))
    return value.lower()


def _domain(value: str) -> str:
    _fail(domain_problem(value))
    return value.lower()


def _address(value: str) -> str:
    _fail(address_problem(value))
    return value


def _secret_ref(value: str) -> str:
    _fail(secret_ref_problem(value))
    return value


def _name(value: str) -> str:
    _fail(name_problem(value))
    return value


def _country(value: str) -> str:
    if not _COUNTRY.match(value):
        raise PydanticCustomError(
            "t2t", f"{clip(value)} is not a two-letter country code (ISO 3166-1, e.g. NL or US)"
        )
    return value.upper()


def _schema(pattern: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"pattern": pattern, "description": description, **extra}


Guid = Annotated[
    str,
    AfterValidator(_guid),
    Field(json_schema_extra=_schema(GUID_PATTERN, "A GUID such as a tenant ID or app ID.")),
]
Domain = Annotated[
    str,
    AfterValidator(_domain),
    Field(json_schema_extra={"description": "A DNS domain name.", "format": "hostname"}),
]
Address = Annotated[
    str,
    AfterValidator(_address),
    Field(json_schema_extra={"description": "An SMTP address.", "format": "email"}),
]
SecretRefText = Annotated[
    str,
    AfterValidator(_secret_ref),
    Field(
        json_schema_extra=_schema(
            SECRET_REF_PATTERN,
            "A reference to a secret: env:VARIABLE or file:PATH (relative to the spec's"
            " folder). Never the secret itself.",
        )
    ),
]
Name = Annotated[
    str, AfterValidator(_name), Field(json_schema_extra=_schema(NAME_PATTERN, "A name."))
]
CountryCode = Annotated[
    str,
    AfterValidator(_country),
    Field(json_schema_extra=_schema(r"^[A-Za-z]{2}$", "ISO 3166-1 alpha-2 country code.")),
]


_DURATION = re.compile(r"^(?P<count>[1-9][0-9]{0,5})(?P<unit>[dh])$")
DURATION_PATTERN = _DURATION.pattern


def duration_problem(value: str) -> str | None:
    if _DURATION.match(value):
        return None
    return (
        f"{clip(value)} is not a duration: write a whole number of days or hours, e.g. 30d or 720h"
    )


def duration_of(value: str) -> dt.timedelta:
    """A duration as the spec writes it (`30d`, `720h`); ValueError when it is not one."""
    found = _DURATION.match(value)
    if found is None:
        raise ValueError(duration_problem(value))
    count = int(found["count"])
    return dt.timedelta(days=count) if found["unit"] == "d" else dt.timedelta(hours=count)


def _duration(value: str) -> str:
    _fail(duration_problem(value))
    return value


Duration = Annotated[
    str,
    AfterValidator(_duration),
    Field(
        json_schema_extra=_schema(
            DURATION_PATTERN, "A duration: a whole number of days or hours, e.g. 30d or 720h."
        )
    ),
]


_VAULT = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
_CERT_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")


def _vault_name(value: str) -> str:
    """Azure's rule for vault names: 3-24 characters, letters, digits and single hyphens."""
    if not _VAULT.match(value) or "--" in value:
        raise PydanticCustomError(
            "t2t",
            f"{clip(value)} is not a valid Key Vault name (3-24 letters, digits and single"
            " hyphens, starting with a letter, not ending with a hyphen)",
        )
    return value


def _resource_group(value: str) -> str:
    if not _RESOURCE_GROUP.match(value):
        raise PydanticCustomError(
            "t2t",
            f"{clip(value)} is not a valid resource group name (1-90 letters, digits, '-', '_',"
            " '.', '(' or ')', not ending with '.')",
        )
    return value


def _cert_name(value: str) -> str:
    if not _CERT_NAME.match(value):
        raise PydanticCustomError(
            "t2t",
            f"{clip(value)} is not a valid Key Vault certificate name (letters, digits and '-')",
        )
    return value


def _subject(value: str) -> str:
    if not value.startswith("CN=") or len(value) < 4:
        raise PydanticCustomError(
            "t2t", f"{clip(value)} is not a certificate subject; write it as CN=name"
        )
    return value


def _location(value: str) -> str:
    """ARM names regions in lower case without spaces; "North Europe" (the seed) = northeurope."""
    canonical = value.replace(" ", "").lower()
    if not canonical.isalnum():
        raise PydanticCustomError(
            "t2t", f"{clip(value)} is not an Azure region (e.g. northeurope or westus)"
        )
    return canonical


VaultName = Annotated[
    str,
    AfterValidator(_vault_name),
    Field(json_schema_extra=_schema(_VAULT.pattern, "Key Vault name.")),
]
ResourceGroup = Annotated[
    str,
    AfterValidator(_resource_group),
    Field(json_schema_extra=_schema(_RESOURCE_GROUP.pattern, "Azure resource group name.")),
]
CertificateName = Annotated[
    str,
    AfterValidator(_cert_name),
    Field(json_schema_extra=_schema(_CERT_NAME.pattern, "Key Vault certificate name.")),
]
CertificateSubject = Annotated[
    str,
    AfterValidator(_subject),
    Field(json_schema_extra=_schema("^CN=.+", "Certificate subject, e.g. CN=t2t-migration.")),
]
AzureLocation = Annotated[
    str,
    AfterValidator(_location),
    Field(json_schema_extra={"description": "Azure region, e.g. northeurope or North Europe."}),
]
