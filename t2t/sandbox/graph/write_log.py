"""The sandbox's record of the Graph writes it handled (not Microsoft's).

Why: the Exchange request log (exchange/request_log.py) shows what InvokeCommand received;
Graph writes need the same so a test or benchmark can show, from the sandbox's own records,
which writes t2t made and in what order — e.g. that one mailbox's usageLocation and licence
landed before the hundredth MailUser was created. Each write request that reaches a Graph
route whose kind is ``write`` (POST, PATCH, DELETE; not the POSTs that only read, such as
``getByIds``) is kept, top-level or inside ``$batch`` (``inBatch``), after it was answered:

``seq`` (drawn from the sequence the Exchange log uses, so the two interleave exactly),
``receivedAt``, ``tenant`` (name), ``appId``, ``method``, ``path`` (``/v1.0/…`` as
addressed, without the query), ``operation`` (method + path template, as in
``/_sandbox/stats``), ``status``, ``inBatch`` and ``body`` (the JSON body as received).

Requests refused before a route handles them (a bad token, a fault rule, Microsoft's budgets
in throttle.py) are not kept — the same rule as the Exchange log, whose requests are kept only
once they reach InvokeCommand. The ring is bounded like the Exchange log (``resize`` raises
the bound) and ``/_sandbox/reset`` clears it.
"""

from __future__ import annotations

from typing import Any

from t2t.sandbox.entry_ring import EntryRing


class GraphWriteLog(EntryRing):
    """The last ``capacity`` Graph writes, oldest first."""

    def record(
        self,
        *,
        tenant: str,
        app_id: str | None,
        method: str,
        path: str,
        operation: str,
        status: int,
        in_batch: bool,
        body: Any,
    ) -> None:
        self.append(
            {
                "tenant": tenant,
                "appId": app_id,
                "method": method,
                "path": path,
                "operation": operation,
                "status": status,
                "inBatch": in_batch,
                "body": body,
            }
        )
