"""Microsoft's own throttling budgets, on by default (``strictness.throttling``).

Unlike a ``throttle`` fault rule (faults.py, which a test adds), these budgets are always
there, as they are in Microsoft 365, so every client must live within them:

- **Graph, identity and access writes** (microsoftgraph/microsoft-graph-docs-contrib
  ``concepts/throttling-limits.md`` "Identity and access service limits", also
  https://learn.microsoft.com/graph/throttling-limits and Microsoft Q&A 620714): the write
  quota is **3,000 requests per 2 minutes and 30 seconds per application+tenant pair** and
  **18,000 requests per 5 minutes per tenant**. The write cost of POST, PATCH, PUT and
  DELETE on an identity path is 1; GETs, and the POSTs that only read
  (``directoryObjects/getByIds``, ``getObjectsById``, ``isMemberOf``,
  ``checkMemberGroups``…), cost 0 writes, so reads are never refused by these budgets
  (their resource-unit quota is not emulated). Identity paths are the resources listed in
  ``includes/throttling-identity-and-access.md``: users, groups, applications, service
  principals (their ``appRoleAssignedTo`` / ``appRoleAssignments``), directory objects,
  domains, organization, OAuth2 permission grants, devices, directory roles, contracts,
  policies, subscribed SKUs. ``/invitations`` (B2B) is not in that list and is not counted.
- **Every request inside ``$batch`` counts on its own** (``concepts/json-batching.md``
  "Batch size limitations" and ``concepts/throttling.md`` "Throttling and batching":
  "Requests in a batch are evaluated individually against throttling limits"); a refused
  item answers 429 inside a batch that succeeds (graph/batch.py).
- **Exchange admin API, per tenant**: Microsoft documents that Exchange Online throttles
  PowerShell work (support KB 2881759, "Micro delay applied" warnings) but publishes no
  numbers for the REST-based module. Assumption (README open questions): every
  InvokeCommand call counts against a per-tenant budget of ``EXCHANGE_DEFAULT`` — the
  remote PowerShell default policy reported by third parties (Quadrotech, 2013:
  ``PowerShellMaxCmdlets`` 200 per ``PowerShellMaxCmdletsTimePeriod`` 5 s, per user),
  applied to the whole tenant and stretched to a minute so a refusal's wait is realistic.

How a refusal looks (Microsoft's): status 429, ``Retry-After`` = whole seconds until the
window frees a slot (never 0), Graph's ``TooManyRequests`` body "Too many requests from
Identifier:<tid>+<appId> under category:throttled." (faults.py ``fault_body``, QA-1138873)
and the identity headers ``x-ms-throttle-scope`` (``Tenant_Application/Write/<app>/<tid>``
or ``Tenant/Write/<app>/<tid>``) and ``x-ms-throttle-information: WriteLimitExceeded``
(throttling-limits.md "Throttled responses requests"); Exchange's error envelope with
``TooManyRequests`` (wire-protocols.md §1.5 "429 with Retry-After").

Budgets are sliding windows on the sandbox clock (clock.py): a request is admitted when
fewer than ``limit`` admitted requests of its key fall in the last ``windowSeconds``.
Refused requests are not counted (Microsoft says it keeps logging usage while a client is
throttled, concepts/throttling.md; counting refusals would only punish a client that ignores
``Retry-After``, which ``earlyRetries`` below already exposes). A request refused and sent
again (same ``client-request-id``, or without one the same body) before its ``Retry-After``
elapsed is counted in ``earlyRetries``, so a test can show a client never overran a refusal.

``GET /_sandbox/throttle`` shows budgets, usage and counters; ``POST /_sandbox/throttle``
with ``{"budgets": {"graphAppTenant": {"limit": n, "windowSeconds": s}, …}}`` changes
budgets (a test lowers them to stay fast); ``POST /_sandbox/reset`` restores the defaults
and forgets all usage (control.py).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from t2t.sandbox.clock import Clock
from t2t.sandbox.faults import Action, RequestInfo


@dataclass(frozen=True)
class Budget:
    limit: int
    window_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "windowSeconds": self.window_seconds}


GRAPH_APP_TENANT_DEFAULT = Budget(3000, 150.0)
"""throttling-limits.md: write quota per application+tenant pair, 3,000 per 2 min 30 s."""
GRAPH_TENANT_DEFAULT = Budget(18000, 300.0)
"""throttling-limits.md: write quota per tenant, 18,000 per 5 minutes."""
EXCHANGE_DEFAULT = Budget(2400, 60.0)
"""Assumption (no Microsoft number; see the module docstring): InvokeCommand calls per
tenant per minute (200 per 5 s, as a minute)."""

DEFAULT_BUDGETS: dict[str, Budget] = {
    "graphAppTenant": GRAPH_APP_TENANT_DEFAULT,
    "graphTenant": GRAPH_TENANT_DEFAULT,
    "exchangeTenant": EXCHANGE_DEFAULT,
}

#: First path segments of the identity and access resources
#: (includes/throttling-identity-and-access.md), lower case.
IDENTITY_SEGMENTS = frozenset(
    {
        "users",
        "groups",
        "applications",
        "serviceprincipals",
        "directoryobjects",
        "domains",
        "organization",
        "oauth2permissiongrants",
        "devices",
        "directoryroles",
        "directoryroletemplates",
        "contracts",
        "policies",
        "subscribedskus",
        "groupsettings",
        "groupsettingtemplates",
        "me",
    }
)
#: POSTs whose write cost is 0 (throttling-limits.md base request costs table).
_READ_ONLY_POSTS = frozenset(
    {
        "getbyids",
        "getobjectsbyid",
        "ismemberof",
        "checkmembergroups",
        "checkmemberobjects",
        "getmembergroups",
        "getmemberobjects",
    }
)
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_SEGMENT = re.compile(r"^/(?:v1\.0|beta)/([^/(?]+)", re.IGNORECASE)


def is_identity_write(method: str, path: str) -> bool:
    """Whether a Graph request (path with or without /v1.0) costs one identity write."""
    if method.upper() not in _WRITE_METHODS:
        return False
    full = path if path.lower().startswith(("/v1.0/", "/beta/")) else "/v1.0" + path
    m = _SEGMENT.match(full)
    if m is None or m.group(1).lower() not in IDENTITY_SEGMENTS:
        return False
    last = full.rstrip("/").rsplit("/", 1)[-1].lower()
    return not (method.upper() == "POST" and last in _READ_ONLY_POSTS)


def is_exchange_command(method: str, path: str) -> bool:
    return method.upper() == "POST" and path.lower().rstrip("/").endswith("/invokecommand")


@dataclass
class _Refusal:
    until: float


@dataclass
class Throttle:
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.budgets: dict[str, Budget] = dict(DEFAULT_BUDGETS)
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._refused: dict[str, _Refusal] = {}
        self.admitted: dict[str, int] = {}
        self.refusals: dict[str, int] = {}
        self.early_retries = 0

    # -- control -------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.budgets = dict(DEFAULT_BUDGETS)
            self._windows.clear()
            self._refused.clear()
            self.admitted.clear()
            self.refusals.clear()
            self.early_retries = 0

    def configure(self, data: Any) -> None:
        """``{"budgets": {name: {"limit": n, "windowSeconds": s}}}``; ValueError if wrong."""
        if not isinstance(data, dict) or set(data) - {"budgets"}:
            raise ValueError('send {"budgets": {"<name>": {"limit": n, "windowSeconds": s}}}')
        budgets = data.get("budgets") or {}
        if not isinstance(budgets, dict):
            raise ValueError("budgets must be an object")
        changed = dict(self.budgets)
        for name, value in budgets.items():
            if name not in DEFAULT_BUDGETS:
                raise ValueError(f"unknown budget {name!r} (known: {sorted(DEFAULT_BUDGETS)})")
            if not isinstance(value, dict) or set(value) - {"limit", "windowSeconds"}:
                raise ValueError(f"{name}: send {{'limit': n, 'windowSeconds': s}}")
            limit = value.get("limit", changed[name].limit)
            window = value.get("windowSeconds", changed[name].window_seconds)
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ValueError(f"{name}.limit must be an integer >= 1")
            if isinstance(window, bool) or not isinstance(window, int | float) or window <= 0:
                raise ValueError(f"{name}.windowSeconds must be a number > 0")
            changed[name] = Budget(limit, float(window))
        with self._lock:
            self.budgets = changed

    def snapshot(self) -> dict[str, Any]:
        now = self.clock.time()
        with self._lock:
            usage: dict[str, dict[str, int]] = {}
            for (name, key), times in self._windows.items():
                window = self.budgets[name].window_seconds
                used = sum(1 for t in times if t > now - window)
                if used:
                    usage.setdefault(name, {})[key] = used
            return {
                "budgets": {n: b.to_json() for n, b in self.budgets.items()},
                "inWindow": usage,
                "admitted": dict(self.admitted),
                "refusals": dict(self.refusals),
                "earlyRetries": self.early_retries,
            }

    # -- decisions -------------------------------------------------------------
    def decide(
        self, info: RequestInfo, body: Any = None, request_id: str | None = None
    ) -> Action | None:
        """Count one request; the 429 to answer with when a budget is spent, else None.

        A resent request (for ``earlyRetries``) is recognised by its ``client-request-id``
        (``request_id``: clients keep it across retries of one request), else by ``body``
        (bytes or JSON-able, e.g. a ``$batch`` item)."""
        keys = self._keys(info)
        if not keys:
            return None
        fingerprint = _fingerprint(info, body, request_id)
        now = self.clock.time()
        with self._lock:
            self._forget(now)
            refused = self._refused.get(fingerprint)
            if refused is not None and now < refused.until:
                self.early_retries += 1
            wait, spent = 0.0, ""
            for name, key in keys:
                budget = self.budgets[name]
                times = self._windows.setdefault((name, key), deque())
                while times and times[0] <= now - budget.window_seconds:
                    times.popleft()
                if len(times) >= budget.limit:
                    # A slot frees when enough of the oldest admitted requests leave the window.
                    free_in = times[len(times) - budget.limit] + budget.window_seconds - now
                    if not spent or free_in > wait:
                        wait, spent = free_in, name
            if spent:
                retry_after = max(1, math.ceil(wait))
                self.refusals[spent] = self.refusals.get(spent, 0) + 1
                self._refused[fingerprint] = _Refusal(now + retry_after)
                return Action("throttle", 429, retry_after, None, _headers(spent, info))
            for name, key in keys:
                self._windows[(name, key)].append(now)
                self.admitted[name] = self.admitted.get(name, 0) + 1
            self._refused.pop(fingerprint, None)
            return None

    def _keys(self, info: RequestInfo) -> list[tuple[str, str]]:
        tenant = (info.tenant_id or info.tenant or "").lower()
        if not tenant:
            return []  # not authenticated: the surface answers 401
        if info.service == "graph" and is_identity_write(info.method, info.path):
            app = (info.app_id or "").lower()
            return [("graphAppTenant", f"{app}/{tenant}"), ("graphTenant", tenant)]
        if info.service == "exchange" and is_exchange_command(info.method, info.path):
            return [("exchangeTenant", tenant)]
        return []

    def _forget(self, now: float) -> None:
        if len(self._refused) > 1000:
            self._refused = {k: r for k, r in self._refused.items() if r.until > now}


def _headers(budget: str, info: RequestInfo) -> dict[str, str]:
    if info.service != "graph":
        return {}
    scope = "Tenant_Application" if budget == "graphAppTenant" else "Tenant"
    return {
        "x-ms-throttle-scope": f"{scope}/Write/{info.app_id or ''}/{info.tenant_id or ''}",
        "x-ms-throttle-information": "WriteLimitExceeded",
    }


def _fingerprint(info: RequestInfo, body: Any, request_id: str | None) -> str:
    if request_id:
        raw = b"client-request-id:" + request_id.encode()
    elif isinstance(body, bytes | bytearray):
        raw = bytes(body)
    else:
        import json

        raw = json.dumps(body, sort_keys=True, default=str).encode()
    who = f"{info.service}|{info.app_id}|{info.tenant_id or info.tenant}|{info.method}|{info.path}"
    return hashlib.sha256(who.encode() + b"\0" + raw).hexdigest()
