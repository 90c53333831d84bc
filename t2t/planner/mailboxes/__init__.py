"""Per declared mailbox: source checks, the target MailUser, usageLocation and licences."""

from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.planner.mailboxes.domain import (
    MAILBOXES,
    plan_mailboxes,
)
from t2t.planner.mailboxes.identity import IdentityPlan, create_parameters, plan_identity
from t2t.planner.mailboxes.licensing import assign_body, missing_skus, usage_location_body

__all__ = [
    "MAILBOXES",
    "IdentityPlan",
    "MailboxDesire",
    "assign_body",
    "create_parameters",
    "missing_skus",
    "plan_identity",
    "plan_mailboxes",
    "usage_location_body",
]
