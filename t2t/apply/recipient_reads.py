"""Re-reads of target recipients by name, from many executors, coalesced into bulk reads.

Why: every mailbox's executors re-read its MailUser before each write and again to verify
(DESIGN.md "re-read, write, verify"), each read by -Identity costing Get-MailUser and, when
absent, Get-Mailbox: about 8 InvokeCommand calls per mailbox, most of the Exchange budget of an
apply (README, "Apply at the throttle limit"). Here the reads that arrive together leave as one
``Get-MailUser -Filter "(EmailAddresses -eq 'a') -or (UserPrincipalName -eq 'a') -or (Name -eq
'a') -or …"`` and, for the names no mail user holds, one ``Get-Mailbox -Filter`` of the same
shape (Learn, "Filterable properties for the -Filter parameter": EmailAddresses, Name and
UserPrincipalName are filterable on both cmdlets; a complete address matches without its
``smtp:`` prefix). Each caller gets what `read_recipient` would give it: the first mail user,
else mailbox, that holds exactly its name (targeted.holding).

Every read is still a read made now: a name joins only a request not yet sent
(coalesce.py), so a verify never sees an answer older than its write.

`NAMES_PER_READ` caps the names in one filter: Microsoft documents no limit on a filter's
length or clauses (README, open questions), so t2t stays at 20 names (60 comparisons). A name
no filter can quote with certainty (opath.quotable) or shaped like a GUID (Guid is not among
the filtered properties) is read alone, by -Identity.
"""

from __future__ import annotations

import asyncio
import re

from t2t.apply.coalesce import Coalescer, Queued
from t2t.clients import ExchangeClient, deadline, opath
from t2t.probes import exchange_objects as x
from t2t.probes.targeted import holding, read_recipient
from t2t.state.exchange import Recipient

#: Names in one -Filter (20 × 3 comparisons): a cap of t2t's, not a documented limit.
NAMES_PER_READ = 20

#: Properties a name is looked for in, each filterable on Get-MailUser and Get-Mailbox.
_BY = ("EmailAddresses", "UserPrincipalName", "Name")

_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def name_filter(names: list[str]) -> str:
    """The -Filter that finds every recipient holding one of ``names``."""
    return opath.any_of(opath.eq(prop, name) for name in names for prop in _BY)


class RecipientReads(Coalescer[str, Recipient | None]):
    """One tenant's coalesced `read_recipient`."""

    def __init__(
        self,
        exchange: ExchangeClient,
        *,
        wait: float = 0.02,
        in_flight: int = 2,
        max_wait: float = 0.5,
    ) -> None:
        super().__init__(size=NAMES_PER_READ, wait=wait, in_flight=in_flight, max_wait=max_wait)
        self._reader = exchange.reader()

    async def read(self, name: str) -> Recipient | None:
        """The mail user (else the mailbox) holding exactly ``name``, read now."""
        if not opath.quotable(name) or _GUID.fullmatch(name.strip()):
            return await read_recipient(self._reader, name)
        return await self._call(name)

    async def read_either(self, first: str, second: str) -> Recipient | None:
        """The recipient holding ``first``, else the one holding ``second`` (a target address
        and its UPN), both names asked in the same bulk read."""
        if first.lower() == second.lower():
            return await self.read(first)
        by_first, by_second = await asyncio.gather(self.read(first), self.read(second))
        return by_first if by_first is not None else by_second

    async def _send(self, chunk: list[Queued[str, Recipient | None]]) -> None:
        names = list(dict.fromkeys(q.call.lower() for q in chunk))
        found: dict[str, Recipient] = {}
        try:
            with deadline.until(self.until(chunk)):
                for cmdlet, props in (
                    ("Get-MailUser", x.MAILUSER_PROPERTIES),
                    ("Get-Mailbox", x.MAILBOX_PROPERTIES),
                ):
                    missing = [n for n in names if n not in found]
                    if not missing:
                        break
                    out = await self._reader.invoke(
                        cmdlet, {"Filter": name_filter(missing)}, select=props
                    )
                    matched = [x.parse_recipient(record) for record in out.values]
                    for n in missing:
                        r = holding(n, matched)
                        if r is not None:
                            found[n] = r
        except Exception as exc:  # every waiter gets the failure, as its own read would
            self.fail(chunk, exc)
            return
        for q in chunk:
            if not q.future.done():
                q.future.set_result(found.get(q.call.lower()))
