"""Writes that name an object created moments ago: sent again while Microsoft says the object
is not there yet, never when the answer was lost.

Why: Entra and Exchange are replicated; the replica serving the next write may not hold the
object the last write created. Microsoft's answers then:

- Graph ``appRoleAssignedTo`` naming a new service principal: 400 ``Request_BadRequest``
  "Not a valid reference update." or 404 ``Request_ResourceNotFound``
  (microsoftgraph/msgraph-bicep-types #193; MicrosoftDocs azure-docs
  ``service-fabric-cluster-creation-setup-aad.md`` "Configuration changes haven't propagated.
  Scripts retry … 400 and 404"; hashicorp/terraform-provider-azuread retries exactly these);
- Graph writes to the Entra user of a new mail user: 404 ``Request_ResourceNotFound``;
- Exchange ``Add-DistributionGroupMember`` after ``New-DistributionGroup``, ``Set-MailUser``
  after ``New-MailUser``: ManagementObjectNotFoundException (exo-module-protocol.md
  "App-only administration" [live]; wire-protocols.md §1.5 "Replication lag").

Rules: an object this run created (the plan saw it absent, or the executor made it) gets the
retries, on the context's verify schedule until the action's deadline (t2t/apply/waiting.py).
A not-found on an object the plan said existed is taken as Microsoft's real answer (deleted
meanwhile) unless a read made right then still shows the object: then only the write path
lags (an earlier run created it moments ago) and the write is retried too. A TransportError
means the service may have acted: it is never re-sent; the caller re-reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from t2t.apply.context import ApplyContext
from t2t.apply.waiting import wait_for
from t2t.clients import ClientError, GraphError, GraphNotFound, ObjectNotFound, TransportError
from t2t.planner import Action

T = TypeVar("T")

#: Graph's text for a reference (a principalId) that does not resolve yet (bicep #193).
NOT_A_VALID_REFERENCE = "not a valid reference update"


def graph_not_replicated(exc: ClientError) -> bool:
    """Graph's answers for an object not replicated yet: 404, or 400 "Not a valid reference
    update." (the object is referenced in the body)."""
    if isinstance(exc, GraphNotFound):
        return True
    return (
        isinstance(exc, GraphError)
        and exc.status == 400
        and NOT_A_VALID_REFERENCE in exc.message.lower()
    )


def exchange_not_replicated(exc: ClientError) -> bool:
    """Exchange's answer for an object not replicated yet: ManagementObjectNotFoundException."""
    return isinstance(exc, ObjectNotFound)


def planned_absent(action: Action) -> bool:
    """The plan saw the action's object absent: a dependency of this run creates it."""
    return action.observed is None


async def send_replicated(
    ctx: ApplyContext,
    send: Callable[[], Awaitable[T]],
    *,
    not_replicated: Callable[[ClientError], bool],
    fresh: bool,
    present: Callable[[], Awaitable[bool]] | None = None,
) -> T:
    """``send()``; while the answer says the named object is not there yet — and it is
    ``fresh`` (created by this run) or ``present()`` still reads it — send again on the
    context's verify schedule, until the action's deadline (DeadlineReached). Every other
    error, and a TransportError (the write may have happened: re-read, never re-send), goes to
    the caller."""
    sent: list[T] = []
    last: list[ClientError] = []

    async def accepted() -> bool:
        nonlocal fresh
        try:
            sent.append(await send())
            return True
        except TransportError:
            raise
        except ClientError as exc:
            if not not_replicated(exc):
                raise
            if not fresh and (present is None or not await present()):
                raise
            fresh = True  # seen: from here on it is a replica behind, not an absence
            last[:] = [exc]
            return False

    if await accepted():
        return sent[0]
    # The first delay of the schedule was this first attempt's: the retries take the rest.
    schedule = ctx.verify_delays[1:]
    await wait_for(ctx, accepted, f"the object to replicate ({last[0]})", schedule=schedule)
    return sent[0]
