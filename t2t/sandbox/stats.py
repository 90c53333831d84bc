"""Request counters, so tests can prove that probes never write and benchmarks can count calls.

Counting rules (documented for ``GET /_sandbox/stats``, which is a sandbox-only
endpoint, not Microsoft's):

- every request to an emulated Microsoft surface counts once in ``total``,
  ``byService`` (``identity``, ``exchange``, ``graph``, ``arm``, ``keyvault``) and,
  when its tenant is known, ``byTenant`` (tenant name);
- an Exchange cmdlet counts in ``byCmdlet``; it is a *read* when its verb is Get or
  Test, otherwise (New, Set, Remove, Enable, Start, Complete, …) a *write*;
- identity requests (OIDC metadata, keys, tokens) are neither reads nor writes;
- requests refused before a cmdlet is known (bad token, 401/403) count under their
  service but not in ``byCmdlet``/``byKind``;
- a Graph request counts in ``byMethod`` (HTTP method) and ``byOperation``
  (``"GET /users/{id}"``: method + path template). GET is a *read*; POST, PATCH and
  DELETE are *writes*, except POST queries (``/directoryObjects/getByIds``) which read.
  ``POST /$batch`` itself counts once in ``total``/``byService`` but is neither read nor
  write: each inner request counts on its own as above (in ``total`` and ``byService``
  too) and also in ``batchItems``, so ``total - batchItems`` is the HTTP requests that
  reached the sandbox (a benchmark's requests per mailbox);
- an ARM (``arm``) or Key Vault data-plane (``keyvault``) request counts in ``byMethod`` and
  ``byOperation`` (method + path template, e.g. ``"PUT /subscriptions/{subscriptionId}/…/
  vaults/{vaultName}"``, ``"GET /secrets/{name}/{version}"``); GET/HEAD read, everything else
  writes; one refused before it is authenticated (Key Vault's 401 challenge) counts under its
  service only;
- ``/_sandbox/*`` requests are never counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Literal

Kind = Literal["read", "write"]

READ_VERBS = frozenset({"Get", "Test"})


def cmdlet_kind(cmdlet: str) -> Kind:
    """Get-/Test- cmdlets read; everything else writes."""
    verb = cmdlet.split("-", 1)[0]
    return "read" if verb.capitalize() in READ_VERBS else "write"


class Stats:
    """Thread-safe counters of the requests the sandbox served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._total = 0
            self._by_service: Counter[str] = Counter()
            self._by_cmdlet: Counter[str] = Counter()
            self._by_tenant: Counter[str] = Counter()
            self._by_kind: Counter[str] = Counter({"read": 0, "write": 0})
            self._by_method: Counter[str] = Counter()
            self._by_operation: Counter[str] = Counter()
            self._batch_items = 0

    def record(
        self,
        service: str,
        *,
        tenant: str | None = None,
        cmdlet: str | None = None,
        kind: Kind | None = None,
        method: str | None = None,
        operation: str | None = None,
        in_batch: bool = False,
    ) -> None:
        with self._lock:
            self._total += 1
            self._batch_items += in_batch
            self._by_service[service] += 1
            if tenant:
                self._by_tenant[tenant] += 1
            if cmdlet:
                self._by_cmdlet[cmdlet] += 1
            if kind:
                self._by_kind[kind] += 1
            if method:
                self._by_method[method] += 1
            if operation:
                self._by_operation[operation] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "reads": self._by_kind["read"],
                "writes": self._by_kind["write"],
                "byService": dict(self._by_service),
                "byCmdlet": dict(self._by_cmdlet),
                "byTenant": dict(self._by_tenant),
                "byKind": {"read": self._by_kind["read"], "write": self._by_kind["write"]},
                "byMethod": dict(self._by_method),
                "byOperation": dict(self._by_operation),
                "batchItems": self._batch_items,
            }
