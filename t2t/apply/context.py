"""What executors need at apply time: a writable Exchange client per tenant, and pacing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from t2t.apply.graph_batch import GraphBatcher
from t2t.apply.recipient_reads import RecipientReads
from t2t.clients import ExchangeClient, GraphClient, HostSet
from t2t.clients.azure import AzureClients
from t2t.planner.actions import Role

#: How long one action may take, retries and waits included (t2t/clients/deadline.py): past
#: it the action's outcome is unknown and the next run finishes it. `t2t apply --deadline`.
DEFAULT_DEADLINE_SECONDS = 600.0

#: Re-read delays (seconds) while a write becomes visible: Exchange reads lag writes by seconds
#: (wire-protocols.md §1.5: a contact was still 404 six seconds after New-MailContact). The last
#: is repeated until the action's deadline (t2t/apply/waiting.py).
DEFAULT_VERIFY_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

#: Sign-in attempts (seconds between them) while a new client secret propagates: observed
#: 4-18 s (microsoft-graph-docs #17966), at times minutes. Every second for the first 20 s,
#: then less often (the last repeated until the action's deadline).
_EVERY_SECOND, _THEN = (1.0,) * 20, (5.0,) * 4 + (10.0,) * 5 + (15.0,) * 4 + (30.0,) * 5
DEFAULT_SECRET_WAIT_DELAYS = (0.0, *_EVERY_SECOND, *_THEN)


#: Further re-reads (seconds before each) of a licensed user's Exchange provisioning, after the
#: first look — the read that verified the licences, right after assignLicense. Microsoft
#: provisions in "less than 30 minutes … up to 24 hours" (Learn, "Delays in provisioning of
#: user/mailbox"): apply does not wait that out; a licence still provisioning holds its batch
#: until a later run (T2T-E320).
DEFAULT_LICENCE_PROVISIONING_DELAYS: tuple[float, ...] = ()


@dataclass
class ApplyContext:
    """Writable clients per tenant role (executors re-read through `.reader()` twins)."""

    exchange: dict[Role, ExchangeClient]
    graph: dict[Role, GraphClient] = field(default_factory=dict)
    azure: dict[Role, AzureClients] = field(default_factory=dict)
    """Azure Resource Manager and Key Vault (the target's, in keyVaultCertificate mode)."""
    verify_delays: tuple[float, ...] = field(default=DEFAULT_VERIFY_DELAYS)
    hosts: HostSet | None = None
    """Where Entra lives: a new secret is tried there before Exchange is given it."""
    tenant_ids: dict[Role, str] = field(default_factory=dict)
    secret_wait_delays: tuple[float, ...] = field(default=DEFAULT_SECRET_WAIT_DELAYS)
    licence_provisioning_delays: tuple[float, ...] = field(
        default=DEFAULT_LICENCE_PROVISIONING_DELAYS
    )
    licences_provisioning: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Target addresses licensed in this run whose Exchange plans have not provisioned yet
    (their statuses): batch.create holds a batch holding any of them (executors/batch.py)."""
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    """Each action's deadline, from its start (runner.py)."""
    on_wait: Callable[[str, str], None] | None = None
    """(action id, progress text) while an action waits for a write to show (waiting.py)."""
    active: Counter[str] = field(default_factory=Counter, repr=False)
    """Actions holding a runner slot now, per tenant and API ("target:graph", runner.slot_key):
    how many callers the tenant's coalescers can expect (coalesce.py `companions`)."""
    _batchers: dict[Role, GraphBatcher] = field(default_factory=dict, repr=False)
    _reads: dict[Role, RecipientReads] = field(default_factory=dict, repr=False)

    def graph_batch(self, role: Role) -> GraphBatcher:
        """The tenant's shared `$batch` coalescer for per-user Graph calls."""
        if role not in self._batchers:
            self._batchers[role] = GraphBatcher(
                self.graph[role], companions=lambda: self.active[f"{role}:graph"]
            )
        return self._batchers[role]

    def recipient_reads(self, role: Role) -> RecipientReads:
        """The tenant's shared coalescer of re-reads of recipients by name."""
        if role not in self._reads:
            self._reads[role] = RecipientReads(self.exchange[role])
        return self._reads[role]
