"""Whether t2t's identity may pass the GUIDs a target MailUser must carry (T2T-E319). Pure.

Why before any MailUser is created: the move needs the target's ExchangeGuid (and ArchiveGuid
for an archive) — "The move process won't proceed if this attribute isn't present on target
object" (Learn, Cross-tenant mailbox migration, "Prerequisites for target user objects") — and
the Set-MailUser reference calls both parameters "reserved for internal Microsoft use", while
"you might not have access to some parameters if they aren't included in the permissions
assigned to you". A reader of the seed walkthrough (comment 9) met exactly that: "A parameter
cannot be found that matches parameter name 'ExchangeGuid'." A MailUser created and then never
stamped is worse than none: licensed, it gets a mailbox of its own, which blocks the move for
good (DESIGN.md, Actions step 4).

What proves it: the module Exchange generates for t2t's identity (t2t/clients/
module_functions.py) declares Set-MailUser without the parameter, or has no Set-MailUser at
all — the very function PowerShell binds against when it answers with comment 9's message. So
this is an error, and it blocks each mailbox whose chain would pass the parameter (its
New-MailUser too); a mailbox whose target already carries the GUIDs is not held back.
"""

from __future__ import annotations

from t2t.planner.checks import EXCHANGE_ROLE_FIX, CheckDef, Finding, finding, register
from t2t.state.exchange import SessionCmdlet

CODE = "T2T-E319"
STAMPED = ("ExchangeGuid", "ArchiveGuid")

register(
    CheckDef(
        CODE,
        "stamping-parameter-unavailable",
        "error",
        "t2t's identity may not pass Set-MailUser -ExchangeGuid/-ArchiveGuid in the target "
        "(its Exchange RBAC lacks the parameter)",
        "ParameterBindingException (NamedParameterNotFound): A parameter cannot be found that "
        "matches parameter name 'ExchangeGuid'. — the MailUser stays without the source's "
        "GUIDs and the move fails with MissingExchangeGuidException",
        "Give t2t's target identity a role whose Set-MailUser entry holds ExchangeGuid and "
        "ArchiveGuid — " + EXCHANGE_ROLE_FIX + " A custom role lacking them gets them back "
        "with Set-ManagementRoleEntry '<role>\\Set-MailUser' -Parameters ExchangeGuid,"
        "ArchiveGuid -AddParameter; Get-ManagementRole -Cmdlet Set-MailUser -CmdletParameters "
        "ExchangeGuid lists the roles that hold it. Then plan again.",
        "seed walkthrough comment 9; Set-MailUser reference (-ExchangeGuid, -ArchiveGuid: "
        "'reserved for internal Microsoft use'; 'you might not have access to some parameters "
        "if they aren't included in the permissions assigned to you'); Learn, Cross-tenant "
        "mailbox migration, 'Prerequisites for target user objects'; Set-ManagementRoleEntry "
        "and Get-ManagementRole references",
    ),
    scope="mailbox",
)


def unavailable(session: tuple[SessionCmdlet, ...]) -> frozenset[str]:
    """Which of the stamped parameters the module declares no Set-MailUser for (all of them
    when it has no Set-MailUser); empty when the module said nothing about Set-MailUser."""
    mail_user = next((c for c in session if c.cmdlet.lower() == "set-mailuser"), None)
    if mail_user is None:
        return frozenset()
    return frozenset(p for p in STAMPED if not mail_user.takes(p))


def stamping_finding(missing: frozenset[str], held_back: list[str]) -> Finding | None:
    """The one finding for every mailbox held back (the plan shows it once, with them)."""
    if not held_back:
        return None
    shown = ", ".join(held_back[:5]) + (
        f" and {len(held_back) - 5} more" if len(held_back) > 5 else ""
    )
    params = " and ".join(f"-{p}" for p in STAMPED if p in missing)
    return finding(
        CODE,
        "target",
        "Set-MailUser",
        f"the module Exchange generates for t2t's target identity has no Set-MailUser {params}; "
        f"{len(held_back)} mailbox(es) need it and are left out, before any MailUser is "
        f"created: {shown}",
        fixed_by_plan=False,
    )
