"""Sandbox-only view of the Graph writes (not Microsoft's; graph/write_log.py):

- ``GET /_sandbox/graph/writes`` → ``{"writes": [...]}``: the Graph writes handled since the
  last reset, oldest first, at most ``request_log.CAPACITY`` (or what ``POST`` set); each
  with ``seq``, ``receivedAt``, ``tenant``, ``appId``, ``method``, ``path``, ``operation``,
  ``status``, ``inBatch`` and ``body``. ``?operation=<method template>`` (e.g.
  ``PATCH /users/{id}``; repeat it to keep several) keeps those operations;
- ``POST /_sandbox/graph/writes`` with ``{"capacity": n}`` keeps up to ``n`` writes from now
  on → ``{"capacity": n}``, or 400 ``{"error"}``;
- ``DELETE /_sandbox/graph/writes`` empties the log (``/_sandbox/reset`` does too).
"""

from __future__ import annotations

from t2t.sandbox.log_routes import log_routes

routes = log_routes(
    "/_sandbox/graph/writes",
    lambda ctx: ctx.graph_writes,
    key="writes",
    query="operation",
    field="operation",
)
