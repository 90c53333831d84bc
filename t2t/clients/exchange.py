"""Exchange Online admin API: cmdlets over `POST /adminapi/beta/{tenant}/InvokeCommand`.

Wire format from wire-protocols.md §1: the JSON envelope (§1.2), `Prefer: odata.maxpagesize`
paging with `@odata.nextLink` re-POSTed with the same body (§1.4), companion `@odata.`/`@data.`
keys dropped (§1.3), warnings kept, and errors classified on the .NET exception type carried in
`error.details[].message` as `<ErrorId>|<type>|<text>` (§1.5).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from t2t.clients.auth import TokenSource, token_roles
from t2t.clients.errors import (
    ExchangeError,
    ObjectNotFound,
    PermissionDenied,
    ServiceError,
    WriteForbidden,
)
from t2t.clients.http import HttpLayer, HttpResult

log = structlog.get_logger("t2t.exchange")

#: Verbs that never change anything; a read-only client refuses every other verb before sending.
READ_VERBS = frozenset({"Get", "Test"})

#: The anchor the ExchangeOnlineManagement module sends for app-only calls (wire-protocols §1.2).
_ANCHOR = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"


def is_read_cmdlet(cmdlet: str) -> bool:
    return cmdlet.split("-", 1)[0] in READ_VERBS


@dataclass
class CmdletResult:
    """Every record of every page, with companion keys dropped, and all warnings."""

    values: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


def strip_companions(record: Mapping[str, Any]) -> dict[str, Any]:
    """Drop `X@odata.type` / `X@data.type` companions (wire-protocols.md §1.3, [MSPBOTS])."""
    return {k: v for k, v in record.items() if "@odata." not in k and "@data." not in k}


def _error(result: HttpResult, cmdlet: str) -> ServiceError:
    try:
        body = result.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        if result.status in (401, 403):
            return PermissionDenied(
                result.status,
                "Forbidden" if result.status == 403 else "Unauthorized",
                f"{cmdlet}: the identity lacks the Exchange permission or role for this cmdlet",
                request_id=result.request_id,
            )
        return ServiceError(
            result.status,
            "Unreadable",
            f"{cmdlet}: unreadable error body",
            request_id=result.request_id,
        )
    err = body["error"]
    code = str(err.get("code", ""))
    message = str(err.get("message", ""))
    exception_type, error_id = "", ""
    for detail in err.get("details") or []:
        text = str(detail.get("message", "")) if isinstance(detail, dict) else ""
        parts = text.split("|", 2)
        if len(parts) == 3:
            error_id, exception_type, message = parts
            break
        if text:
            message = text
    cls = ObjectNotFound if exception_type.endswith("ManagementObjectNotFoundException") else None
    if cls is None and result.status in (401, 403) and not exception_type:
        return PermissionDenied(result.status, code, message, request_id=result.request_id)
    return (cls or ExchangeError)(
        result.status,
        code,
        message,
        exception_type=exception_type,
        error_id=error_id,
        cmdlet=cmdlet,
        request_id=result.request_id,
    )


def _same_origin(link: str, base: str, cmdlet: str) -> str:
    """Follow a next link only on the host we authenticated to: it carries our bearer token."""
    a, b = httpx.URL(link), httpx.URL(base)
    if (a.scheme, a.host, a.port) != (b.scheme, b.host, b.port):
        raise ServiceError(200, "BadNextLink", f"{cmdlet}: next link leaves {b.host}: {a.host}")
    return link


class ExchangeClient:
    """Runs cmdlets in one tenant. A `read_only` client cannot send a write, by construction."""

    def __init__(
        self,
        http: HttpLayer,
        *,
        base_url: str,
        tenant: str,
        tokens: TokenSource,
        resource: str,
        read_only: bool = False,
        page_size: int = 1000,
    ) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/{quote(tenant, safe='')}/InvokeCommand"
        self._tenant = tenant
        self._tokens = tokens
        self._resource = resource
        self.read_only = read_only
        self._page_size = page_size

    @property
    def tenant(self) -> str:
        return self._tenant

    async def granted_roles(self) -> frozenset[str]:
        """Application permissions t2t's identity holds for this service (from its token)."""
        return token_roles(await self._tokens.token(self._resource))

    def reader(self) -> ExchangeClient:
        """A read-only twin sharing the same connection and tokens (what probes get)."""
        return ExchangeClient(
            self._http,
            base_url=self._url.rsplit("/", 2)[0],
            tenant=self._tenant,
            tokens=self._tokens,
            resource=self._resource,
            read_only=True,
            page_size=self._page_size,
        )

    async def invoke(
        self,
        cmdlet: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        select: Sequence[str] | None = None,
    ) -> CmdletResult:
        """Run one cmdlet and return every page of its output."""
        out = CmdletResult()
        async for page in self.pages(cmdlet, parameters, select=select):
            out.values.extend(page.values)
            out.warnings.extend(page.warnings)
            out.request_ids.extend(page.request_ids)
        if out.warnings:
            log.warning("exchange.warnings", cmdlet=cmdlet, warnings=out.warnings)
        return out

    async def pages(
        self,
        cmdlet: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        select: Sequence[str] | None = None,
    ) -> AsyncIterator[CmdletResult]:
        """The cmdlet's output one page at a time, so a 50,000-record read can be parsed as it
        arrives instead of held whole (the next page is requested when this one is consumed)."""
        if self.read_only and not is_read_cmdlet(cmdlet):
            raise WriteForbidden(f"{cmdlet} is a write; this client is read-only")
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": dict(parameters or {})}}
        url = self._url
        if select:
            url += "?$select=" + quote(",".join(select), safe=",")
        while True:
            token = await self._tokens.token(self._resource)
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Accept-Encoding": "identity",
                "X-AnchorMailbox": _ANCHOR + self._tenant,
                "Prefer": f"odata.maxpagesize={self._page_size}",
                "client-request-id": str(uuid.uuid4()),
                "X-CmdletName": cmdlet,
            }
            result = await self._http.send(
                "POST",
                url,
                service="exchange",
                limit_key=f"exchange:{self._tenant}",
                headers=headers,
                json_body=body,
                idempotent=is_read_cmdlet(cmdlet),
            )
            if result.status >= 400:
                raise _error(result, cmdlet)
            try:
                data = result.json() if result.status != 204 else None
            except (ValueError, UnicodeDecodeError) as exc:
                raise ServiceError(result.status, "Unreadable", f"{cmdlet}: {exc}") from exc
            page = CmdletResult(request_ids=[result.request_id] if result.request_id else [])
            if data is None:
                yield page
                return
            if not isinstance(data, dict):
                raise ServiceError(result.status, "Unreadable", f"{cmdlet}: not a JSON object")
            page.warnings.extend(str(w) for w in data.get("@adminapi.warnings") or [])
            page.values.extend(
                strip_companions(r) for r in data.get("value") or [] if isinstance(r, dict)
            )
            next_link = data.get("@odata.nextLink")
            del data
            yield page
            if not next_link:
                return
            url = _same_origin(str(next_link), self._url, cmdlet)
