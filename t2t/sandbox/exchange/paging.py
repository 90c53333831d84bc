"""Pages and result size of list cmdlets (wire-protocols.md §1.4).

- ``Prefer: odata.maxpagesize=N`` (capped at 1000, default 1000) sets the page;
  ``@odata.nextLink`` carries a ``$skiptoken`` and the client re-POSTs the same body to it
  (the paging loop of ``Execute-Command``, dump lines 1459–1602).
- ``ResultSize`` caps the total for cmdlets that declare it; without it the cap is 1,000
  ("The default value is 1000", Get-Mailbox reference,
  https://learn.microsoft.com/powershell/module/exchangepowershell/get-mailbox#-resultsize;
  the module's own ``Get-ResultSize`` defaults to ``$DefaultPageSize`` = 1000, dump lines
  8 and 1013–1041). When the cap hides records, the page that ends the list carries the
  server's warning, which the module knows by heart to filter it while paging
  (``$FilterWarningsInPagination``, base64 at dump line 25, used at lines 1082–1097).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from t2t.sandbox.exchange.errors import CmdletError
from t2t.sandbox.exchange.params import Bound
from t2t.sandbox.exchange.registry import CmdletSpec

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000
DEFAULT_RESULT_SIZE = 1000

TRUNCATION_WARNING = (
    "There are more results available than are currently displayed. To view them, increase the "
    "value for the ResultSize parameter."
)
"""``$FilterWarningsInPagination`` (dump line 25), base64-decoded."""

_PREFER_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


def page_size(prefer: str) -> int | None:
    """The page size a ``Prefer`` header asks for (clamped to 1..1000), or None."""
    match = _PREFER_PAGE.search(prefer)
    if not match:
        return None
    return max(1, min(int(match.group(1)), MAX_PAGE_SIZE))


def encode_skip(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_skip(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CmdletError(
            400, "System.ArgumentException", f"Invalid $skiptoken '{token}'."
        ) from exc
    if not isinstance(offset, int) or offset < 0:
        raise CmdletError(400, "System.ArgumentException", f"Invalid $skiptoken '{token}'.")
    return offset


def result_cap(spec: CmdletSpec, params: Bound) -> int | None:
    """How many records the call may return in total; None for Unlimited."""
    if not any(p.name == "ResultSize" for p in spec.params):
        return None
    if "ResultSize" in params:
        cap: int | None = params.get("ResultSize")  # None: "Unlimited"
        return cap
    return DEFAULT_RESULT_SIZE


@dataclass(frozen=True)
class Page:
    records: Sequence[Any]
    next_offset: int | None
    truncated: bool
    """The result size cap hid records and this page ends the list."""


def page(spec: CmdletSpec, params: Bound, records: Sequence[Any], offset: int, size: int) -> Page:
    cap = result_cap(spec, params)
    hidden = cap is not None and len(records) > cap
    listed = records[:cap] if cap is not None else records
    if not spec.paged:
        return Page(listed, None, hidden)
    chunk = listed[offset : offset + size]
    more = offset + size < len(listed)
    return Page(chunk, offset + size if more else None, hidden and not more)
