"""What every request handler of one running sandbox shares."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request

from t2t.sandbox.clock import Clock
from t2t.sandbox.device_codes import DeviceFlows
from t2t.sandbox.exchange.module_key import ModuleKey
from t2t.sandbox.exchange.request_log import RequestLog
from t2t.sandbox.faults import Faults
from t2t.sandbox.graph.report_downloads import ReportDownloads
from t2t.sandbox.graph.write_log import GraphWriteLog
from t2t.sandbox.replication import Replication
from t2t.sandbox.state import StateStore
from t2t.sandbox.stats import Stats
from t2t.sandbox.strictness import STRICT, Strictness
from t2t.sandbox.throttle import Throttle
from t2t.sandbox.tokens import TokenSigner


@dataclass
class SandboxContext:
    store: StateStore
    signer: TokenSigner
    stats: Stats
    module_key: ModuleKey
    clock: Clock = field(default_factory=Clock)
    faults: Faults = field(init=False)
    replication: Replication = field(init=False)
    """Writes naming a just-created object fail for a while (replication.py)."""
    throttle: Throttle = field(init=False)
    """Microsoft's Graph and Exchange budgets (throttle.py; on while strictness.throttling)."""
    device_flows: DeviceFlows = field(default_factory=DeviceFlows)
    """Device codes waiting for a person, refresh tokens, consents (device_flow.py)."""
    report_downloads: ReportDownloads = field(default_factory=ReportDownloads)
    """Usage reports behind their preauthenticated download URLs (graph/handlers/reports.py)."""
    exchange_requests: RequestLog = field(default_factory=RequestLog)
    """What InvokeCommand received, for tests (request_log.py); cleared by reset."""
    graph_writes: GraphWriteLog = field(init=False)
    """The Graph writes handled, in one order with ``exchange_requests`` (graph/write_log.py);
    cleared by reset."""
    profile: Strictness = STRICT
    """The profile the sandbox was started with (strictness.py); reset returns to it."""
    strictness: Strictness = field(init=False)
    """The values in force now (a test may change them through ``/_sandbox/strictness``)."""

    def __post_init__(self) -> None:
        self.faults = Faults(self.clock)
        self.replication = Replication(self.clock)
        self.throttle = Throttle(self.clock)
        self.graph_writes = GraphWriteLog(sequence=self.exchange_requests.sequence)
        self.strictness = self.profile


def context_of(request: Request) -> SandboxContext:
    ctx = request.app.state.sandbox
    assert isinstance(ctx, SandboxContext)
    return ctx


def base_url_of(request: Request) -> str:
    """``https://host:port`` as the client addressed us (links must point back to it)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def new_request_id() -> str:
    return str(uuid.uuid4())


def utc_timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
