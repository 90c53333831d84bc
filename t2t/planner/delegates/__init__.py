"""What the move of each wave mailbox will lose (permissions, delegates, forwarding), as a
warning per mailbox and, with delegates.keepTogether, a check that keeps delegates and the
mailboxes they serve in one wave."""

from t2t.planner.delegates.domain import DELEGATES, losses_of
from t2t.planner.delegates.losses import Loss

__all__ = ["DELEGATES", "Loss", "losses_of"]
