"""Mailbox size thresholds the planner's checks compare with and the probes read fresh near:
one place, since the planner and the probes may not import each other."""

from __future__ import annotations

#: Default RecoverableItemsQuota of a new target object (microsoft-t2t.md §8: 30 GB).
DEFAULT_RECOVERABLE_QUOTA = 30 * 1024**3
#: A mailbox at this share of its ProhibitSendReceiveQuota is "nearing" it (T2T-W324). Learn
#: gives no figure; 90 % is t2t's margin for what a mailbox receives while it syncs (Exchange's
#: own default warning quota, 98 of 100 GB, leaves too little).
NEAR_QUOTA = 0.9
