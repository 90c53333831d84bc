"""Per declared mailbox: source checks, the target MailUser, usageLocation and licences."""

from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.planner.mailboxes.domain import (
    KIND_CREATE,
    KIND_IDENTITY,
    KIND_LICENSE,
    KIND_USAGE,
    KINDS,
    MAILBOXES,
    plan_mailboxes,
)
from t2t.planner.mailboxes.identity import IdentityPlan, create_parameters, plan_identity
from t2t.planner.mailboxes.licensing import assign_body, missing_skus, usage_location_body

__all__ = [
    "KINDS",
    "KIND_CREATE",
    "KIND_IDENTITY",
    "KIND_LICENSE",
    "KIND_USAGE",
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
