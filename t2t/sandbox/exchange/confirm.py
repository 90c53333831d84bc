"""``-Confirm`` on high-impact cmdlets, as InvokeCommand sees it.

Why: the module sends a cmdlet whose proxy declares ``ConfirmImpact='High'`` first with
``Confirm: true`` — a validation call whose answer carries ``@adminapi.confirmationmessage``
and no results — and only after the user agreed again with ``Confirm: false``
(``Execute-Command``, dump lines 1423–1430 and 1511–1541; the proxy's
``$cmdletConfirmImpactValue = 3``, e.g. Complete-MigrationBatch line 3318). The server runs
in a host that cannot prompt, so a high-impact call with no ``Confirm`` at all is refused the
way PowerShell refuses a prompt in a non-interactive host (HostException; the exact status
Microsoft answers with is not public — README "Open questions").
"""

from __future__ import annotations

from typing import Literal

from t2t.sandbox.exchange.errors import HOST_EXCEPTION, CmdletError
from t2t.sandbox.exchange.params import Bound

HIGH_IMPACT: dict[str, int] = {
    "complete-migrationbatch": 3280,
    "remove-distributiongroupmember": 37247,
    "remove-mailcontact": 39006,
    "remove-migrationbatch": 39537,
    "remove-migrationendpoint": 39596,
    "remove-migrationuser": 39655,
    "remove-moverequest": 39831,
    "remove-organizationrelationship": 39951,
    "set-user": 57267,
    "stop-migrationbatch": 57904,
    # Not emulated yet, listed so they are strict the day they are:
    "remove-distributiongroup": 37187,
    "remove-mailuser": 39063,
    "update-distributiongroupmember": 59683,
}
"""Cmdlets whose proxy declares ``ConfirmImpact='High'``: the dump line of each proxy."""

Mode = Literal["act", "validate", "prompt"]


def mode(cmdlet: str, params: Bound) -> Mode:
    """``act``: run it; ``validate``: the Confirm:true call (check, do nothing, answer with
    the confirmation message); ``prompt``: it would have to ask, and cannot.

    ``Confirm: true`` is a validation call on any cmdlet that takes ``-Confirm``: an explicit
    ``-Confirm`` lowers ``$ConfirmPreference`` so the proxy sets ``$ShowConfirmPrompt`` for
    every impact level (the proxies' ``$cmdletConfirmImpactValue`` test, e.g. line 3318),
    and Execute-Command sends the same two calls. Only a high-impact cmdlet prompts unasked.
    """
    if params.get("WhatIf"):
        return "act"  # -WhatIf answers ShouldProcess without a prompt
    if params.get("Confirm"):
        return "validate"
    if cmdlet.lower() in HIGH_IMPACT and "Confirm" not in params:
        return "prompt"
    return "act"


def message(cmdlet: str, params: Bound) -> str:
    """The ShouldProcess text; PowerShell's default form (Exchange's own per-cmdlet texts are
    not public — README "Open questions")."""
    target = params.get("Identity") or ""
    return f'Performing the operation "{cmdlet}" on target "{target}".'


def host_refusal(cmdlet: str, params: Bound) -> CmdletError:
    """PowerShell's text when a command prompts in a host without user interaction."""
    return CmdletError(
        400,
        HOST_EXCEPTION,
        "A command that prompts the user failed because the host program or the command type "
        "does not support user interaction. The host was attempting to request confirmation "
        f"with the following message: {message(cmdlet, params)}",
        error_id="",
    )
