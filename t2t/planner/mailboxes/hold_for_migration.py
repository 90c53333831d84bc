"""T2T-E306's repair: the target MailUser's Recoverable Items quota raised to 100 GB with
Set-MailUser -EnableLitigationHoldForMigration.

Why this command: Exchange Online offers no other. Set-MailUser -RecoverableItemsQuota is
"available only in on-premises Exchange"; -EnableLitigationHoldForMigration "is used in
cross-tenant mailbox migrations to increase the quota on the Recoverable Items folder to 100 GB
(and also enable Litigation Hold) prior to migration … This feature is not available in hybrid
tenants" (Set-MailUser reference, https://learn.microsoft.com/powershell/module/exchangepowershell/set-mailuser).
The 2022 migration article gave the same step to "Non-hybrid target tenants" (LEARN-22, step 3);
the current one dropped it only "as the migration will fail if the source mailbox is on hold"
(microsoft-365-docs PR #12497) — a held source is T2T-E304's, and this repair is then blocked by
it like the rest of the chain.

When it is planned: E306 fires (the source's TotalDeletedItemSize is over the target's quota),
100 GB is enough, and the target is not synchronised from on-premises (a synced object refuses
cloud writes, and the feature is not for hybrid tenants). Its side effect is said in the finding
and the action: the MailUser — and the mailbox the move makes of it — is on Litigation Hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import Finding
from t2t.planner.domain import action_id
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.state import fingerprint
from t2t.state.exchange import MailboxStatistics, Recipient

HOLD_FOR_MIGRATION_QUOTA = 100 * 1024**3
"""The Recoverable Items quota -EnableLitigationHoldForMigration gives (Set-MailUser reference)."""


def repairable(statistics: MailboxStatistics | None, current: Recipient | None) -> bool:
    """Whether raising the target's quota to 100 GB makes room for the source's Recoverable
    Items, on a target t2t may write (cloud: absent now, or a MailUser not synchronised)."""
    deleted = statistics.total_deleted_item_size_bytes if statistics is not None else None
    if deleted is None or deleted > HOLD_FOR_MIGRATION_QUOTA:
        return False
    return current is None or (not current.is_mailbox and not current.is_dir_synced)


def fixed(found: Finding) -> Finding:
    """E306 as this plan fixes it."""
    return found.model_copy(
        update={
            "fixed_by_plan": True,
            "message": f"{found.message}; t2t raises it to 100 GB with Set-MailUser "
            "-EnableLitigationHoldForMigration, which also puts the MailUser (and the mailbox "
            "the move makes of it) on Litigation Hold",
        }
    )


@dataclass(frozen=True)
class HoldDesire:
    """What the executor converges from: the target MailUser (its address, else its UPN) and
    the Recoverable Items quota Get-MailUser must show."""

    target: str
    upn: str
    recoverable_items_quota: int = HOLD_FOR_MIGRATION_QUOTA

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "upn": self.upn,
            "recoverable_items_quota": self.recoverable_items_quota,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HoldDesire:
        return cls(
            target=str(data["target"]),
            upn=str(data["upn"]),
            recoverable_items_quota=int(data["recoverable_items_quota"]),
        )


def hold_action(
    d: MailboxDesire,
    current: Recipient | None,
    depends_on: tuple[str, ...],
    blocked: tuple[str, ...],
) -> Action:
    """Set-MailUser <target> -EnableLitigationHoldForMigration, after the MailUser exists."""
    identity = (current.guid or current.identity) if current is not None else d.target
    before = current.recoverable_items_quota_bytes if current is not None else None
    observed = (
        None if current is None else {"Identity": current.identity, "RecoverableItemsQuota": before}
    )
    return Action(
        id=action_id("target", K.MAILUSER_HOLD_FOR_MIGRATION.name, d.key),
        tenant="target",
        kind=K.MAILUSER_HOLD_FOR_MIGRATION.name,
        key=d.key,
        operation="update",
        cmdlet="Set-MailUser",
        parameters={"Identity": identity, "EnableLitigationHoldForMigration": True},
        changes=(
            Change(field="RecoverableItemsQuota", before=before, after=HOLD_FOR_MIGRATION_QUOTA),
            Change(field="LitigationHoldEnabled", before=False, after=True),
        ),
        desired=HoldDesire(d.target, d.upn).to_dict(),
        observed=observed,
        fingerprint=fingerprint(observed),
        depends_on=depends_on,
        summary=f"raise {d.target}'s Recoverable Items quota to 100 GB for the move (and put "
        "it on Litigation Hold)",
        blocked_by=blocked,
    )
