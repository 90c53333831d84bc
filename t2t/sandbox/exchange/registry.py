"""The cmdlet registry: name → parameter schema + implementation.

Why a registry: the admin API dispatches on ``CmdletInput.CmdletName`` (§1.2) and the
sandbox will grow to every cmdlet a migration needs; each lives in a module under
``cmdlets/`` and registers itself here. Who may run what is rbac.py's business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from t2t.sandbox.exchange.params import Bound, Param
from t2t.sandbox.exchange.serialize import Record
from t2t.sandbox.faults import Faults, RequestInfo
from t2t.sandbox.model import SandboxState, Tenant
from t2t.sandbox.replication import Replication
from t2t.sandbox.stats import Kind, cmdlet_kind


@dataclass
class Invocation:
    """One cmdlet call: the tenant it runs in, its bound parameters, and its warnings."""

    tenant: Tenant
    params: Bound
    now: dt.datetime
    state: SandboxState
    """Every tenant: cross-tenant checks (endpoint verification, the move service) read
    the partner tenant."""
    warnings: list[str] = field(default_factory=list)
    faults: Faults | None = None
    """Read-after-write lag (faults.py): New- cmdlets note what they create, Get- cmdlets
    show only what has replicated."""
    request: RequestInfo | None = None
    dry_run: bool = False
    """Check everything, change nothing: the ``Confirm: true`` validation call (confirm.py)."""
    replication: Replication | None = None
    """Writes naming a just-created object fail for a while (replication.py); None when
    ``strictness.replication`` is off."""

    @property
    def what_if(self) -> bool:
        return bool(self.params.get("WhatIf")) or self.dry_run

    @property
    def hiding(self) -> bool:
        """Some object is hidden by read-after-write lag: lists must be built fresh."""
        return self.faults is not None and self.faults.hiding

    @property
    def filter_key(self) -> set[str]:
        """The list-shaping parameters of a Get- call, for read caches."""
        return {
            f"{k}={self.params.get(k)!r}"
            for k in ("RecipientTypeDetails", "Filter", "Anr")
            if self.params.get(k) is not None
        }

    def created(self, object_id: str, *names: str) -> None:
        """A New- cmdlet made ``object_id`` (also known by ``names``, which a lag rule's
        ``match.object`` may name); a matching ``lag`` rule hides it from reads."""
        if self.faults is not None and self.request is not None and not self.what_if:
            self.faults.note_created(object_id, self.request, names)
        if self.replication is not None and not self.what_if:
            self.replication.created(object_id)

    def not_replicated(self, operation: str, object_id: str) -> bool:
        """Whether this write naming ``object_id`` fails because the object was created
        moments ago and this replica does not hold it yet (replication.py)."""
        return self.replication is not None and self.replication.refuses(operation, object_id)

    def visible(self, object_id: str) -> bool:
        """Whether a Get- cmdlet may show ``object_id`` yet (wire-protocols.md §1.5:
        "Replication lag", an object still 404 six seconds after its New- cmdlet)."""
        return self.faults is None or self.faults.visible(object_id)


Handler = Callable[[Invocation], Sequence[Record]]


@dataclass(frozen=True)
class CmdletSpec:
    name: str
    params: tuple[Param, ...]
    run: Handler
    paged: bool = False  # list cmdlet whose output pages (and honours ResultSize when declared)

    @property
    def kind(self) -> Kind:
        return cmdlet_kind(self.name)


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, CmdletSpec] = {}

    def add(self, spec: CmdletSpec) -> None:
        self._specs[spec.name.lower()] = spec

    def get(self, name: str) -> CmdletSpec | None:
        return self._specs.get(name.lower())

    def names(self) -> list[str]:
        return sorted(s.name for s in self._specs.values())
