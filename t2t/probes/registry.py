"""One reader per `Part` (t2t/state/parts.py): how a part is read, registered where it is
written, and checked complete at import.

A reader gets a `ReadContext` (the tenant's read-only clients, the request, and the other
parts it builds on, read once and shared), and returns the part's `Fact`. Which parts are
read, and in which tenant, comes from the `Part` registry; nothing here names a part by
string.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from t2t import progress
from t2t.clients import ExchangeClient, GraphClient
from t2t.clients.azure import AzureClients
from t2t.spec.desired import KeyVaultSpec
from t2t.state import Fact, Role
from t2t.state.parts import PARTS, Part


@dataclass(frozen=True)
class ProbeRequest:
    """What to read: the parts per tenant and the few keys the spec names."""

    source_tenant_id: str
    target_tenant_id: str
    source_parts: Collection[Part] = frozenset()
    target_parts: Collection[Part] = frozenset()
    """Besides the parts read on every run (`Part.always`)."""
    app_id: str | None = None
    app_display_name: str | None = None
    app_unique_name: str | None = None  # t2t's marker on an app it registers (by displayName)
    scope_groups: tuple[str, ...] = ()
    endpoint_name: str | None = None  # the spec's endpoint: its credential is tested
    endpoint_remote_tenant: str | None = None
    """The source domain: with it, the endpoint tested is the one in use for endpoint_name
    (its replacement when the spec's points at another tenant: t2t/state/endpoint_chain.py)."""
    source_mailboxes: tuple[str, ...] = ()  # the spec's source addresses (statistics only)
    due_mailboxes: tuple[tuple[str, str], ...] | None = None
    """(source, target) of the spec's mailboxes in a wave whose batch this run may create
    (phase sync or complete): their sizes are read fresh (t2t/probes/mailbox_sizes.py). None:
    every declared mailbox counts as due (each is read with Get-MailboxStatistics)."""
    wave_mailboxes: tuple[str, ...] = ()
    """The source addresses of the spec's mailboxes that are in a wave: the only ones whose
    delegates are read (t2t/probes/delegations.py)."""
    every_wave_mailbox: bool = False
    """Read every wave mailbox's permissions one call each (`t2t plan --report`,
    delegates.keepTogether); otherwise only the due ones' (`due_mailboxes`)."""
    calendars: bool = False
    """The spec's delegates.calendars: read each wave mailbox's Calendar folder permissions."""
    key_vault: KeyVaultSpec | None = None
    """The spec's vault and certificate (keyVaultCertificate mode): the Azure parts are read
    only with it (and the target's applications with their keyCredentials' keys)."""

    def parts(self, role: Role) -> Collection[Part]:
        return self.source_parts if role == "source" else self.target_parts


@dataclass
class ReadContext:
    """One tenant's read: its clients, the request, and the parts already under way."""

    role: Role
    exchange: ExchangeClient
    graph: GraphClient | None
    request: ProbeRequest
    given: dict[Part, Fact[Any]] = field(default_factory=dict)
    azure: AzureClients | None = None
    """The target's Azure clients (read-only), in keyVaultCertificate mode."""
    """Parts read before this tenant's read began (the target's applications)."""
    tenants: dict[Role, ReadContext] = field(default_factory=dict)
    """Both tenants' contexts of one snapshot (read_snapshot), this one's included: a reader
    may await a part of the other tenant (the source's sizes, the target's migration users)."""
    _tasks: dict[Part, asyncio.Task[Fact[Any]]] = field(default_factory=dict)

    @property
    def graph_client(self) -> GraphClient:
        if self.graph is None:  # pragma: no cover - read_tenant skips Graph parts then
            raise RuntimeError("a Graph part was read without a Graph client")
        return self.graph

    @property
    def azure_client(self) -> AzureClients:
        if self.azure is None:  # pragma: no cover - read_tenant skips Azure parts then
            raise RuntimeError("an Azure part was read without Azure clients")
        return self.azure

    @property
    def key_vault(self) -> KeyVaultSpec:
        if self.request.key_vault is None:  # pragma: no cover - read_tenant skips them then
            raise RuntimeError("an Azure part was read without the spec's keyVault")
        return self.request.key_vault

    def fact(self, part: Part) -> Awaitable[Fact[Any]]:
        """The part's fact, read once per tenant however many readers build on it."""
        if part in self.given:
            return _ready(self.given[part])
        if part not in self._tasks:
            self._tasks[part] = asyncio.ensure_future(self._read(part))
        return self._tasks[part]

    async def _read(self, part: Part) -> Fact[Any]:
        """One part, shown as its own progress task (t2t/progress.py): its reader steps it by
        the records, or the per-object calls, it has read."""
        with progress.task(f"{self.role} {part.name.replace('_', ' ')}", unit="records"):
            return await READERS[part](self)


async def _ready(fact: Fact[Any]) -> Fact[Any]:
    return fact


async def counted(fact: Awaitable[Fact[Any]], parts: progress.Task) -> Fact[Any]:
    """`fact`, with `parts` (a tenant's parts read, for the progress display) stepped once
    it is in."""
    try:
        return await fact
    finally:
        parts.step()


Reader = Callable[[ReadContext], Awaitable[Fact[Any]]]
READERS: dict[Part, Reader] = {}


def reads(part: Part) -> Callable[[Reader], Reader]:
    """Register the reader of one part; a second reader of the same part is a bug."""

    def register(fn: Reader) -> Reader:
        if part in READERS:
            raise ImportError(f"part {part} has two readers: {READERS[part]!r} and {fn!r}")
        READERS[part] = fn
        return fn

    return register


def check_complete() -> None:
    """Every part has a reader (called once every reader module is imported)."""
    missing = [p.name for p in PARTS if p not in READERS]
    if missing:
        raise ImportError(f"parts without a reader: {missing}")
