"""The spec document exactly as written: pydantic models of the YAML, keys in camelCase.

These models check shape and single values only (types, GUIDs, addresses, unknown keys).
Everything that needs more than one value, the filesystem or git (duplicates, CSV files,
batches naming declared mailboxes, secrets tracked by git) is the resolver's job, so that
every problem can be reported in one run. The JSON Schema in
``schemas/t2t-spec.schema.json`` is generated from :class:`SpecDocument`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from t2t.spec.values import (
    Address,
    AzureLocation,
    CertificateName,
    CertificateSubject,
    CountryCode,
    Domain,
    Duration,
    Guid,
    Name,
    ResourceGroup,
    SecretRefText,
    VaultName,
)

SUPPORTED_VERSIONS = (1,)

Phase = Literal["prepare", "sync", "complete"]
Credential = Literal["keyVaultCertificate", "clientSecret"]


class _Doc(BaseModel):
    """Unknown keys are errors (a typo must not be ignored silently); values are immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        frozen=True,
        validate_by_name=False,
        field_title_generator=lambda name, info: info.alias or name,
    )


class AuthDoc(_Doc):
    """How t2t signs in to a tenant: exactly one of secret, certificate, azureIdentity or
    interactive."""

    client_id: Guid | None = Field(None, description="App (client) ID t2t signs in as.")
    secret: SecretRefText | None = Field(
        None, description="env:VAR or file:PATH holding a client secret."
    )
    certificate: SecretRefText | None = Field(
        None, description="file:PATH of a PEM certificate with its private key (or env:VAR)."
    )
    azure_identity: (
        Literal["chain", "environment", "workloadIdentity", "managedIdentity"] | None
    ) = Field(
        None,
        description=(
            "For automation: take the identity from azure-identity — the AZURE_* "
            "environment variables, a workload identity federation token, or the "
            "managed identity of the machine ('chain' tries them in that order)."
        ),
    )
    interactive: Literal["device-code"] | None = Field(
        None, description="Sign in as a person with the device-code flow."
    )


class TenantDoc(_Doc):
    tenant_id: Guid = Field(description="Directory (tenant) ID.")
    domain: Domain = Field(description="The tenant's initial domain, e.g. contoso.onmicrosoft.com.")
    auth: AuthDoc


class AppDoc(_Doc):
    """The migration app in the target: ``displayName`` registers one, ``appId`` adopts one."""

    app_id: Guid | None = Field(None, description="Adopt this existing app registration.")
    display_name: str | None = Field(
        None, min_length=1, max_length=120, description="Register an app with this name."
    )


class CertificateDoc(_Doc):
    name: CertificateName
    subject: CertificateSubject


class KeyVaultDoc(_Doc):
    """Where the app's certificate lives in ``keyVaultCertificate`` mode (seed walkthrough)."""

    subscription_id: Guid
    resource_group: ResourceGroup
    name: VaultName
    location: AzureLocation
    certificate: CertificateDoc


class EndpointDoc(_Doc):
    name: Name | None = Field(
        None, description="Migration endpoint name; default: the relationship name."
    )
    max_concurrent_migrations: int | None = Field(None, ge=1)
    rotate_before: Duration | None = Field(
        None,
        description="Rotate the endpoint's credential (the Key Vault certificate's version, or "
        "the client secret) once it ends within this duration, e.g. 30d or 720h: a new one, "
        "the endpoint moved to it, then the old one removed.",
    )


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


ScopeGroups = Annotated[
    list[Annotated[str, Field(min_length=1)]],
    BeforeValidator(_one_or_many),
    Field(min_length=1),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            ],
            "description": "Mail-enabled security group(s) in the source whose members may move.",
        }
    ),
]


class RelationshipDoc(_Doc):
    name: Name | None = Field(
        None, description="Organization relationship name; default: the spec's name."
    )
    app: AppDoc
    credential: Credential
    key_vault: KeyVaultDoc | None = None
    invite_source_admin: Address | None = Field(
        None, description="Send this source admin a B2B invitation carrying the consent URL."
    )
    scope_group: ScopeGroups
    endpoint: EndpointDoc | None = None


class RewriteRuleDoc(_Doc):
    from_: Domain = Field(alias="from")
    to: Domain


class MailboxPairDoc(_Doc):
    source: Address
    target: Address


class CsvRefDoc(_Doc):
    csv: str = Field(min_length=1, description="CSV path relative to the spec's folder.")


def _entry_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "<address>"
    if isinstance(value, dict):
        return "<csv>" if "csv" in value else "<pair>"
    return None


def _batch_kind(value: Any) -> str | None:
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, dict):
        return "<csv>"
    return None


MailboxEntry = Annotated[
    Annotated[Address, Tag("<address>")]
    | Annotated[MailboxPairDoc, Tag("<pair>")]
    | Annotated[CsvRefDoc, Tag("<csv>")],
    Discriminator(
        _entry_kind,
        custom_error_type="t2t",
        custom_error_message="expected an address, {source: …, target: …} or {csv: file.csv}",
    ),
]

BatchEntry = Annotated[
    Annotated[Address, Tag("<address>")] | Annotated[CsvRefDoc, Tag("<csv>")],
    Discriminator(
        lambda v: "<address>" if isinstance(v, str) else "<csv>" if isinstance(v, dict) else None,
        custom_error_type="t2t",
        custom_error_message="expected an address or {csv: file.csv}",
    ),
]

BatchMailboxes = Annotated[
    Annotated[list[BatchEntry], Tag("<list>")] | Annotated[CsvRefDoc, Tag("<csv>")],
    Discriminator(
        _batch_kind,
        custom_error_type="t2t",
        custom_error_message="expected a list of addresses or {csv: file.csv}",
    ),
]


class IdentitiesDoc(_Doc):
    rewrite: list[RewriteRuleDoc] = Field(default_factory=list)
    upn_domain: Domain | None = None
    usage_location: CountryCode | None = None
    licenses: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    mailboxes: list[MailboxEntry] = Field(default_factory=list)


def _when(value: Any) -> Any:
    """A date without a time, or a bare number (read as Unix time), is a mistake here."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, date) and not isinstance(value, datetime)
    ):
        raise PydanticCustomError(
            "t2t", "expected a date and time, e.g. 2026-12-05T22:00:00Z (UTC when no zone)"
        )
    return value


class BatchDoc(_Doc):
    name: Name
    mailboxes: BatchMailboxes
    target_delivery_domain: Domain
    phase: Phase
    complete_after: Annotated[datetime, BeforeValidator(_when)] | None = None


class DelegatesDoc(_Doc):
    """What the move loses of delegates (mailbox and calendar permissions), and how strictly
    t2t keeps them together. Microsoft: "Cross-tenant mailbox and calendar permissions aren't
    supported. You must organize principals and delegates into consolidated move batches"
    (Learn, Cross-tenant mailbox migration, FAQ "How do mailbox permissions transition?")."""

    keep_together: bool = Field(
        False,
        description=(
            "Block (T2T-E350) each mailbox of a wave whose FullAccess or calendar delegate, or "
            "the mailbox it serves, moves in another wave or is not in the spec: it is left "
            "out of its batch until both are in one wave. Off: a warning (T2T-W350). On, every "
            "wave mailbox's permissions are read, one Exchange call each (off, only those of "
            "the waves whose batch the run creates)."
        ),
    )
    calendars: bool = Field(
        False,
        description=(
            "Also read the Calendar folder permissions of the wave mailboxes whose permissions "
            "are read (Get-MailboxFolderPermission <mailbox>:\\Calendar): one Exchange call per "
            "mailbox, so off unless asked."
        ),
    )


class SpecDocument(_Doc):
    """A t2t migration spec (version 1)."""

    version: Literal[1]
    name: Name
    source: TenantDoc
    target: TenantDoc
    relationship: RelationshipDoc
    identities: IdentitiesDoc = Field(default_factory=IdentitiesDoc)
    batches: list[BatchDoc] = Field(default_factory=list)
    delegates: DelegatesDoc = Field(default_factory=DelegatesDoc)
