"""Replication on writes: a write that names an object created moments ago can fail.

Why: Entra and Exchange are replicated directories; the replica that serves the next write
may not hold an object the previous write created. Reads lag too (faults.py ``lag``), but
writes fail even when no lag rule is set, so every client must survive it. What the failure
looks like is Microsoft's:

- Graph ``POST /servicePrincipals/{resource}/appRoleAssignedTo`` whose ``principalId`` is a
  service principal created moments ago: 400 ``Request_BadRequest`` "Not a valid reference
  update." (microsoftgraph/msgraph-bicep-types #193 "Replication delays: Not a valid reference
  update error … appRoleAssignedTo", fails for minutes, succeeds when re-run; the Graph body
  is quoted in MicrosoftDocs azure-docs ``service-fabric-cluster-creation-setup-aad.md``,
  "Configuration changes haven't propagated. Scripts retry … 400 and 404"; hashicorp
  terraform-provider-azuread retries exactly 404 and that 400 on this call).
  ``POST /servicePrincipals/{new}/appRoleAssignments`` (the new one in the URL): 404
  ``Request_ResourceNotFound`` "Resource '<id>' does not exist or one of its queried
  reference-property objects are not present." (the same sources: 404 is the object itself
  not yet replicated);
- Exchange ``Add-DistributionGroupMember`` right after ``New-DistributionGroup`` and
  ``Set-MailUser`` right after ``New-MailUser``: ManagementObjectNotFoundException
  "The operation couldn't be performed because object '<identity>' couldn't be found on
  '<DC>'." (404; exo-module-protocol.md "App-only administration" [live], wire-protocols.md
  §1.5 "Replication lag");
- Graph ``PATCH /users/{id}`` and ``POST /users/{id}/assignLicense`` on the Entra user of a
  mail user New-MailUser created moments ago: 404 ``Request_ResourceNotFound`` (the Exchange
  object reaches Entra by directory sync, https://learn.microsoft.com/graph/best-practices-concept
  "eventual consistency"; assumption: the same text as any absent user).

Which writes fail is deterministic, so tests are reproducible: within ``windowSeconds`` of
sandbox clock after the object's creation, the first ``refusals`` writes of each operation
naming it are refused; later ones (or any after the window) pass. With a ``seed``, each
(object, operation) gets its own count in 0…``refusals`` from a hash of seed, operation and
object id. On only while ``strictness.replication`` is true (strictness.py), so the ``kind``
profile turns it off. ``GET/POST /_sandbox/replication`` shows and changes the settings
(control.py); reset restores the defaults and forgets every object.

Real windows are minutes (the bicep issue), at times none; the defaults refuse two writes
within five minutes, which proves a client retries without making tests wait.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

from t2t.sandbox.clock import Clock

OPERATIONS = ("grant", "group-member", "mailuser-set", "user-write")
"""What can be refused: an app role assignment naming a new service principal; membership
changes of a new group; Set-MailUser of a new mail user; Graph writes to the Entra user of a
new mail user (usageLocation, assignLicense)."""

DEFAULT_REFUSALS = 2
DEFAULT_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class Settings:
    refusals: int = DEFAULT_REFUSALS
    window_seconds: float = DEFAULT_WINDOW_SECONDS
    seed: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"refusals": self.refusals, "windowSeconds": self.window_seconds, "seed": self.seed}


def settings_from_json(current: Settings, data: Any) -> Settings:
    """``current`` with the fields of ``data`` applied; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("send a JSON object: refusals, windowSeconds, seed")
    unknown = set(data) - {"refusals", "windowSeconds", "seed"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    refusals, window, seed = current.refusals, current.window_seconds, current.seed
    if "refusals" in data:
        v = data["refusals"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError("refusals must be an integer >= 0")
        refusals = v
    if "windowSeconds" in data:
        v = data["windowSeconds"]
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise ValueError("windowSeconds must be a number >= 0")
        window = float(v)
    if "seed" in data:
        v = data["seed"]
        if v is not None and not isinstance(v, str):
            raise ValueError("seed must be a string or null")
        seed = v
    return Settings(refusals, window, seed)


@dataclass
class Replication:
    """Objects created recently (id → sandbox time) and the refusals spent on each."""

    clock: Clock = field(default_factory=Clock)
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._created: dict[str, float] = {}
        self._refused: dict[tuple[str, str], int] = {}

    def configure(self, data: Any) -> Settings:
        with self._lock:
            self.settings = settings_from_json(self.settings, data)
            return self.settings

    def reset(self) -> None:
        with self._lock:
            self.settings = Settings()
            self._created.clear()
            self._refused.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {**self.settings.to_json(), "recentObjects": len(self._created)}

    def created(self, object_id: str) -> None:
        """An object was created now (Graph or Exchange)."""
        with self._lock:
            self._created[object_id.lower()] = self.clock.time()

    def _allowance(self, operation: str, key: str) -> int:
        s = self.settings
        if s.seed is None:
            return s.refusals
        digest = hashlib.sha256(f"{s.seed}|{operation}|{key}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % (s.refusals + 1)

    def refuses(self, operation: str, object_id: str) -> bool:
        """Whether this write naming ``object_id`` fails as not replicated yet (and counts
        it). Objects the sandbox did not see created (the seed's) are never refused."""
        key = object_id.lower()
        with self._lock:
            born = self._created.get(key)
            if born is None:
                return False
            if self.clock.time() - born >= self.settings.window_seconds:
                del self._created[key]
                return False
            spent = self._refused.get((operation, key), 0)
            if spent >= self._allowance(operation, key):
                return False
            self._refused[(operation, key)] = spent + 1
            return True
