"""The desired state: a spec with every reference resolved, ready for the planner.

Frozen, no I/O left to do: CSV files are read, rewrite rules applied, defaults filled in,
secret references checked (but never dereferenced: a :class:`SecretRef` names where the
secret is, it never holds one). Addresses keep the spelling the author wrote, for display;
``*_key`` fields hold the lowercase form that every comparison must use (Exchange compares
SMTP addresses case-insensitively).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from t2t.spec.errors import SpecError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Origin(_Frozen):
    """Where something was declared (file, 1-based line and column), for later diagnostics."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class SecretRef(_Frozen):
    """``env:VAR`` or ``file:PATH``; for ``file`` the value is an absolute path."""

    scheme: Literal["env", "file"]
    value: str


class AuthRef(_Frozen):
    client_id: str | None
    secret: SecretRef | None
    certificate: SecretRef | None
    interactive: Literal["device-code"] | None
    azure_identity: (
        Literal["chain", "environment", "workloadIdentity", "managedIdentity"] | None
    ) = None


class DesiredTenant(_Frozen):
    tenant_id: str
    domain: str
    auth: AuthRef


class AppRef(_Frozen):
    """``app_id`` adopts an existing registration; otherwise t2t registers ``display_name``."""

    app_id: str | None
    display_name: str | None


class KeyVaultSpec(_Frozen):
    subscription_id: str
    resource_group: str
    name: str
    location: str
    certificate_name: str
    certificate_subject: str


class EndpointSpec(_Frozen):
    name: str
    max_concurrent_migrations: int | None
    rotate_before: timedelta | None = None
    """Rotate the endpoint's credential once it ends within this (relationship.endpoint.
    rotateBefore); None: only when it is expired, refused or ends before the migration."""


class DesiredRelationship(_Frozen):
    name: str
    app: AppRef
    credential: Literal["keyVaultCertificate", "clientSecret"]
    key_vault: KeyVaultSpec | None
    invite_source_admin: str | None
    scope_groups: tuple[str, ...]
    endpoint: EndpointSpec


class RewriteRule(_Frozen):
    from_domain: str
    to_domain: str


class DesiredMailbox(_Frozen):
    """One mailbox to move. ``target`` is the target tenant's primary SMTP address."""

    source: str
    target: str
    upn: str
    batch: str | None
    origin: Origin
    source_key: str
    target_key: str


class DesiredBatch(_Frozen):
    """A wave. ``mailboxes`` are target addresses in spec order; may exceed Microsoft's 2,000
    per batch (microsoft-t2t.md §8): the planner splits it into sub-batches."""

    name: str
    mailboxes: tuple[str, ...]
    target_delivery_domain: str
    phase: Literal["prepare", "sync", "complete"]
    complete_after: datetime | None
    origin: Origin


class DesiredDelegates(_Frozen):
    """The spec's `delegates:` (t2t/spec/models.py DelegatesDoc)."""

    keep_together: bool = False
    calendars: bool = False


class Desired(_Frozen):
    spec_path: str
    name: str
    source: DesiredTenant
    target: DesiredTenant
    relationship: DesiredRelationship
    rewrite: tuple[RewriteRule, ...]
    upn_domain: str | None
    usage_location: str | None
    licenses: tuple[str, ...]
    mailboxes: tuple[DesiredMailbox, ...]
    batches: tuple[DesiredBatch, ...]
    delegates: DesiredDelegates = DesiredDelegates()
    """The spec's delegates: (T2T-W350, T2T-E350: t2t/planner/delegates/)."""
    waves: tuple[str, ...] = ()
    """The waves this run is limited to (`--wave`, t2t/spec/waves.py), in spec order; empty:
    every wave and every declared mailbox. Part of the fingerprint: a saved plan of some waves
    is never taken for one of all."""
    notes: tuple[SpecError, ...] = Field(default=(), exclude=True)
    """What the author should know that did not stop the spec (a CSV column t2t ignores),
    as PATH:LINE:COL: message. Not part of what the spec resolves to: left out of every dump,
    so the spec's fingerprint and a saved plan's comparison never see it."""

    @cached_property
    def _by_address(self) -> dict[str, DesiredMailbox]:
        index = {m.source_key: m for m in self.mailboxes}
        index.update({m.target_key: m for m in self.mailboxes})
        return index

    def mailbox(self, address: str) -> DesiredMailbox | None:
        """The mailbox whose target (or source) address is ``address``, any case."""
        return self._by_address.get(address.lower())
