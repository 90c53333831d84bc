"""Faults on demand, for every surface (identity, Graph, Exchange): ASGI middleware over
the whole app plus hooks for read-after-write lag. Nothing here is Microsoft's API; what
a fault *looks like* on the wire is Microsoft's:

- **throttle** — 429 with ``Retry-After`` (seconds) once a per-tenant token budget is spent
  (Graph: wire-protocols.md §2.9, body ``TooManyRequests`` "Too many requests from
  Identifier:…" [QA-1138873], https://learn.microsoft.com/graph/throttling; Exchange:
  §1.5 "429 with Retry-After" [DROLL], body shape assumed = Exchange's error envelope;
  identity: "Too Many Requests" as text, ``fault_body`` says where from). Budgets refill
  continuously at ``budget/windowSeconds`` per second of the sandbox clock, like a token bucket;
- **error** — a 5xx (or any status) in the surface's own error shape; 503 carries
  ``Retry-After`` when the rule sets one (https://learn.microsoft.com/graph/throttling);
- **drop** — the connection closes mid-response (the client sees an incomplete body);
- **latency** — a fixed delay (real time) before the request is served;
- **lag** — objects created while the rule matches stay invisible to reads for
  ``seconds`` of sandbox time, as Entra replication does (wire-protocols.md §1.5
  "Replication lag", measured 6 s for Exchange [DROLL];
  https://learn.microsoft.com/graph/best-practices-concept "eventual consistency").
  Surfaces call ``Faults.note_created`` / ``Faults.visible``: Graph for applications,
  service principals and invitation guests; Exchange (``Invocation.created``/``visible``)
  for organization relationships, mail users, distribution groups, mail contacts, migration
  endpoints and batches, hidden from their Get- cmdlets (and a mail user from Graph's user
  reads too).
  A lag rule may also name the object: ``match.object`` (a regex, case-insensitive) is
  searched in the created object's id and names — for a mail user New-MailUser made, its
  UPN, primary SMTP address, alias and name — so one object replicates late while the others
  created by the same cmdlet show at once. Replication lag is per object (each write lands
  on one replica; wire-protocols.md §1.5: one contact still 404 six seconds after
  New-MailContact), so a test arranges for one chosen object the delay Microsoft deals out
  at random. ``object`` is only valid on ``lag`` rules;
- **hold** — sandbox-only, for crash tests (holds.py): the request is kept open — handled
  first with ``afterHandling`` (its answer withheld), not yet without — and listed under
  ``held`` until the client goes away (a test kills it) or the hold is released (the rule
  deleted, or ``seconds`` of real time, default 120). ``skip`` lets that many matching
  requests through first. Nothing Microsoft does; it only arranges the moment of a crash.

Rules (``POST /_sandbox/faults``, see control.py) match on ``service`` (identity, graph,
exchange, arm, keyvault), ``tenant`` (name), ``method``, ``path`` (regex searched in the path, for
Graph batch requests the inner URL), ``cmdlet`` and ``access`` (``read`` or ``write``, as
the request counters count them, stats.py; a ``$batch`` writes when one of its requests
does; identity requests are neither); absent keys match everything. ``count``
limits how often a rule fires (then it is removed); absent = unlimited.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from t2t.sandbox.clock import Clock
from t2t.sandbox.holds import Holds, hold_request
from t2t.sandbox.stats import cmdlet_kind

Kind = Literal["throttle", "error", "drop", "latency", "lag", "hold"]
KINDS: tuple[str, ...] = ("throttle", "error", "drop", "latency", "lag", "hold")
SERVICES = ("identity", "graph", "exchange", "arm", "keyvault")
ACCESS = ("read", "write")
MATCH_KEYS = ("service", "tenant", "method", "path", "cmdlet", "object", "access")


@dataclass(frozen=True)
class RequestInfo:
    service: str
    tenant: str | None
    method: str
    path: str
    cmdlet: str | None = None
    app_id: str | None = None
    tenant_id: str | None = None
    access: str | None = None
    """read, write, or None (identity): access_of."""

    def to_json(self) -> dict[str, Any]:
        keys = ("service", "tenant", "method", "path", "cmdlet", "access")
        return {k: getattr(self, k) for k in keys}


def access_of(service: str, method: str, path: str, cmdlet: str | None, body: bytes) -> str | None:
    """Whether a request reads or writes, as stats.py counts it: a Get-/Test- cmdlet and a
    Graph GET (or ``getByIds`` POST) read; a ``$batch`` writes when one of its requests is
    not a GET."""
    if service == "exchange":
        return cmdlet_kind(cmdlet) if cmdlet else None
    if service in ("arm", "keyvault"):
        return "read" if method.upper() in ("GET", "HEAD") else "write"
    if service != "graph":
        return None
    if path.endswith("/$batch"):
        try:
            items = json.loads(body or b"{}").get("requests") or []
            methods = {str(i.get("method", "GET")).upper() for i in items if isinstance(i, dict)}
        except (ValueError, AttributeError):
            return "read"
        return "write" if methods - {"GET"} else "read"
    if method.upper() == "GET" or path.endswith("/getByIds"):
        return "read"
    return "write"


@dataclass
class Rule:
    id: int
    kind: str
    match: dict[str, str]
    count: int | None = None
    status: int = 503
    retry_after: int | None = None
    budget: int = 0
    window_seconds: float = 1.0
    ms: int = 0
    seconds: float = 0.0
    after_handling: bool = False
    skip: int = 0
    fired: int = 0
    seen: int = 0
    """Matching requests a ``hold`` rule let through (``skip``)."""

    def matches(self, info: RequestInfo) -> bool:
        m = self.match
        if "service" in m and m["service"] != info.service:
            return False
        if "tenant" in m and (info.tenant or "").lower() != m["tenant"].lower():
            return False
        if "method" in m and m["method"].upper() != info.method.upper():
            return False
        if "cmdlet" in m and (info.cmdlet or "").lower() != m["cmdlet"].lower():
            return False
        if "access" in m and info.access != m["access"]:
            return False
        return not ("path" in m and re.search(m["path"], info.path) is None)

    def names_object(self, names: tuple[str, ...]) -> bool:
        """Whether ``match.object`` (absent: any object) is found in one of ``names``."""
        pattern = self.match.get("object")
        return pattern is None or any(re.search(pattern, n, re.IGNORECASE) for n in names)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "match": dict(self.match)}
        if self.count is not None:
            out["count"] = self.count
        out["fired"] = self.fired
        if self.kind == "error":
            out["status"] = self.status
        if self.kind in ("error", "throttle") and self.retry_after is not None:
            out["retryAfter"] = self.retry_after
        if self.kind == "throttle":
            out.update(budget=self.budget, windowSeconds=self.window_seconds)
        if self.kind == "latency":
            out["ms"] = self.ms
        if self.kind == "lag":
            out["seconds"] = self.seconds
        if self.kind in ("drop", "hold"):
            out["afterHandling"] = self.after_handling
        if self.kind == "hold":
            out.update(skip=self.skip, seen=self.seen, seconds=self.seconds)
        return out


class FaultRuleError(ValueError):
    pass


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise FaultRuleError(f"{key} must be true or false")
    return value


def rule_from_json(rid: int, data: Any) -> Rule:
    if not isinstance(data, dict):
        raise FaultRuleError("a fault rule is a JSON object")
    allowed = {"kind", "match", "count", "status", "retryAfter", "budget", "windowSeconds"}
    allowed |= {"ms", "seconds", "afterHandling", "skip"}
    unknown = set(data) - allowed
    if unknown:
        raise FaultRuleError(f"unknown keys: {sorted(unknown)}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultRuleError(f"kind must be one of {list(KINDS)}")
    match = data.get("match", {})
    if not isinstance(match, dict) or set(match) - set(MATCH_KEYS):
        raise FaultRuleError(f"match keys: {', '.join(MATCH_KEYS)}")
    if "access" in match and match["access"] not in ACCESS:
        raise FaultRuleError(f"match.access must be one of {list(ACCESS)}")
    if "skip" in data and kind != "hold":
        raise FaultRuleError("skip is only valid on hold rules")
    if "object" in match:
        if kind != "lag":
            raise FaultRuleError("match.object is only valid on lag rules")
        try:
            re.compile(str(match["object"]))
        except re.error as exc:
            raise FaultRuleError(f"match.object is not a regex: {exc}") from None
    if "service" in match and match["service"] not in SERVICES:
        raise FaultRuleError(f"match.service must be one of {list(SERVICES)}")
    if "path" in match:
        try:
            re.compile(str(match["path"]))
        except re.error as exc:
            raise FaultRuleError(f"match.path is not a regex: {exc}") from None

    def num(key: str, default: Any, cast: type) -> Any:
        v = data.get(key, default)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise FaultRuleError(f"{key} must be a non-negative number")
        return cast(v)

    rule = Rule(
        id=rid,
        kind=kind,
        match={k: str(v) for k, v in match.items()},
        count=num("count", None, int),
        status=num("status", 503, int),
        retry_after=num("retryAfter", None, int),
        budget=num("budget", 0, int),
        window_seconds=num("windowSeconds", 1.0, float),
        ms=num("ms", 0, int),
        seconds=num("seconds", 0.0, float),
        after_handling=_flag(data, "afterHandling"),
        skip=num("skip", 0, int),
    )
    if kind == "error" and not 400 <= rule.status <= 599:
        raise FaultRuleError("status must be 400–599")
    if kind == "throttle" and rule.window_seconds <= 0:
        raise FaultRuleError("windowSeconds must be > 0")
    return rule


@dataclass
class Action:
    kind: str
    status: int = 0
    retry_after: int | None = None
    rule: Rule | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers (throttle.py: Graph's ``x-ms-throttle-*``)."""


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Faults:
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.rules: list[Rule] = []
        self._buckets: dict[tuple[int, str], _Bucket] = {}
        self._hidden: dict[str, float] = {}
        self.holds = Holds()

    # -- control -------------------------------------------------------------
    def add(self, data: Any) -> Rule:
        with self._lock:
            rule = rule_from_json(next(self._ids), data)
            self.rules.append(rule)
            return rule

    def remove(self, rid: int) -> bool:
        with self._lock:
            before = len(self.rules)
            self.rules = [r for r in self.rules if r.id != rid]
            self.holds.release(rid)
            return len(self.rules) != before

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self._buckets.clear()
            self._hidden.clear()
            self.holds.release()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [r.to_json() for r in self.rules],
                "hiddenObjects": len(self._hidden),
                "held": self.holds.snapshot(),
            }

    # -- decisions -------------------------------------------------------------
    def _spend(self, rule: Rule) -> None:
        rule.fired += 1
        if rule.count is not None and rule.fired >= rule.count:
            self.rules = [r for r in self.rules if r is not rule]

    def latency_ms(self, info: RequestInfo) -> int:
        """The delay of this request: every matching latency rule's, each spending its count
        (a slow answer to the first n requests only, e.g. a client's timeout met n times)."""
        with self._lock:
            slow = [r for r in self.rules if r.kind == "latency" and r.matches(info)]
            for rule in slow:
                self._spend(rule)
            return sum(r.ms for r in slow)

    def hold_rule(self, info: RequestInfo) -> Rule | None:
        """The ``hold`` rule this request is held by, if any (after its ``skip``)."""
        with self._lock:
            for rule in list(self.rules):
                if rule.kind != "hold" or not rule.matches(info):
                    continue
                if rule.seen < rule.skip:
                    rule.seen += 1
                    continue
                self._spend(rule)
                return rule
        return None

    def decide(self, info: RequestInfo) -> Action | None:
        """The first error/drop/throttle rule that fires for this request, if any."""
        now = self.clock.time()
        with self._lock:
            for rule in list(self.rules):
                if rule.kind not in ("error", "drop", "throttle") or not rule.matches(info):
                    continue
                if rule.kind == "throttle":
                    key = (rule.id, (info.tenant or "").lower())
                    rate = rule.budget / rule.window_seconds
                    b = self._buckets.setdefault(key, _Bucket(float(rule.budget), now))
                    b.tokens = min(float(rule.budget), b.tokens + (now - b.at) * rate)
                    b.at = now
                    if b.tokens >= 1:
                        b.tokens -= 1
                        continue
                    wait = rule.retry_after
                    if wait is None:
                        wait = max(1, math.ceil((1 - b.tokens) / rate)) if rate > 0 else 60
                    self._spend(rule)
                    return Action("throttle", 429, wait, rule)
                self._spend(rule)
                return Action(rule.kind, rule.status, rule.retry_after, rule)
        return None

    # -- read-after-write lag ---------------------------------------------------
    def note_created(self, object_id: str, info: RequestInfo, names: tuple[str, ...] = ()) -> None:
        """Hide a just-created object from reads if a lag rule matches its creation (and,
        with ``match.object``, the object's id or one of its ``names``)."""
        known = (object_id, *names)
        with self._lock:
            lagging = [
                r
                for r in self.rules
                if r.kind == "lag" and r.matches(info) and r.names_object(known)
            ]
            for rule in lagging:  # counted as fired (and a count spent) per object hidden
                self._spend(rule)
            seconds = max((r.seconds for r in lagging), default=0)
            if seconds > 0:
                self._hidden[object_id.lower()] = self.clock.time() + seconds

    @property
    def hiding(self) -> bool:
        return bool(self._hidden)

    def visible(self, object_id: str) -> bool:
        if not self._hidden:  # the common case, lock-free: Get- cmdlets ask per record
            return True
        with self._lock:
            until = self._hidden.get(object_id.lower())
            if until is None:
                return True
            if self.clock.time() >= until:
                del self._hidden[object_id.lower()]
                return True
            return False


# -- the middleware -------------------------------------------------------------------

_IDENTITY = re.compile(r"^/([^/]+)/(oauth2/|discovery/|v2\.0/\.well-known/)")
_EXCHANGE = re.compile(r"^/adminapi/[^/]+/([^/]+)/", re.IGNORECASE)


def fault_body(service: str, action: Action, info: RequestInfo) -> tuple[bytes, str]:
    """(body, content type) of a fault in the surface's own error shape.

    The identity platform's 429 to a client-credentials request is `Retry-After` (60 s in
    Microsoft's example) and a body that is not OAuth's JSON: "Too Many Requests" (Learn, MSAL.NET
    "client-and-server-throttling"; the body as MSAL.NET showed it,
    AzureAD/microsoft-authentication-library-for-dotnet#2855). Its 5xx comes without
    `Retry-After` (MSAL.NET wiki, Client-Throttling); the body is assumed OAuth's
    `temporarily_unavailable` (RFC 6749 §4.1.2.1) with AADSTS90033 MsodsServiceUnavailable, whose
    text is the error-code reference's."""
    from t2t.sandbox.graph.errors import error_body  # local: graph imports this module

    if service == "identity" and (action.kind == "throttle" or action.status == 429):
        return b"Too Many Requests", "text/plain"
    if action.kind == "throttle":
        if service == "graph":
            ident = f"{info.tenant_id or ''}+{info.app_id or ''}"
            body: dict[str, Any] = error_body(
                "TooManyRequests",
                f"Too many requests from Identifier:{ident} under category:throttled.",
            )
        else:
            body = {
                "error": {
                    "code": "TooManyRequests",
                    "message": "Too many requests. Please retry after some time.",
                }
            }
    else:
        codes = {500: "generalException", 503: "serviceNotAvailable", 504: "timeout"}
        if service == "identity":
            body = {
                "error": "temporarily_unavailable",
                "error_description": (
                    "AADSTS90033: The Microsoft Online Directory Service (MSODS) isn't available."
                ),
                "error_codes": [90033],
            }
        elif service == "graph":
            body = error_body(codes.get(action.status, "UnknownError"), "Injected fault.")
        else:
            body = {
                "error": {
                    "code": "InternalServerError" if action.status == 500 else "ServiceUnavailable",
                    "message": "Injected fault.",
                }
            }
    return json.dumps(body).encode(), "application/json"


class FaultsMiddleware:
    """Applies latency, error, drop and throttle rules to every request outside
    ``/_sandbox/`` before the surface sees it, then Microsoft's own budgets (``throttle``:
    ``(RequestInfo, body, scope) -> Action | None``, throttle.py, consulted only for requests
    ``throttled(method, path)`` says may count). Graph ``$batch`` is passed through: its
    inner requests are checked one by one (graph/batch.py). A ``hold`` rule is looked at
    first, on the request as sent (a whole ``$batch``): holds.py."""

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        resolve: Any,
        throttle: Any = None,
        throttled: Any = None,
    ) -> None:
        self.app, self.faults, self.resolve = app, faults, resolve
        self.throttle, self.throttled = throttle, throttled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        budgeted = self.throttled is not None and self.throttled(
            scope.get("method", "GET"), scope["path"]
        )
        if not self.faults.rules and not budgeted:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        info = self.resolve(scope, path, body)
        rule = self.faults.hold_rule(info)

        async def serve(out: Send) -> None:
            await self._serve(scope, info, body, out, budgeted=budgeted)

        if rule is None:
            await serve(send)
            return
        await hold_request(
            self.faults.holds,
            rule.id,
            info.to_json(),
            after_handling=rule.after_handling,
            seconds=rule.seconds,
            receive=receive,
            serve=serve,
            lose=lose_answer,
            send=send,
        )

    async def _serve(
        self, scope: Scope, info: RequestInfo, body: bytes, send: Send, *, budgeted: bool
    ) -> None:
        """The request as the rules (and Microsoft's budgets) say: delayed, refused, dropped,
        or handled by the surface."""
        path: str = scope["path"]
        delay = self.faults.latency_ms(info)
        if delay:
            await asyncio.sleep(delay / 1000)
        action = None if path.endswith("/$batch") else self.faults.decide(info)
        if action is None and budgeted:
            action = self.throttle(info, body, scope)
        if action is None:
            await self.app(scope, _replay(body), send)
            return
        if action.kind == "drop":
            if action.rule is not None and action.rule.after_handling:
                # The service acted, then the answer was lost on the way back (a timeout or
                # a reset after commit): the client must find out by reading again.
                async def swallow(message: Message) -> None:
                    return None

                await self.app(scope, _replay(body), swallow)
            await lose_answer(send)
            return
        payload, ctype = fault_body(info.service, action, info)
        headers = [
            (b"content-type", ctype.encode()),
            (b"content-length", str(len(payload)).encode()),
        ]
        if action.retry_after is not None:
            headers.append((b"retry-after", str(action.retry_after).encode()))
        headers.extend((k.encode(), v.encode()) for k, v in action.headers.items())
        await send({"type": "http.response.start", "status": action.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _replay(body: bytes) -> Receive:
    """A ``receive`` that hands the app the body already read, then a disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def lose_answer(send: Send) -> None:
    """A dropped connection, as the client sees it: the body stops short of its length."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"4096"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b'{"value":[', "more_body": False})


def classify(path: str) -> tuple[str, str | None]:
    """(service, tenant path segment) of a request path."""
    m = _EXCHANGE.match(path)
    if m:
        return "exchange", m.group(1)
    if path.startswith("/v1.0/") or path == "/v1.0":
        return "graph", None
    if path == "/subscriptions" or path.startswith("/subscriptions/"):
        return "arm", None
    if path.startswith("/keyvault/"):
        return "keyvault", None
    m = _IDENTITY.match(path)
    if m:
        return "identity", m.group(1)
    return "other", None


def cmdlet_of(body: bytes) -> str | None:
    try:
        data = json.loads(body or b"{}")
        name = data["CmdletInput"]["CmdletName"]
        return str(name) if isinstance(name, str) else None
    except (ValueError, KeyError, TypeError):
        return None
