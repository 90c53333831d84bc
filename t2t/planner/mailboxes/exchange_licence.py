"""No Exchange Online licence in the spec for mailboxes the move converts (T2T-W340).

Why a warning, not a block: Microsoft lets the target's licence wait until after the move —
"This license assignation can be done before the migration is complete, but you shouldn't
assign a license prior to stamping the ExchangeGUID attribute … To mitigate this risk, it's
best to wait until the migration is complete and assign licenses during the 30-day grace
period" (Learn, Cross-tenant mailbox migration, FAQ "At which step should I assign the
Exchange Online license to destination MailUsers?"). Nothing fails at the move; what breaks is
later: "All users in both the source and target organizations must be licensed with the
appropriate Exchange Online subscriptions" (Prerequisites) and "You'll need to ensure that the
mailbox object is properly licensed to not affect mail service" (Known issues). So t2t says it
once, before the first batch, with the spec key to change.

Which licences give a mailbox is read from the target's subscribedSkus `servicePlans`: an
Exchange Online plan is named `EXCHANGE_S_…` (EXCHANGE_S_STANDARD, EXCHANGE_S_ENTERPRISE,
EXCHANGE_S_DESKLESS, EXCHANGE_S_ESSENTIALS …, Microsoft Entra "Product names and service plan
identifiers for licensing"), except the two that give no mailbox of their own: Exchange
Foundation (EXCHANGE_S_FOUNDATION, part of SKUs without a mailbox such as Power BI Pro) and
the archiving add-on (EXCHANGE_S_ARCHIVE_ADDON, "Exchange Online Archiving for Exchange
Online", which extends a mailbox another licence gives). Shared mailboxes need no licence
("shared mailboxes do not require a license", Learn, Exchange Online "Shared mailboxes"), so
only user mailboxes count.
"""

from __future__ import annotations

from collections.abc import Iterable

from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.state.directory import SubscribedSku

EXCHANGE_PLAN_PREFIX = "EXCHANGE_S_"
NOT_A_MAILBOX = frozenset({"EXCHANGE_S_FOUNDATION", "EXCHANGE_S_ARCHIVE_ADDON"})
#: How many of the mailboxes the finding names (the count is always whole).
NAMED = 5

NO_EXCHANGE_LICENCE = CheckDef(
    "T2T-W340",
    "no-exchange-licence-in-spec",
    "warning",
    "identities.licenses names no licence with an Exchange Online mailbox plan, and user "
    "mailboxes of the spec hold none in the target",
    "nothing fails at the move (Microsoft lets the licence wait: 'it's best to wait until the "
    "migration is complete and assign licenses during the 30-day grace period', Learn FAQ); "
    "a converted mailbox still unlicensed when that grace period ends loses mail service "
    "('ensure that the mailbox object is properly licensed to not affect mail service')",
    "Add an Exchange Online licence the target owns to identities.licenses (a SKU whose "
    "servicePlans include EXCHANGE_S_STANDARD, EXCHANGE_S_ENTERPRISE or another mailbox plan, "
    "e.g. EXCHANGESTANDARD): t2t assigns it after stamping the ExchangeGuid, never before. Or "
    "license the moved mailboxes yourself within 30 days of their move. Shared mailboxes need "
    "none.",
    "Learn, Cross-tenant mailbox migration (https://learn.microsoft.com/microsoft-365/"
    "enterprise/cross-tenant-mailbox-migration): FAQ 'At which step should I assign the "
    "Exchange Online license to destination MailUsers?', Prerequisites ('All users in both the "
    "source and target organizations must be licensed with the appropriate Exchange Online "
    "subscriptions'), Known issues; Graph subscribedSku servicePlans; Microsoft Entra 'Product "
    "names and service plan identifiers for licensing'",
)

register(NO_EXCHANGE_LICENCE, scope="mailbox")


def gives_mailbox(sku: SubscribedSku) -> bool:
    """Whether the licence carries an Exchange Online mailbox plan."""
    return any(
        p.upper().startswith(EXCHANGE_PLAN_PREFIX) and p.upper() not in NOT_A_MAILBOX
        for p in sku.service_plans
    )


def no_exchange_licence_finding(
    spec_skus: Iterable[SubscribedSku], unlicensed: list[str]
) -> Finding | None:
    """T2T-W340 when the spec's licences (resolved in the target) give no mailbox and some
    user mailboxes the move converts hold no such licence in the target already."""
    skus = list(spec_skus)
    if not unlicensed or any(gives_mailbox(s) or not s.service_plans for s in skus):
        return None  # a SKU with no plans listed was read before t2t read them: not judged
    named = ", ".join(unlicensed[:NAMED])
    more = f" and {len(unlicensed) - NAMED} more" if len(unlicensed) > NAMED else ""
    return finding(
        NO_EXCHANGE_LICENCE.code,
        "target",
        "identities.licenses",
        f"{len(unlicensed)} user mailbox(es) will be converted without an Exchange Online "
        f"licence: {named}{more}",
        fixed_by_plan=False,
    )
