"""One apply at a time per spec and target tenant: a lease kept in the target tenant itself.

Why in the tenant: two applies of one spec (two admins, a CI job and a laptop) run on
different machines, so no local lock file can see both; the tenant they both write to can.
What arbitrates must be atomic on Microsoft's side — two creators racing must not both
believe they won — and must not rest on a read, because reads lag writes (wire-protocols.md
§1.5: a mail contact still 404 six seconds after New-MailContact). So the lease is an object
whose *creation* fails when one of the same key exists, and whoever created it holds it.

**The object: a mail contact** named `lease_name(spec)` in the target tenant
(`New-MailContact -Name`). "The Name parameter specifies the unique name of the mail contact"
(https://learn.microsoft.com/powershell/module/exchangepowershell/new-mailcontact); every
recipient of an Exchange Online organization lives in its one OU, where Name is the object's
common name, so a second creation is refused with ADObjectAlreadyExistsException —
'The name "<Name>" is already being used. Please try another name.' (Microsoft Learn
training MS-203, object-provisioning validation errors), or, when two creations pass
Exchange's own check together, the directory's 'Active Directory operation failed on <DC>.
The object '<DN>' already exists.' of the same type. t2t reads the refusal by its type and
never decides by reading first. Weighed and not taken:

- a Graph application with an alternate key (`PATCH /applications(uniqueName='…')` with
  `Prefer: create-if-missing`, Learn "Upsert application"): the second caller is not refused,
  it *updates* the first caller's object (204) — and it needs Application.ReadWrite.All, which
  t2t does not otherwise need when it adopts a migration app by appId;
- an open extension on the organization: needs Organization.ReadWrite.All, a new and broad
  permission;
- the mail contact needs only what apply's Exchange steps in the target need already
  (Exchange.ManageAsApp and Organization Management: `LEASE_PERMISSIONS` in
  t2t/planner/kinds.py), holds no account, membership or right, and its holder is written by
  the very call that creates it, so nobody ever sees a lease without its holder.

**What it holds.** DisplayName (≤ 256 characters): `t2t apply lease: run <id>, <operator> on
<host>, since <UTC>` — the operator is the OS account that ran t2t. CustomAttribute1 (≤ 1,024):
`renewed <UTC>`, rewritten every `RENEW_EVERY_SECONDS` by `Set-MailContact`, whose first call
also hides the contact from address lists (HiddenFromAddressListsEnabled). ExternalEmailAddress:
`<name>@t2t-lease.invalid` (RFC 2606 reserves `.invalid`: mail to it goes nowhere). Times are
the holder's clock; a skew between machines shows a wrong age, it never takes a lease over —
only `--force-unlock` does.

**Lifecycle.** Taken after the plan was shown and approved and before the first action, so a
plan, and an apply with nothing to do, write nothing; renewed while apply runs; removed when
it ends — after a failure and after Ctrl-C too (the runner first lets writes in flight
finish). A renewal that finds the lease gone or someone else's (`--force-unlock` from another
machine) stops apply from starting more actions. A crashed apply leaves its lease: the next
one is refused, naming the holder, when it started and when it was last renewed; once that
run is known to be gone, `t2t apply --force-unlock` removes the lease and takes a new one.
A lost answer to our own New-MailContact is settled by reading the lease back: our run id in
it means we hold it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import hashlib
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog

from t2t.apply.context import DEFAULT_DEADLINE_SECONDS
from t2t.apply.executors.common import failure_message
from t2t.clients import (
    ClientError,
    CmdletResult,
    ExchangeClient,
    ExchangeError,
    ObjectNotFound,
    TransportError,
)
from t2t.clients.errors import DeadlineReached

log = structlog.get_logger("t2t.apply.lease")

#: How often a running apply renews its lease.
RENEW_EVERY_SECONDS = 60.0
#: A lease not renewed for this many renewal periods is shown as probably abandoned.
STALE_AFTER_RENEWALS = 3
#: Attempts (seconds between them) while the lease is not found although it exists: a replica
#: behind (wire-protocols.md §1.5, six seconds measured). Bounded in seconds, not by an
#: action's deadline: the lease is no action, and a refusal must come within seconds.
LAG_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0)
ONCE = (0.0,)
#: .NET types of Exchange's refusal to create a recipient whose Name or address is in use.
_EXISTS = frozenset({"ADObjectAlreadyExistsException", "ProxyAddressExistsException"})
_PREFIX = "t2t-lease-"
_LABEL = re.compile(
    r"^t2t apply lease: run (?P<run>[0-9a-f]+), (?P<operator>.*) on (?P<host>\S*), "
    r"since (?P<since>\S+)$"
)
_RENEWED = re.compile(r"^renewed (?P<at>\S+)$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class LeaseError(Exception):
    """The lease could not be taken (the message says why and what to do)."""


class LeaseHeld(LeaseError):
    """Another apply holds the lease: the message names it, its age and the way out."""


def lease_name(spec_name: str) -> str:
    """The lease's Name (≤ 64 characters): readable, and one per spec name."""
    slug = re.sub(r"[^a-z0-9]+", "-", spec_name.lower()).strip("-")[:36].strip("-") or "spec"
    digest = hashlib.sha256(spec_name.encode("utf-8")).hexdigest()[:8]
    return f"{_PREFIX}{slug}-{digest}"


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_utc(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _clean(text: str, limit: int) -> str:
    return _UNSAFE.sub("?", text).strip()[:limit] or "unknown"


def age(seconds: float) -> str:
    """A duration the way a person says it: 12 s, 4 min, 3 h, 2 d."""
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s // size} {unit}"
    return f"{s} s"


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "unknown"


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: one apply run, the account and machine it runs on, since when."""

    run_id: str
    operator: str
    host: str
    since: dt.datetime
    renewed: dt.datetime | None = None

    @classmethod
    def this_run(cls, now: dt.datetime) -> Holder:
        return cls(
            run_id=uuid.uuid4().hex[:12],
            operator=_clean(_operator(), 64),
            host=_clean(socket.gethostname(), 64).replace(" ", "-"),
            since=now.replace(microsecond=0),
        )

    def label(self) -> str:
        """The DisplayName that records this holder."""
        return f"t2t apply lease: run {self.run_id}, {self.operator} on {self.host}, since " + _utc(
            self.since
        )

    @classmethod
    def read(cls, record: dict[str, object]) -> Holder | None:
        """The holder a Get-MailContact record names, or None when t2t did not write it."""
        match = _LABEL.match(str(record.get("DisplayName") or ""))
        since = _parse_utc(match["since"]) if match else None
        if match is None or since is None:
            return None
        renewed = _RENEWED.match(str(record.get("CustomAttribute1") or ""))
        return cls(
            run_id=match["run"],
            operator=match["operator"],
            host=match["host"],
            since=since,
            renewed=_parse_utc(renewed["at"]) if renewed else None,
        )

    def describe(self, now: dt.datetime, renew_every: float = RENEW_EVERY_SECONDS) -> str:
        """Run, operator, host, started and last renewed, as ages — and whether it looks
        abandoned (not renewed for STALE_AFTER_RENEWALS periods)."""
        last = self.renewed or self.since
        quiet = (now - last).total_seconds()
        text = (
            f"run {self.run_id} by {self.operator} on {self.host}, started "
            f"{age((now - self.since).total_seconds())} ago ({_utc(self.since)}), "
            + (f"last renewed {age(quiet)} ago" if self.renewed else "not renewed yet")
        )
        if quiet > STALE_AFTER_RENEWALS * renew_every:
            text += (
                f" — it renews every {age(renew_every)} while it runs, so that run is probably gone"
            )
        return text


def _exists(exc: ExchangeError) -> bool:
    return exc.short_type in _EXISTS


async def _until_found(
    call: Callable[[], Awaitable[CmdletResult]], delays: tuple[float, ...]
) -> CmdletResult:
    """`call()`, again after each of `delays` while Exchange answers ManagementObjectNotFound
    (a replica that does not hold the lease yet); the last not-found goes to the caller."""
    last: ObjectNotFound | None = None
    for delay in delays:
        await asyncio.sleep(delay)
        try:
            return await call()
        except ObjectNotFound as exc:
            last = exc
    assert last is not None, "no attempt: delays is empty"
    raise last


class Lease:
    """This run's lease on one spec in the target tenant (use `hold_lease`)."""

    def __init__(
        self,
        exchange: ExchangeClient,
        spec_name: str,
        *,
        renew_every: float = RENEW_EVERY_SECONDS,
        notify: Callable[[str], None] = lambda _m: None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.name = lease_name(spec_name)
        self.exchange = exchange
        self.holder = Holder.this_run(clock())
        self.renew_every = renew_every
        self.lost: str | None = None
        """Why this run no longer holds the lease, once a renewal found it gone or taken."""
        self.held = False
        """This run created the lease (or may have: its New-MailContact was cut short)."""
        self.shown = False
        """A renewal found the lease: until then not found means not replicated yet."""
        self._notify = notify
        self._clock = clock

    @property
    def where(self) -> str:
        return f"the apply lease {self.name} (a mail contact in the target tenant)"

    async def _invoke(
        self, cmdlet: str, params: dict[str, object], delays: tuple[float, ...] = ONCE
    ) -> CmdletResult:
        return await _until_found(lambda: self.exchange.invoke(cmdlet, params), delays)

    async def read(self, delays: tuple[float, ...] = ONCE) -> dict[str, object] | None:
        """The lease's Get-MailContact record; None when it is not found (after `delays`)."""
        try:
            result = await self._invoke("Get-MailContact", {"Identity": self.name}, delays)
        except ObjectNotFound:
            return None
        return dict(result.values[0]) if result.values else None

    def _ours(self, record: dict[str, object] | None) -> bool:
        holder = Holder.read(record) if record is not None else None
        return holder is not None and holder.run_id == self.holder.run_id

    def _who(self, record: dict[str, object]) -> str:
        holder = Holder.read(record)
        if holder is None:
            return f"a mail contact t2t did not write ({str(record.get('DisplayName'))[:100]!r})"
        return holder.describe(self._clock(), self.renew_every)

    async def acquire(self, *, force_unlock: bool = False) -> None:
        """Create the lease, or raise LeaseHeld naming whoever holds it."""
        try:
            if force_unlock:
                await self._unlock()
            # A lost answer is asked again until an action's deadline would pass (a fixed
            # count gave up on ten dropped writes in a row); a Name in use that reads as
            # nobody's lease is given up after three refusals.
            refused, ends = 0, time.monotonic() + DEFAULT_DEADLINE_SECONDS
            while refused < 3 and time.monotonic() < ends:
                self.held = True  # from here until refused: a Ctrl-C may leave it created
                try:
                    await self.exchange.invoke(
                        "New-MailContact",
                        {
                            "Name": self.name,
                            "Alias": self.name,
                            "DisplayName": self.holder.label(),
                            "ExternalEmailAddress": f"SMTP:{self.name}@t2t-lease.invalid",
                        },
                    )
                    return self._taken()
                except TransportError:
                    pass  # the answer was lost: whether it landed, the lease itself says
                except ExchangeError as exc:
                    self.held = False
                    if not _exists(exc):
                        raise
                    refused += 1
                record = await self.read(LAG_DELAYS)
                if record is None:
                    continue  # released meanwhile, or not showing yet: create again
                if self._ours(record):
                    return self._taken()  # our own creation, whose answer was lost
                self.held = False
                raise LeaseHeld(
                    f"another apply holds {self.where}: {self._who(record)}. Wait for it to "
                    "finish; if that run is gone (killed, crashed), run `t2t apply "
                    "--force-unlock` to remove its lease and take a new one"
                )
        except (ClientError, DeadlineReached) as exc:
            raise LeaseError(f"could not take {self.where}: {failure_message(exc)}") from exc
        if refused < 3:
            raise LeaseError(
                f"could not take {self.where}: every answer to its creation was lost for "
                f"{DEFAULT_DEADLINE_SECONDS:.0f} s"
            )
        raise LeaseError(
            f"could not take {self.where}: its Name is in use but no mail contact of that name "
            "can be read; another recipient may hold the Name"
        )

    def _taken(self) -> None:
        self.held = True
        log.info("lease.taken", lease=self.name, run=self.holder.run_id)
        h = self.holder
        self._notify(f"Holding {self.where} as run {h.run_id} ({h.operator} on {h.host}).")

    async def _unlock(self) -> None:
        """--force-unlock: remove whatever lease is there, and say whose it was."""
        record = await self.read(LAG_DELAYS)
        if record is None:
            self._notify(f"No lease to unlock: {self.name} does not exist.")
            return
        with contextlib.suppress(ObjectNotFound):  # released meanwhile
            await self._invoke("Remove-MailContact", {"Identity": self.name})
        self._notify(f"Removed {self.where} of {self._who(record)}.")

    async def renew(self, *, first: bool = False) -> None:
        """Stamp the renewal time (the first time also hide the contact from address lists);
        set `lost` when the lease turns out to be gone or someone else's.

        The first comes moments after New-MailContact, so it does not read the lease first.
        Until a renewal has found the lease (`shown`), not found is a replica still behind
        (wire-protocols.md §1.5; the sandbox's lag reaches Set-MailContact too, README C3):
        asked again through the lag delays, then left to the next period — a lag longer than
        the delays must not stop the apply as if the lease had been removed."""
        if not first:
            record = await self.read()
            if record is not None and not self._ours(record):
                self.lost = f"{self.where} was taken over by {self._who(record)}"
                return
        params: dict[str, object] = {
            "Identity": self.name,
            "CustomAttribute1": f"renewed {_utc(self._clock())}",
        }
        if not self.shown:
            params["HiddenFromAddressListsEnabled"] = True
        try:
            await self._invoke("Set-MailContact", params, ONCE if self.shown else LAG_DELAYS)
        except ObjectNotFound:
            if self.shown:
                self.lost = f"{self.where} was removed (by `t2t apply --force-unlock`?)"
            return
        self.shown = True

    async def keep_renewed(self, body: asyncio.Task[object] | None) -> None:
        """Renew now and every `renew_every`; cancel `body` (apply) once the lease is lost.
        A renewal that fails otherwise (throttled, unreachable) is tried again a period later,
        and so is the first stamp until the lease shows."""
        first = True
        while self.lost is None:
            try:
                await self.renew(first=first)
                first = False
            except (ClientError, DeadlineReached) as exc:
                log.warning("lease.renew_failed", lease=self.name, error=str(exc))
            if self.lost is not None:
                self._notify(f"error: {self.lost}; this apply starts no more actions")
                if body is not None:
                    body.cancel()
                return
            await asyncio.sleep(self.renew_every)

    async def release(self) -> None:
        """Remove the lease unless it is no longer ours; say so when it cannot be removed."""
        if self.lost is not None or not self.held:
            return
        try:
            record = await self.read()
            if record is not None and not self._ours(record):
                return  # force-unlocked and taken meanwhile: theirs now
            await self._invoke("Remove-MailContact", {"Identity": self.name}, LAG_DELAYS)
            log.info("lease.released", lease=self.name, run=self.holder.run_id)
        except ObjectNotFound:
            pass  # already gone
        except (ClientError, DeadlineReached) as exc:
            self._notify(
                f"warning: could not remove {self.where} ({exc}); the next apply will be "
                "refused until it is run with --force-unlock"
            )


@asynccontextmanager
async def hold_lease(
    exchange: ExchangeClient,
    spec_name: str,
    *,
    force_unlock: bool = False,
    renew_every: float = RENEW_EVERY_SECONDS,
    notify: Callable[[str], None] = lambda _m: None,
) -> AsyncIterator[Lease]:
    """Hold the spec's lease in the target tenant for the block: taken on entry (LeaseHeld
    when another apply has it), renewed meanwhile, released on exit however the block ends.
    When the lease is lost the block's task is cancelled (apply stops starting actions)."""
    lease = Lease(exchange, spec_name, renew_every=renew_every, notify=notify)
    try:
        await lease.acquire(force_unlock=force_unlock)
    except asyncio.CancelledError:  # Ctrl-C while taking it: do not leave it behind
        await asyncio.create_task(lease.release())
        raise
    renewer = asyncio.create_task(lease.keep_renewed(asyncio.current_task()))
    try:
        yield lease
    finally:
        renewer.cancel()
        await asyncio.gather(renewer, return_exceptions=True)
        # A task of its own: the block's task may carry a consumed Ctrl-C (runner.py).
        await asyncio.create_task(lease.release())
