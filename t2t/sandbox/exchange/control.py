"""Sandbox-only view of the Exchange surface (not Microsoft's):

- ``GET /_sandbox/exchange/requests`` → ``{"requests": [...]}``: the InvokeCommand requests
  received since the last reset, oldest first, at most ``request_log.CAPACITY`` (or what
  ``POST`` set); each with ``seq`` (order among the Exchange requests and the Graph writes,
  graph/write_log.py), ``receivedAt``, ``tenant`` (the path segment), ``appId`` (None if
  unauthenticated), ``path``, ``status``, ``cmdlet``, ``cmdletInput`` (the JSON
  ``CmdletInput`` as received) and ``body`` (the raw request body text). ``?cmdlet=<name>``
  keeps one cmdlet's requests (repeat it to keep several);
- ``POST /_sandbox/exchange/requests`` with ``{"capacity": n}`` keeps up to ``n`` requests
  from now on (1 … ``request_log.MAX_CAPACITY``; a benchmark of thousands of mailboxes needs
  more than the default) → ``{"capacity": n}``, or 400 ``{"error"}``;
- ``DELETE /_sandbox/exchange/requests`` empties the log (``/_sandbox/reset`` does too).
"""

from __future__ import annotations

from t2t.sandbox.log_routes import log_routes

routes = log_routes(
    "/_sandbox/exchange/requests",
    lambda ctx: ctx.exchange_requests,
    key="requests",
    query="cmdlet",
    field="cmdlet",
)
