"""Exchange Online admin API: cmdlets over `POST /adminapi/beta/{tenant}/InvokeCommand`.

Speaks as Microsoft's ExchangeOnlineManagement module does (every encoding and its source
is in `wire.py`): the JSON envelope (wire-protocols.md §1.2); `Confirm: false` and
`ResultSize: Unlimited` where the module's own non-interactive call would carry them; every
PSCredential and SecureString encrypted under the key of the module file the tenant hands
out (`EXOModuleFile`), never sent in plain text; `Prefer: odata.maxpagesize` paging with
`@odata.nextLink` re-POSTed with the same body (§1.4); companion `@odata.`/`@data.` keys
dropped (§1.3); warnings kept, a truncated list refused; a 401 retried once with a fresh
token; errors classified on the .NET exception type from `x-ExceptionType` or
`error.details[0].message` (`<ErrorId>|<type>|<text>` or a JSON object, §1.5).
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa

from t2t.clients import wire
from t2t.clients.auth import (
    TokenSource,
    token_claims,
    token_directory_roles,
    token_roles,
    token_scopes,
)
from t2t.clients.discovery import openid_configuration
from t2t.clients.errors import (
    ExchangeError,
    ModuleKeyUnavailable,
    ObjectNotFound,
    PermissionDenied,
    ServiceError,
    TruncatedResult,
    WriteForbidden,
)
from t2t.clients.http import HttpLayer, HttpResult

log = structlog.get_logger("t2t.exchange")

#: Verbs that never change anything; a read-only client refuses every other verb before sending.
READ_VERBS = frozenset({"Get", "Test"})

#: The anchor the ExchangeOnlineManagement module sends for app-only calls (wire-protocols §1.2).
_ANCHOR = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"


@functools.lru_cache(maxsize=16)
def anchor(token: str, tenant: str) -> str:
    """The X-AnchorMailbox of a request made with `token`: a person's session (the module's
    delegated sign-in) is anchored on that person, `UPN:<upn>`; an app's on the tenant's
    system mailbox (wire-protocols.md §1.2: the module's `UPN:<admin UPN>` delegated,
    `APP:SystemMailbox{bb558c35-…}@<tenant>` app-only). The upn is the delegated token's own
    claim (access-token-claims-reference); an app's token has none."""
    upn = token_claims(token).get("upn")
    return f"UPN:{upn}" if isinstance(upn, str) and upn else _ANCHOR + tenant


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


def _detail(text: str) -> tuple[str, str, str] | None:
    """(error id, exception type, text) of one `error.details[].message`: either
    `<ErrorId>|<type>|<text>` or a JSON object with `ClassName`/`TypeName`, `Message` and
    `localizedString.stringId` (wire.py CONFIRMED["errors"])."""
    parts = text.split("|", 2)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        if isinstance(obj, dict):
            localized = obj.get("localizedString")
            error_id = localized.get("stringId", "") if isinstance(localized, dict) else ""
            type_name = obj.get("ClassName") or obj.get("TypeName") or ""
            return str(error_id), str(type_name), str(obj.get("Message", ""))
    return None


def _error(result: HttpResult, cmdlet: str) -> ServiceError:
    header_type = result.headers.get("x-exceptiontype", "")
    try:
        body = result.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        if result.status in (401, 403):
            what = header_type or ("Forbidden" if result.status == 403 else "Unauthorized")
            return PermissionDenied(
                result.status,
                what,
                f"{cmdlet}: {what}: the identity holds no Exchange role that allows this cmdlet",
                request_id=result.request_id,
                exception_type=header_type,
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
    exception_type, error_id = header_type, ""
    details = err.get("details") if isinstance(err.get("details"), list) else []
    first = details[0] if details and isinstance(details[0], dict) else {}
    text = str(first.get("message", ""))
    parsed = _detail(text) if text else None
    if parsed is not None:
        error_id, exception_type, message = parsed[0], parsed[1] or header_type, parsed[2]
    elif text:
        message = text
    else:
        inner = err.get("innererror")
        internal = inner.get("internalexception") if isinstance(inner, dict) else None
        if isinstance(internal, dict) and internal.get("message"):
            message = str(internal["message"])
            exception_type = exception_type or str(internal.get("type", ""))
    if exception_type.endswith("CmdletAccessDeniedException") or (
        result.status in (401, 403) and not exception_type
    ):
        return PermissionDenied(
            result.status,
            code,
            f"{cmdlet}: {message}",
            request_id=result.request_id,
            exception_type=exception_type,
        )
    cls = ObjectNotFound if exception_type.endswith("ManagementObjectNotFoundException") else None
    return (cls or ExchangeError)(
        result.status,
        code,
        message,
        exception_type=exception_type,
        error_id=error_id,
        cmdlet=cmdlet,
        request_id=result.request_id,
    )


def _module_text(result: HttpResult) -> str:
    """The module text of an EXOModuleFile answer: `value[].fileContent` of the `.psm1`
    (module_file sources in the sandbox's module_file.py)."""
    data = result.json()
    values = data.get("value") if isinstance(data, dict) else None
    for item in values if isinstance(values, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("fileContent"), str):
            continue
        if str(item.get("fileName", "")).lower().endswith(".psm1"):
            return str(item["fileContent"])
    raise ValueError("the Exchange module file answer holds no .psm1 fileContent")


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
        login: str | None = None,
    ) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/{quote(tenant, safe='')}/InvokeCommand"
        self._tenant = tenant
        self._tokens = tokens
        self._resource = resource
        self.read_only = read_only
        self._page_size = page_size
        self._module_key: rsa.RSAPublicKey | None = None
        self._module_text: str | None = None
        self._login = login
        self._module_key_lock = asyncio.Lock()

    @property
    def tenant(self) -> str:
        return self._tenant

    async def granted_roles(self) -> frozenset[str]:
        """Application permissions t2t's identity holds for this service (from its token)."""
        return token_roles(await self._tokens.token(self._resource))

    async def granted_scopes(self) -> frozenset[str]:
        """Delegated permissions of a person's token for this service (empty for an app's)."""
        return token_scopes(await self._tokens.token(self._resource))

    async def directory_roles(self) -> frozenset[str]:
        """Directory role template ids in t2t's Exchange token (`wids`): the app-only session's
        RBAC comes from them unless the app is in an Exchange role group."""
        return token_directory_roles(await self._tokens.token(self._resource))

    @property
    def _module_file_url(self) -> str:
        """`/adminapi/v1.0/{tenant}/EXOModuleFile` beside the InvokeCommand API version."""
        api_root = self._url.rsplit("/", 3)[0]  # …/adminapi
        return f"{api_root}/v1.0/{quote(self._tenant, safe='')}/EXOModuleFile"

    async def openid_configuration(self) -> dict[str, Any]:
        """This tenant's OpenID configuration from the identity platform t2t signs in at
        (discovery.py): which cloud the tenant lives in. ServiceError without a login host."""
        if self._login is None:
            raise ServiceError(0, "OpenIdConfiguration", "no identity platform host is known")
        return await openid_configuration(self._http, self._login, self._tenant)

    async def module_file(self, cmdlet: str = "EXOModuleFile") -> str:
        """The module Exchange generates for t2t's identity in this tenant (its encryption key,
        and one function per cmdlet with the parameters RBAC lets this identity pass), fetched
        once per client as Connect-ExchangeOnline does (wire.py CONFIRMED["PSCredential"]).
        Raises ModuleKeyUnavailable when it cannot be had."""
        async with self._module_key_lock:
            if self._module_text is not None:
                return self._module_text
            token = await self._tokens.token(self._resource)
            result = await self._http.send(
                "GET",
                f"{self._module_file_url}?Version={quote(wire.MODULE_VERSION, safe='')}",
                service="exchange",
                limit_key=f"exchange:{self._tenant}",
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                    "X-AnchorMailbox": anchor(token, self._tenant),
                    "CommandName": "*",
                    "exomodule-version": wire.MODULE_VERSION,
                    "client-request-id": str(uuid.uuid4()),
                },
                idempotent=True,
            )
            where = f"{cmdlet}: tenant {self._tenant}"
            if result.status >= 400:
                raise ModuleKeyUnavailable(
                    f"{where}: the Exchange module file (its encryption key) was refused with "
                    f"HTTP {result.status}; t2t does not send a credential or password unencrypted"
                )
            try:
                self._module_text = _module_text(result)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ModuleKeyUnavailable(
                    f"{where}: {exc}; t2t does not send a credential or password unencrypted"
                ) from exc
            return self._module_text

    async def module_key(self, cmdlet: str = "EXOModuleFile") -> rsa.RSAPublicKey:
        """The RSA key the tenant's module file embeds."""
        if self._module_key is None:
            text = await self.module_file(cmdlet)
            try:
                self._module_key = wire.public_key_from_module(text)
            except ValueError as exc:
                raise ModuleKeyUnavailable(
                    f"{cmdlet}: tenant {self._tenant}: {exc}; t2t does not send a credential "
                    "or password unencrypted"
                ) from exc
        return self._module_key

    async def _encode(self, cmdlet: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
        out = wire.prepare(cmdlet, dict(parameters))
        for name, value in out.items():
            if isinstance(value, wire.Sensitive):
                out[name] = wire.encrypt(await self.module_key(cmdlet), value)
        return out

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
            login=self._login,
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
        encoded = await self._encode(cmdlet, parameters or {})
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": encoded}}
        url = self._url
        if select:
            url += "?$select=" + quote(",".join(select), safe=",")
        fresh = False
        while True:
            token = await self._tokens.token(self._resource, fresh=fresh)
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Accept-Encoding": "identity",
                "X-AnchorMailbox": anchor(token, self._tenant),
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
            if result.status == 401 and not fresh:
                # The module retries a 401 with a new token (Execute-Command); the request
                # was refused before anything ran, so resending a write is safe.
                fresh = True
                continue
            fresh = False
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
            if wire.TRUNCATION_WARNING in page.warnings:
                raise TruncatedResult(
                    result.status,
                    "Truncated",
                    f"{cmdlet}: Exchange returned only part of the list "
                    f"({wire.TRUNCATION_WARNING})",
                    request_id=result.request_id,
                )
            page.values.extend(
                strip_companions(r) for r in data.get("value") or [] if isinstance(r, dict)
            )
            next_link = data.get("@odata.nextLink")
            del data
            yield page
            if not next_link:
                return
            url = _same_origin(str(next_link), self._url, cmdlet)
