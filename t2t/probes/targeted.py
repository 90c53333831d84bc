"""Targeted re-reads of one object, for executors.

Why not the bulk probes: an executor re-reads its object right before writing and again to
verify, and a 10,000-mailbox apply runs tens of thousands of actions — re-reading whole
collections (Get-MailUser -ResultSize Unlimited, GET /users) per action would be quadratic.
Exchange's `-Identity` and Graph's `/users/{id|upn}` return one object in one request.
"""

from __future__ import annotations

from t2t.clients import ExchangeClient, GraphClient, GraphNotFound, ObjectNotFound
from t2t.clients.graph import segment
from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.state.directory import DirectoryUser
from t2t.state.exchange import Recipient


async def read_recipient(exchange: ExchangeClient, identity: str) -> Recipient | None:
    """The mail user (else the mailbox) `identity` names, or None when there is neither."""
    reader = exchange.reader()
    for cmdlet, props in (
        ("Get-MailUser", x.MAILUSER_PROPERTIES),
        ("Get-Mailbox", x.MAILBOX_PROPERTIES),
    ):
        try:
            result = await reader.invoke(cmdlet, {"Identity": identity}, select=props)
        except ObjectNotFound:
            continue
        # -Identity may match more than one object (and `*` is legal in an address, which
        # Exchange may read as a wildcard): keep only an object that holds exactly this name.
        found = holding(identity, [x.parse_recipient(record) for record in result.values])
        if found is not None:
            return found
    return None


def holding(name: str, found: list[Recipient]) -> Recipient | None:
    """The first recipient that holds exactly ``name`` (any case) as its identity, primary or
    other SMTP address, GUID or UPN: how a read by name picks its answer from what matched."""
    wanted = name.lower()
    for r in found:
        names = {r.identity.lower(), r.primary_smtp_address.lower(), r.guid.lower()}
        names |= {a.lower() for a in r.smtp_addresses}
        names.add(r.user_principal_name.lower())
        if wanted in names:
            return r
    return None


async def read_user(graph: GraphClient, upn_or_id: str) -> DirectoryUser | None:
    try:
        body = await graph.reader().get(f"/users/{segment(upn_or_id)}", {"$select": d.USER_SELECT})
    except GraphNotFound:
        return None
    return d.parse_user(body)
