"""How the target's Exchange presents the cmdlets t2t stamps with to t2t's own identity: the
parameters the module Exchange generates for it declares (t2t/clients/module_functions.py).

One GET of the module file per tenant (the one Connect-ExchangeOnline makes, and that apply
makes anyway for its encryption key), only when the spec declares mailboxes: it needs no role
beyond the session itself, and it shows what RBAC trims before any MailUser is created
(T2T-E319).
"""

from __future__ import annotations

from typing import Any

from t2t.clients import ClientError
from t2t.clients.module_functions import cmdlet_parameters
from t2t.probes.registry import ReadContext, reads
from t2t.state import Fact
from t2t.state import parts as P
from t2t.state.exchange import SessionCmdlet

#: The cmdlets whose parameters the planner needs to know are there.
WATCHED = ("Set-MailUser",)


@reads(P.SESSION_CMDLETS)
async def _session_cmdlets(ctx: ReadContext) -> Fact[Any]:
    if not ctx.request.source_mailboxes:
        return Fact.present(())
    try:
        text = await ctx.exchange.module_file()
    except ClientError as exc:
        return Fact.unknown(f"the Exchange module file could not be read: {exc}")
    return Fact.present(
        tuple(
            SessionCmdlet(name, params or (), runnable=params is not None)
            for name, params in cmdlet_parameters(text, WATCHED).items()
        )
    )
