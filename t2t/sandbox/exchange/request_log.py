"""The sandbox's record of what InvokeCommand received (not Microsoft's).

Why: tests must be able to show what t2t put on the wire — above all that a secret
travelled only encrypted (exo-module-protocol.md, "Sensitive parameters are encrypted by
the client"). Each entry keeps the request body exactly as received; the ring is bounded
so a long-running sandbox does not grow without limit, and ``/_sandbox/reset`` clears it.

Each entry carries ``seq`` and ``receivedAt`` (t2t/sandbox/entry_ring.py, shared with the
Graph write log), ``tenant``, ``appId``, ``path``, ``anchor`` (the X-AnchorMailbox header, or
None), ``status``, ``cmdlet``, ``cmdletInput`` and ``body``.
"""

from __future__ import annotations

import json

from t2t.sandbox.entry_ring import CAPACITY, EntryRing, Sequence, checked_capacity

__all__ = ["CAPACITY", "RequestLog", "Sequence", "checked_capacity"]


class RequestLog(EntryRing):
    """The last ``capacity`` InvokeCommand requests, oldest first."""

    def record(
        self,
        *,
        tenant: str,
        app_id: str | None,
        path: str,
        anchor: str | None,
        body: bytes,
        status: int,
    ) -> None:
        text = body.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        cmdlet_input = parsed.get("CmdletInput") if isinstance(parsed, dict) else None
        name = cmdlet_input.get("CmdletName") if isinstance(cmdlet_input, dict) else None
        self.append(
            {
                "tenant": tenant,
                "appId": app_id,
                "path": path,
                "anchor": anchor,
                "status": status,
                "cmdlet": name if isinstance(name, str) else None,
                "cmdletInput": cmdlet_input,
                "body": text,
            }
        )
